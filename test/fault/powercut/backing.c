/* powercutfs: helpers on the backing directory. */
#include "powercutfs.h"

void warnf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("powercutfs: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* "/a/b" -> "a/b"; "/" -> "." (relative to g.root). */
const char *rel(const char *path) { return path[1] ? path + 1 : "."; }

bool is_control(const char *path) { return path && strcmp(path, CONTROL_PATH) == 0; }

bool is_hidden(const char *path) {
  if (!path) return false;
  size_t n = strlen("/" TRASH_NAME);
  return strncmp(path, "/" TRASH_NAME, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* Opens the parent directory of path and points *name at its last component. */
int open_parent(const char *path, char *buf, size_t cap, const char **name) {
  size_t n = strlen(path);
  if (n + 1 > cap) return -ENAMETOOLONG;
  memcpy(buf, path, n + 1);
  char *slash = strrchr(buf, '/');
  *name = path + (slash - buf) + 1;
  if (slash == buf) return openat(g.root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *slash = 0;
  int fd = openat(g.root, buf + 1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? -errno : fd;
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t off) {
  const unsigned char *p = buf;
  while (len > 0) {
    ssize_t n = pwrite(fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    p += n;
    len -= (size_t)n;
    off += (uint64_t)n;
  }
  return 0;
}

void zero_range(int fd, uint64_t off, uint64_t len) {
  if (len == 0) return;
  if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0) return;
  while (len > 0) {
    size_t n = len < CHUNK ? (size_t)len : CHUNK;
    if (pwrite_all(fd, g.zero, n, off) != 0) return;
    off += n;
    len -= n;
  }
}

/* Removes name (a file, or a directory with everything in it) from directory dirfd. */
void remove_tree(int dir, const char *name) {
  struct stat st;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    unlinkat(dir, name, 0);
    return;
  }
  int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd >= 0) {
    DIR *d = fdopendir(fd);
    if (d) {
      struct dirent *e;
      while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        remove_tree(dirfd(d), e->d_name);
        rewinddir(d); /* the listing changed under us */
      }
      closedir(d);
    } else {
      close(fd);
    }
  }
  unlinkat(dir, name, AT_REMOVEDIR);
}

bool dir_is_empty(int dirfd, const char *name) {
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return false;
  }
  bool empty = true;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      empty = false;
      break;
    }
  }
  closedir(d);
  return empty;
}

/* Moves dirfd/name into the trash; returns its name there (malloc'd) or NULL with errno. */
char *to_trash(int dirfd, const char *name) {
  char buf[32];
  snprintf(buf, sizeof buf, "t%" PRIu64, ++g.trash_seq);
  if (renameat(dirfd, name, g.trash, buf) != 0) return NULL;
  char *s = strdup(buf);
  if (!s) {
    renameat(g.trash, buf, dirfd, name);
    errno = ENOMEM;
  }
  return s;
}

/* The inode a name in dirfd points to, or 0. */
ino_t ino_at(int dirfd, const char *name) {
  struct stat st;
  return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ino : 0;
}

