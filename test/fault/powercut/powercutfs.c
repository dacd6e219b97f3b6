/*
 * powercutfs: a FUSE file system for power-cut tests, in the spirit of LazyFS.
 *
 *   powercutfs BACKING MOUNTPOINT [fuse options, e.g. -f -s -o auto_unmount]
 *
 * Mounted over a backing directory, it behaves like a pass-through file system, except that it
 * remembers how to take back everything that a real disk could still lose, and does so when told
 * that the power is cut.
 *
 * The model
 * ---------
 * - File contents and sizes (write, truncate, O_TRUNC, fallocate) are volatile until that file is
 *   fsynced or fdatasynced (the FUSE fsync op). close(), flush and release sync nothing.
 * - Directory entries made, moved or removed (create, mknod, mkdir, symlink, link, unlink, rmdir,
 *   rename, rename over an existing name) are volatile until their parent directory is fsynced
 *   (fsyncdir); a rename needs both its old and its new parent fsynced. A file fsync does not make
 *   its own name durable, as on the weakest POSIX file systems.
 * - Power cut: write "cut" to the control file /.powercut (hidden from readdir). The cut runs in
 *   the file system's one thread, so it lands between two operations. Afterwards the backing
 *   directory holds exactly what was durable, and every later operation that reaches this process
 *   fails with EIO (the kernel may still answer some reads from its caches; the test kills the
 *   writer right after the cut anyway). "cut torn" additionally keeps a random prefix of the last
 *   unsynced write (see Limits for what that is), a multiple of 512 bytes long and shorter than
 *   the write (a torn sector write); "cut torn seed=N" makes the choice reproducible (without a
 *   seed, the one drawn is printed on stderr). Reading /.powercut returns counters
 *   ("fsyncs N", "dir_fsyncs N", "pending_data N", "pending_entries N", "cut 0|1", ...).
 * - Unmounting without a cut is a clean shutdown: everything written stays in the backing
 *   directory.
 *
 * How
 * ---
 * Every operation is applied to the backing directory at once, so reads (mmap included) are
 * plain pass-through. Beside it runs an undo journal, one record per volatile change, in order:
 *   DATA    the pre-image of the range an operation overwrote (all-zero runs and holes are not
 *           stored) and the file size before it;
 *   CREATE  a name made in a directory (undone by removing it, recursively for a directory);
 *   REMOVE  a name removed: the entry was moved into the hidden trash directory
 *           BACKING/.powercut-trash instead, and is moved back on undo (purged once durable);
 *   RENAME  a move, plus the entry it replaced (kept in the trash the same way).
 * Records refer to files and directories through file descriptors held open on the backing
 * inodes (keyed by inode number), never through paths, so they find their file after renames and
 * unlinks. A cut applies the records in reverse order. An fsync drops the file's DATA records;
 * an fsyncdir marks the entry records of that directory and drops those now fully durable.
 * Consecutive writes of one file merge into one record when undoing the first also undoes the
 * second (appends past the size the first restores, or adjacent writes over zeros). Once the
 * last name of a file is durably removed, its DATA records are dropped too (nothing can see it).
 * journal.c holds the journal, backing.c the helpers on the backing directory, this file the
 * FUSE operations.
 *
 * Limits
 * ------
 * - Attribute changes (chmod, chown, utimens) and extended attributes are not journaled (they
 *   survive a cut). The backing files themselves are never fsynced: the model is this process's
 *   journal, not the host's disk. So an fsync here takes microseconds, not milliseconds: group
 *   commit batches far fewer callers per fsync than on a disk.
 * - When records are made durable out of order (say a name renamed away and then made again,
 *   with only one of the directories fsynced), undoing a change can meet a name that is durable
 *   again: the durable entry wins (a removed entry being restored is dropped, a renamed one stays
 *   at its new name), and "conflicts" counts it.
 * - The kernel splits one write(2) at page boundaries and at max_write, and those pieces look
 *   like back-to-back writes: "the last write" of torn mode is the last run of writes to one file,
 *   each starting where the previous ended, with no other journaled change in between (so
 *   several contiguous appends count as one). When the last journaled change is not a write (a
 *   truncate, a fallocate), torn mode keeps nothing. RENAME_EXCHANGE is refused (EINVAL).
 * - Locks (flock, fcntl) are left to the kernel, so they hold between processes using this mount.
 * - Single-threaded: run it with -s.
 */
#include "powercutfs.h"

struct state g;

/* ---------------------------------------------------------------------------------------- */
/* FUSE operations.                                                                           */

#define GUARD(path)                      \
  do {                                   \
    if (g.cut) return -EIO;              \
    if (is_hidden(path)) return -ENOENT; \
  } while (0)

static void *pc_init(struct fuse_conn_info *conn, struct fuse_config *cfg) {
  /* Every write must reach us, in order: no writeback cache, no direct I/O (mmap must work). */
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  cfg->use_ino = 1;
  cfg->nullpath_ok = 1;
  cfg->hard_remove = 1; /* no .fuse_hidden files: unlink of an open file goes to our trash */
  cfg->direct_io = 0;
  cfg->kernel_cache = 0;
  return NULL;
}

static void pc_destroy(void *data) {
  (void)data;
  durable_all(); /* a clean unmount */
  if (!g.cut) remove_tree(g.root, TRASH_NAME);
}

static void control_stat(struct stat *st) {
  memset(st, 0, sizeof *st);
  st->st_ino = CONTROL_INO;
  st->st_mode = S_IFREG | 0600;
  st->st_nlink = 1;
  st->st_uid = getuid();
  st->st_gid = getgid();
}

static int pc_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  if (is_control(path) || (fi && fi->fh == CONTROL_FH)) {
    control_stat(st);
    return 0;
  }
  GUARD(path);
  int rc = fi ? fstat((int)fi->fh, st) : fstatat(g.root, rel(path), st, AT_SYMLINK_NOFOLLOW);
  return rc == 0 ? 0 : -errno;
}

static int pc_readlink(const char *path, char *buf, size_t size) {
  GUARD(path);
  ssize_t n = readlinkat(g.root, rel(path), buf, size - 1);
  if (n < 0) return -errno;
  buf[n] = 0;
  return 0;
}

/* Makes a new entry with make(), then journals it. */
static int new_entry(const char *path, int (*make)(int dirfd, const char *name, const void *arg),
                     const void *arg) {
  GUARD(path);
  if (is_control(path)) return -EEXIST;
  char buf[PATH_MAX];
  const char *name;
  int dirfd = open_parent(path, buf, sizeof buf, &name);
  if (dirfd < 0) return dirfd;
  int rc = make(dirfd, name, arg);
  if (rc == 0) rc = journal_entry(R_CREATE, dirfd, name, -1, NULL, ino_at(dirfd, name), NULL);
  close(dirfd);
  return rc;
}

struct node_args {
  mode_t mode;
  dev_t dev;
};
static int make_node(int dirfd, const char *name, const void *arg) {
  const struct node_args *a = arg;
  return mknodat(dirfd, name, a->mode, a->dev) == 0 ? 0 : -errno;
}
static int pc_mknod(const char *path, mode_t mode, dev_t dev) {
  struct node_args args = {mode, dev};
  return new_entry(path, make_node, &args);
}

static int make_dir(int dirfd, const char *name, const void *arg) {
  return mkdirat(dirfd, name, *(const mode_t *)arg) == 0 ? 0 : -errno;
}
static int pc_mkdir(const char *path, mode_t mode) { return new_entry(path, make_dir, &mode); }

static int make_symlink(int dirfd, const char *name, const void *arg) {
  return symlinkat((const char *)arg, dirfd, name) == 0 ? 0 : -errno;
}
static int pc_symlink(const char *target, const char *path) { return new_entry(path, make_symlink, target); }

static int make_link(int dirfd, const char *name, const void *arg) {
  return linkat(g.root, rel((const char *)arg), dirfd, name, 0) == 0 ? 0 : -errno;
}
static int pc_link(const char *from, const char *to) {
  GUARD(from);
  return new_entry(to, make_link, from);
}

static int remove_entry(const char *path, bool dir) {
  GUARD(path);
  if (is_control(path)) return -EPERM;
  char buf[PATH_MAX];
  const char *name;
  int dirfd = open_parent(path, buf, sizeof buf, &name);
  if (dirfd < 0) return dirfd;
  struct stat st;
  int rc = 0;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) rc = -errno;
  else if (dir && !S_ISDIR(st.st_mode)) rc = -ENOTDIR;
  else if (!dir && S_ISDIR(st.st_mode)) rc = -EISDIR;
  else if (dir && !dir_is_empty(dirfd, name)) rc = -ENOTEMPTY;
  if (rc == 0) {
    char *trash = to_trash(dirfd, name);
    rc = trash ? journal_entry(R_REMOVE, dirfd, name, -1, NULL, st.st_ino, trash) : -errno;
  }
  close(dirfd);
  return rc;
}
static int pc_unlink(const char *path) { return remove_entry(path, false); }
static int pc_rmdir(const char *path) { return remove_entry(path, true); }

static int pc_rename(const char *from, const char *to, unsigned int flags) {
  GUARD(from);
  GUARD(to);
  if (is_control(from) || is_control(to)) return -EPERM;
  if (flags & ~RENAME_NOREPLACE) return -EINVAL;
  char buf1[PATH_MAX], buf2[PATH_MAX];
  const char *name1, *name2;
  int d1 = open_parent(from, buf1, sizeof buf1, &name1);
  if (d1 < 0) return d1;
  int d2 = open_parent(to, buf2, sizeof buf2, &name2);
  if (d2 < 0) {
    close(d1);
    return d2;
  }
  int rc = 0;
  char *trash = NULL;
  struct stat src, dst;
  if (fstatat(d1, name1, &src, AT_SYMLINK_NOFOLLOW) != 0) {
    rc = -errno;
    goto out;
  }
  if (fstatat(d2, name2, &dst, AT_SYMLINK_NOFOLLOW) == 0) {
    if (flags & RENAME_NOREPLACE) rc = -EEXIST;
    else if (dst.st_ino == src.st_ino) rc = 0; /* two names of one inode: nothing to do */
    else if (S_ISDIR(src.st_mode) && !S_ISDIR(dst.st_mode)) rc = -ENOTDIR;
    else if (!S_ISDIR(src.st_mode) && S_ISDIR(dst.st_mode)) rc = -EISDIR;
    else if (S_ISDIR(dst.st_mode) && !dir_is_empty(d2, name2)) rc = -ENOTEMPTY;
    else if (!(trash = to_trash(d2, name2))) rc = -errno;
    if (rc != 0 || !trash) goto out;
  } else if (errno != ENOENT) {
    rc = -errno;
    goto out;
  }
  if (renameat(d1, name1, d2, name2) != 0) {
    rc = -errno;
    if (trash) {
      renameat(g.trash, trash, d2, name2);
      free(trash);
    }
    goto out;
  }
  rc = journal_entry(R_RENAME, d1, name1, d2, name2, src.st_ino, trash);
out:
  close(d1);
  close(d2);
  return rc;
}

static int pc_chmod(const char *path, mode_t mode, struct fuse_file_info *fi) {
  GUARD(path);
  if (fi) return fchmod((int)fi->fh, mode) == 0 ? 0 : -errno;
  return fchmodat(g.root, rel(path), mode, 0) == 0 ? 0 : -errno;
}

static int pc_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi) {
  GUARD(path);
  if (fi) return fchown((int)fi->fh, uid, gid) == 0 ? 0 : -errno;
  return fchownat(g.root, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

/* A volatile ftruncate. */
static int truncate_fd(int fd, uint64_t size) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  if ((uint64_t)st.st_size == size) return 0;
  uint64_t old = (uint64_t)st.st_size;
  /* Shrinking loses [size, old); growing only changes the size (an empty range). */
  int rc = journal_data(fd, size < old ? size : old, old, false);
  if (rc != 0) return rc;
  return ftruncate(fd, (off_t)size) == 0 ? 0 : -errno;
}

static int pc_truncate(const char *path, off_t size, struct fuse_file_info *fi) {
  if (is_control(path) || (fi && fi->fh == CONTROL_FH)) return 0;
  GUARD(path);
  if (fi) return truncate_fd((int)fi->fh, (uint64_t)size);
  int fd = openat(g.root, rel(path), O_RDWR | O_CLOEXEC);
  if (fd < 0) return -errno;
  int rc = truncate_fd(fd, (uint64_t)size);
  close(fd);
  return rc;
}

/* Backing descriptors are always opened read-write so the journal can read pre-images; the
   kernel has already checked the caller's access mode. O_APPEND is the kernel's business too:
   it sends every write with its offset. */
static int open_flags(int flags) {
  return (flags & ~(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECT | O_NOCTTY)) |
         O_RDWR | O_CLOEXEC;
}

static int pc_open(const char *path, struct fuse_file_info *fi) {
  if (is_control(path)) {
    fi->fh = CONTROL_FH;
    fi->direct_io = 1; /* its contents are made on each read */
    return 0;
  }
  GUARD(path);
  int fd = openat(g.root, rel(path), open_flags(fi->flags));
  if (fd < 0 && (errno == EACCES || errno == EPERM || errno == EISDIR)) {
    fd = openat(g.root, rel(path), (fi->flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC);
  }
  if (fd < 0) return -errno;
  if (fi->flags & O_TRUNC) {
    int rc = truncate_fd(fd, 0);
    if (rc != 0) {
      close(fd);
      return rc;
    }
  }
  fi->fh = (uint64_t)fd;
  return 0;
}

static int pc_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
  GUARD(path);
  if (is_control(path)) return pc_open(path, fi);
  char buf[PATH_MAX];
  const char *name;
  int dirfd = open_parent(path, buf, sizeof buf, &name);
  if (dirfd < 0) return dirfd;
  int fd = openat(dirfd, name, open_flags(fi->flags) | O_CREAT | O_EXCL, mode);
  if (fd < 0 && errno == EEXIST && !(fi->flags & O_EXCL)) {
    close(dirfd);
    return pc_open(path, fi); /* it appeared meanwhile: an ordinary open */
  }
  if (fd < 0) {
    int e = errno;
    close(dirfd);
    return -e;
  }
  int rc = journal_entry(R_CREATE, dirfd, name, -1, NULL, ino_at(dirfd, name), NULL);
  close(dirfd);
  fi->fh = (uint64_t)fd;
  return rc;
}

static int control_read(char *buf, size_t size, off_t off) {
  char text[512];
  int n = snprintf(text, sizeof text,
                   "fsyncs %" PRIu64 "\ndir_fsyncs %" PRIu64 "\npending_data %" PRIu64
                   "\npending_entries %" PRIu64 "\ncut %d\nconflicts %" PRIu64
                   "\ntorn_kept %" PRIu64 "\n",
                   g.fsyncs, g.dir_fsyncs, g.pending_data, g.pending_entries, g.cut ? 1 : 0,
                   g.conflicts, g.torn_kept);
  if (off >= n) return 0;
  size_t len = (size_t)(n - off) < size ? (size_t)(n - off) : size;
  memcpy(buf, text + off, len);
  return (int)len;
}

/* "cut", "cut torn", "cut torn seed=N". */
static int control_write(const char *buf, size_t size) {
  char cmd[256];
  size_t n = size < sizeof cmd - 1 ? size : sizeof cmd - 1;
  memcpy(cmd, buf, n);
  cmd[n] = 0;
  if (strncmp(cmd, "cut", 3) != 0 || (cmd[3] && cmd[3] != ' ' && cmd[3] != '\n')) return -EINVAL;
  if (g.cut) return -EIO;
  bool torn = strstr(cmd, "torn") != NULL;
  const char *s = strstr(cmd, "seed=");
  uint64_t seed = s ? strtoull(s + 5, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)getpid();
  power_cut(torn, seed);
  return (int)size;
}

static int pc_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi) {
  (void)path;
  if (fi->fh == CONTROL_FH) return control_read(buf, size, off);
  if (g.cut) return -EIO;
  ssize_t n = pread((int)fi->fh, buf, size, off);
  return n < 0 ? -errno : (int)n;
}

static int pc_write(const char *path, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi) {
  (void)path;
  if (fi->fh == CONTROL_FH) return control_write(buf, size);
  if (g.cut) return -EIO;
  int fd = (int)fi->fh;
  int rc = journal_data(fd, (uint64_t)off, (uint64_t)off + size, true);
  if (rc != 0) return rc;
  rc = pwrite_all(fd, buf, size, (uint64_t)off);
  return rc != 0 ? rc : (int)size;
}

static int pc_statfs(const char *path, struct statvfs *st) {
  (void)path;
  if (g.cut) return -EIO;
  return fstatvfs(g.root, st) == 0 ? 0 : -errno;
}

static int pc_flush(const char *path, struct fuse_file_info *fi) {
  (void)path;
  (void)fi;
  return 0; /* close() is not a sync */
}

static int pc_release(const char *path, struct fuse_file_info *fi) {
  (void)path;
  if (fi->fh != CONTROL_FH) close((int)fi->fh);
  return 0;
}

static int pc_fsync(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path;
  (void)datasync;
  if (fi->fh == CONTROL_FH) return 0;
  if (g.cut) return -EIO;
  g.fsyncs++;
  durable_file((int)fi->fh);
  return 0;
}

struct dir_handle {
  DIR *dir;
  bool root;
};

static int pc_opendir(const char *path, struct fuse_file_info *fi) {
  GUARD(path);
  int fd = openat(g.root, rel(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -errno;
  struct dir_handle *h = malloc(sizeof *h);
  if (!h || !(h->dir = fdopendir(fd))) {
    free(h);
    close(fd);
    return -ENOMEM;
  }
  h->root = strcmp(path, "/") == 0;
  fi->fh = (uint64_t)(uintptr_t)h;
  return 0;
}

static int pc_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                      struct fuse_file_info *fi, enum fuse_readdir_flags flags) {
  (void)path;
  (void)off;
  (void)flags;
  if (g.cut) return -EIO;
  struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
  rewinddir(h->dir);
  struct dirent *e;
  while ((e = readdir(h->dir)) != NULL) {
    if (h->root && strcmp(e->d_name, TRASH_NAME) == 0) continue;
    struct stat st;
    memset(&st, 0, sizeof st);
    st.st_ino = e->d_ino;
    st.st_mode = (mode_t)DTTOIF(e->d_type);
    if (fill(buf, e->d_name, &st, 0, 0)) break;
  }
  return 0;
}

static int pc_releasedir(const char *path, struct fuse_file_info *fi) {
  (void)path;
  struct dir_handle *h = (struct dir_handle *)(uintptr_t)fi->fh;
  closedir(h->dir);
  free(h);
  return 0;
}

static int pc_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi) {
  (void)path;
  (void)datasync;
  if (g.cut) return -EIO;
  g.dir_fsyncs++;
  durable_dir(dirfd(((struct dir_handle *)(uintptr_t)fi->fh)->dir));
  return 0;
}

static int pc_utimens(const char *path, const struct timespec ts[2], struct fuse_file_info *fi) {
  if (is_control(path) || (fi && fi->fh == CONTROL_FH)) return 0;
  GUARD(path);
  if (fi) return futimens((int)fi->fh, ts) == 0 ? 0 : -errno;
  return utimensat(g.root, rel(path), ts, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

static int pc_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi) {
  (void)path;
  if (g.cut) return -EIO;
  if (fi->fh == CONTROL_FH) return -EOPNOTSUPP;
  int fd = (int)fi->fh;
  const int known = FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE;
  if (mode & ~known) return -EOPNOTSUPP;
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  uint64_t end = (uint64_t)off + (uint64_t)len;
  int rc = 0;
  if (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) {
    rc = journal_data(fd, (uint64_t)off, end, false); /* the zeroed bytes */
  } else if (!(mode & FALLOC_FL_KEEP_SIZE) && end > (uint64_t)st.st_size) {
    rc = journal_data(fd, (uint64_t)st.st_size, end, false); /* only the size changes */
  }
  if (rc != 0) return rc;
  return fallocate(fd, mode, off, len) == 0 ? 0 : -errno;
}

static const struct fuse_operations ops = {
    .init = pc_init,
    .destroy = pc_destroy,
    .getattr = pc_getattr,
    .readlink = pc_readlink,
    .mknod = pc_mknod,
    .mkdir = pc_mkdir,
    .symlink = pc_symlink,
    .unlink = pc_unlink,
    .rmdir = pc_rmdir,
    .rename = pc_rename,
    .link = pc_link,
    .chmod = pc_chmod,
    .chown = pc_chown,
    .truncate = pc_truncate,
    .open = pc_open,
    .create = pc_create,
    .read = pc_read,
    .write = pc_write,
    .statfs = pc_statfs,
    .flush = pc_flush,
    .release = pc_release,
    .fsync = pc_fsync,
    .opendir = pc_opendir,
    .readdir = pc_readdir,
    .releasedir = pc_releasedir,
    .fsyncdir = pc_fsyncdir,
    .utimens = pc_utimens,
    .fallocate = pc_fallocate,
    /* no .lock / .flock: the kernel keeps locks locally */
};

int main(int argc, char *argv[]) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s BACKING MOUNTPOINT [-f] [-s] [-o options]\n", argv[0]);
    return 2;
  }
  /* Die with the test that started us, so no mount outlives it (auto_unmount then unmounts). */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  g.backing = argv[1];
  g.root = open(g.backing, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g.root < 0) {
    fprintf(stderr, "powercutfs: cannot open backing directory %s: %s\n", g.backing, strerror(errno));
    return 1;
  }
  /* A trash left by a daemon that died without a cut holds removals that were applied. */
  remove_tree(g.root, TRASH_NAME);
  if (mkdirat(g.root, TRASH_NAME, 0700) != 0 ||
      (g.trash = openat(g.root, TRASH_NAME, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
    fprintf(stderr, "powercutfs: cannot make %s/%s: %s\n", g.backing, TRASH_NAME, strerror(errno));
    return 1;
  }
  /* fuse_main sees argv without BACKING. */
  argv[1] = argv[0];
  return fuse_main(argc - 1, argv + 1, &ops, NULL);
}
