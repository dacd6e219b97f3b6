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
 *   the write (a torn sector write);
 *   "cut torn seed=N" makes the choice reproducible. Reading /.powercut returns counters
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
 * second (appends past the size the first restores, or adjacent writes over zeros).
 *
 * Limits
 * ------
 * - Attribute changes (chmod, chown, utimens) and extended attributes are not journaled (they
 *   survive a cut). The backing files themselves are never fsynced: the model is this process's
 *   journal, not the host's disk.
 * - When records are made durable out of order (say a name renamed away and then made again,
 *   with only one of the directories fsynced), undoing a rename can meet a name that is durable
 *   again: the durable entry wins, the other is dropped, and "conflicts" counts it.
 * - The kernel splits one write(2) at page boundaries and at max_write, and those pieces look
 *   like back-to-back writes: "the last write" of torn mode is the last run of writes to one file,
 *   each starting where the previous ended, with no other journaled change in between (so
 *   several contiguous appends count as one). When the last journaled change is not a write (a
 *   truncate, a fallocate), torn mode keeps nothing. RENAME_EXCHANGE is refused (EINVAL).
 * - Locks (flock, fcntl) are left to the kernel, so they hold between processes using this mount.
 * - Single-threaded: run it with -s.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_PATH "/.powercut"
#define CONTROL_INO ((ino_t)0x7fffffffffff0001ull)
#define CONTROL_FH UINT64_MAX
#define TRASH_NAME ".powercut-trash"
#define CHUNK (64 * 1024)
#define BUCKETS 4096

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* ---------------------------------------------------------------------------------------- */
/* Inodes: an open descriptor per backing inode that pending records refer to.               */

struct rec;

struct inode {
  struct inode *next_in_bucket;
  ino_t ino;
  int fd;      /* O_RDWR for files, O_RDONLY|O_DIRECTORY for directories */
  long refs;   /* records that point here */
  struct rec *data_head, *data_tail; /* this file's DATA records, oldest first */
};

/* Non-zero bytes of a pre-image. */
struct seg {
  struct seg *next;
  uint64_t off;
  size_t len;
  unsigned char data[];
};

enum kind { R_DATA, R_CREATE, R_REMOVE, R_RENAME };

struct rec {
  struct rec *prev, *next;   /* global order */
  struct rec *oprev, *onext; /* DATA: the inode's list; others: the entry list */
  enum kind kind;
  struct inode *in;          /* DATA: the file; CREATE/REMOVE: the parent; RENAME: old parent */
  struct inode *in2;         /* RENAME: new parent */
  /* DATA */
  uint64_t old_size, a, b;   /* restore size old_size and [a, b) ∩ [0, old_size) from segs */
  struct seg *segs;
  uint64_t last_off, last_len; /* the write run this change ended (torn mode); last_len 0: none */
  /* entries */
  char *name, *name2;        /* name in in; RENAME: new name in in2 */
  ino_t target;              /* the inode the entry names (checked before undoing) */
  char *trash;               /* REMOVE: the removed entry; RENAME: the replaced one, or NULL */
  bool synced1, synced2;     /* RENAME: old / new parent fsynced since */
};

static struct {
  const char *backing;
  int root;   /* backing directory */
  int trash;  /* BACKING/.powercut-trash */
  struct inode *buckets[BUCKETS];
  struct rec *head, *tail;           /* every pending record */
  struct rec *ent_head, *ent_tail;   /* pending entry records */
  uint64_t trash_seq;
  bool cut;
  uint64_t fsyncs, dir_fsyncs, pending_data, pending_entries, conflicts, cuts;
  uint64_t torn_kept;
  /* The current run of back-to-back writes, each starting where the previous one ended, in one
     file, with no other journaled change between (the kernel splits one write(2) at page
     boundaries and at max_write, so a run is what torn mode calls "the last write"). */
  ino_t run_ino;
  uint64_t run_off, run_end;
  unsigned char zero[CHUNK];
} g;

static void warnf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("powercutfs: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static struct inode *inode_find(ino_t ino) {
  for (struct inode *in = g.buckets[ino % BUCKETS]; in; in = in->next_in_bucket)
    if (in->ino == ino) return in;
  return NULL;
}

/* The table entry of the inode behind fd, made (with a descriptor of its own) if missing. */
static struct inode *inode_of(int fd, bool dir, int *err) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    *err = errno;
    return NULL;
  }
  struct inode *in = inode_find(st.st_ino);
  if (in) return in;
  int own;
  if (dir) {
    own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } else {
    /* A descriptor of its own that can read (pre-images) and write (undo), even if the
       caller's cannot, through /proc so it works for unlinked files too. */
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    own = open(proc, O_RDWR | O_CLOEXEC);
    if (own < 0) own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  }
  if (own < 0) {
    *err = errno;
    return NULL;
  }
  in = calloc(1, sizeof *in);
  if (!in) {
    close(own);
    *err = ENOMEM;
    return NULL;
  }
  in->ino = st.st_ino;
  in->fd = own;
  in->next_in_bucket = g.buckets[st.st_ino % BUCKETS];
  g.buckets[st.st_ino % BUCKETS] = in;
  return in;
}

/* Frees an entry no record uses any more. */
static void inode_release(struct inode *in) {
  if (!in || in->refs > 0) return;
  struct inode **p = &g.buckets[in->ino % BUCKETS];
  while (*p != in) p = &(*p)->next_in_bucket;
  *p = in->next_in_bucket;
  close(in->fd);
  free(in);
}

/* ---------------------------------------------------------------------------------------- */
/* Small helpers on the backing store.                                                       */

/* "/a/b" -> "a/b"; "/" -> "." (relative to g.root). */
static const char *rel(const char *path) { return path[1] ? path + 1 : "."; }

static bool is_control(const char *path) { return path && strcmp(path, CONTROL_PATH) == 0; }

static bool is_hidden(const char *path) {
  if (!path) return false;
  size_t n = strlen("/" TRASH_NAME);
  return strncmp(path, "/" TRASH_NAME, n) == 0 && (path[n] == 0 || path[n] == '/');
}

/* Opens the parent directory of path and points *name at its last component. */
static int open_parent(const char *path, char *buf, size_t cap, const char **name) {
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

static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off) {
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

static void zero_range(int fd, uint64_t off, uint64_t len) {
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
static void remove_tree(int dir, const char *name) {
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

static bool dir_is_empty(int dirfd, const char *name) {
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
static char *to_trash(int dirfd, const char *name) {
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

/* ---------------------------------------------------------------------------------------- */
/* The journal.                                                                               */

static void list_append(struct rec *r) {
  r->prev = g.tail;
  r->next = NULL;
  if (g.tail) g.tail->next = r; else g.head = r;
  g.tail = r;
}

static void list_unlink(struct rec *r) {
  if (r->prev) r->prev->next = r->next; else g.head = r->next;
  if (r->next) r->next->prev = r->prev; else g.tail = r->prev;
}

static void olist_unlink(struct rec *r) {
  struct rec **head, **tail;
  if (r->kind == R_DATA) {
    head = &r->in->data_head;
    tail = &r->in->data_tail;
  } else {
    head = &g.ent_head;
    tail = &g.ent_tail;
  }
  if (r->oprev) r->oprev->onext = r->onext; else *head = r->onext;
  if (r->onext) r->onext->oprev = r->oprev; else *tail = r->oprev;
}

static void olist_append(struct rec *r) {
  struct rec **head, **tail;
  if (r->kind == R_DATA) {
    head = &r->in->data_head;
    tail = &r->in->data_tail;
  } else {
    head = &g.ent_head;
    tail = &g.ent_tail;
  }
  r->oprev = *tail;
  r->onext = NULL;
  if (*tail) (*tail)->onext = r; else *head = r;
  *tail = r;
}

static void rec_add(struct rec *r) {
  r->in->refs++;
  if (r->in2) r->in2->refs++;
  list_append(r);
  olist_append(r);
  if (r->kind == R_DATA) g.pending_data++; else g.pending_entries++;
}

/* Forgets a record; with purge, a change now durable also empties its trash entry. */
static void rec_drop(struct rec *r, bool purge) {
  list_unlink(r);
  olist_unlink(r);
  if (r->kind == R_DATA) g.pending_data--; else g.pending_entries--;
  if (purge && r->trash) remove_tree(g.trash, r->trash);
  for (struct seg *s = r->segs, *n; s; s = n) {
    n = s->next;
    free(s);
  }
  free(r->name);
  free(r->name2);
  free(r->trash);
  struct inode *in = r->in, *in2 = r->in2;
  free(r);
  in->refs--;
  inode_release(in);
  if (in2) {
    in2->refs--;
    inode_release(in2);
  }
}

static void free_segs(struct seg *s) {
  while (s) {
    struct seg *n = s->next;
    free(s);
    s = n;
  }
}

/* Copies the non-zero bytes of [a, min(b, size)) of fd, skipping holes. */
static int capture(int fd, uint64_t size, uint64_t a, uint64_t b, struct seg **out) {
  static unsigned char buf[CHUNK];
  struct seg **tailp = out;
  uint64_t end = b < size ? b : size;
  uint64_t pos = a;
  *out = NULL;
  while (pos < end) {
    uint64_t dstart = pos, dend = end;
    off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
    if (d < 0) {
      if (errno == ENXIO) break; /* only a hole up to the end of the file */
    } else {
      dstart = (uint64_t)d;
      if (dstart >= end) break;
      off_t h = lseek(fd, d, SEEK_HOLE);
      if (h >= 0 && (uint64_t)h < end) dend = (uint64_t)h;
    }
    for (uint64_t p = dstart; p < dend;) {
      size_t want = dend - p < CHUNK ? (size_t)(dend - p) : CHUNK;
      ssize_t n = pread(fd, buf, want, (off_t)p);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        free_segs(*out);
        *out = NULL;
        return -e;
      }
      if (n == 0) break;
      if (memcmp(buf, g.zero, (size_t)n) != 0) {
        struct seg *s = malloc(sizeof *s + (size_t)n);
        if (!s) {
          free_segs(*out);
          *out = NULL;
          return -ENOMEM;
        }
        s->next = NULL;
        s->off = p;
        s->len = (size_t)n;
        memcpy(s->data, buf, (size_t)n);
        *tailp = s;
        tailp = &s->next;
      }
      p += (uint64_t)n;
    }
    pos = dend;
  }
  return 0;
}

/*
 * Journals a change to [a, b) of the file behind fd (size: its size now), before it is made.
 * is_write: the change is a write of [a, b) (torn mode may keep a prefix of it).
 */
static int journal_data(int fd, uint64_t a, uint64_t b, bool is_write) {
  int err = 0;
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  uint64_t size = (uint64_t)st.st_size;
  struct inode *in = inode_of(fd, false, &err);
  if (!in) return -err;
  uint64_t run_off = a;
  if (is_write && g.run_ino == in->ino && g.run_end == a) run_off = g.run_off;
  g.run_ino = is_write ? in->ino : 0;
  g.run_off = run_off;
  g.run_end = b;
  struct rec *t = g.tail;
  bool same = t && t->kind == R_DATA && t->in == in;
  /* Undoing t truncates to t->old_size: whatever lies beyond needs no record of its own. */
  if (same && a >= t->old_size) goto merged;
  struct seg *segs = NULL;
  int rc = capture(in->fd, size, a, b, &segs);
  if (rc != 0) {
    inode_release(in);
    return rc;
  }
  /* Two neighbouring changes over zeros: zeroing their union undoes both. */
  if (same && !segs && !t->segs && a <= t->b && b >= t->a) {
    if (a < t->a) t->a = a;
    if (b > t->b) t->b = b;
    goto merged;
  }
  struct rec *r = calloc(1, sizeof *r);
  if (!r) {
    free_segs(segs);
    inode_release(in);
    return -ENOMEM;
  }
  r->kind = R_DATA;
  r->in = in;
  r->old_size = size;
  r->a = a;
  r->b = b;
  r->segs = segs;
  r->last_off = run_off;
  r->last_len = is_write ? b - run_off : 0;
  rec_add(r);
  return 0;
merged:
  g.tail->last_off = run_off;
  g.tail->last_len = is_write ? b - run_off : 0;
  return 0;
}

static void undo_data(struct rec *r) {
  int fd = r->in->fd;
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  uint64_t cur = (uint64_t)st.st_size;
  if (cur != r->old_size && ftruncate(fd, (off_t)r->old_size) != 0) {
    warnf("undo: ftruncate of inode %ju failed: %s", (uintmax_t)r->in->ino, strerror(errno));
  }
  uint64_t end = r->b;
  if (end > r->old_size) end = r->old_size;
  if (end > cur) end = cur; /* past cur the ftruncate above left zeros */
  if (r->a < end) zero_range(fd, r->a, end - r->a);
  for (struct seg *s = r->segs; s; s = s->next) pwrite_all(fd, s->data, s->len, s->off);
}

/* The inode a name in dirfd points to, or 0. */
static ino_t ino_at(int dirfd, const char *name) {
  struct stat st;
  return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_ino : 0;
}

static void undo_entry(struct rec *r) {
  switch (r->kind) {
    case R_CREATE:
      if (ino_at(r->in->fd, r->name) == r->target) remove_tree(r->in->fd, r->name);
      else g.conflicts++;
      break;
    case R_REMOVE:
      if (renameat2(g.trash, r->trash, r->in->fd, r->name, RENAME_NOREPLACE) != 0) {
        g.conflicts++;
        remove_tree(g.trash, r->trash);
      }
      break;
    case R_RENAME:
      if (ino_at(r->in2->fd, r->name2) != r->target ||
          renameat2(r->in2->fd, r->name2, r->in->fd, r->name, RENAME_NOREPLACE) != 0) {
        g.conflicts++;
      }
      if (r->trash && renameat2(g.trash, r->trash, r->in2->fd, r->name2, RENAME_NOREPLACE) != 0) {
        g.conflicts++;
        remove_tree(g.trash, r->trash);
      }
      break;
    case R_DATA:
      break;
  }
}

/* Journals an entry change already made in the backing directory. */
static int journal_entry(enum kind kind, int dirfd, const char *name, int dirfd2,
                         const char *name2, ino_t target, char *trash) {
  int err = 0;
  struct rec *r = calloc(1, sizeof *r);
  if (!r) return -ENOMEM;
  r->kind = kind;
  r->in = inode_of(dirfd, true, &err);
  if (r->in && dirfd2 >= 0) {
    r->in->refs++; /* keep it while the second lookup may reuse the table */
    r->in2 = inode_of(dirfd2, true, &err);
    r->in->refs--;
  }
  r->name = strdup(name);
  r->name2 = name2 ? strdup(name2) : NULL;
  if (!r->in || (dirfd2 >= 0 && !r->in2) || !r->name || (name2 && !r->name2)) {
    /* The change stands but cannot be taken back: say so rather than fail the operation. */
    warnf("cannot journal a change of '%s': %s", name, strerror(err ? err : ENOMEM));
    if (r->in) inode_release(r->in);
    if (r->in2) inode_release(r->in2);
    free(r->name);
    free(r->name2);
    free(r);
    if (trash) remove_tree(g.trash, trash);
    free(trash);
    return 0;
  }
  r->target = target;
  r->trash = trash;
  g.run_ino = 0;
  rec_add(r);
  return 0;
}

/* An fsync of a file: its contents and size are durable. */
static void durable_file(int fd) {
  g.run_ino = 0;
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  struct inode *in = inode_find(st.st_ino);
  if (!in) return;
  in->refs++; /* the loop drops records; keep in alive until it ends */
  while (in->data_head) rec_drop(in->data_head, true);
  in->refs--;
  inode_release(in);
}

/* An fsync of a directory: its entries are durable (renames once both parents are). */
static void durable_dir(int fd) {
  g.run_ino = 0;
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  struct inode *in = inode_find(st.st_ino);
  if (!in) return;
  in->refs++;
  for (struct rec *r = g.ent_head, *n; r; r = n) {
    n = r->onext;
    if (r->in == in) r->synced1 = true;
    if (r->in2 == in) r->synced2 = true;
    bool done = r->kind == R_RENAME ? r->synced1 && (r->synced2 || r->in2 == r->in) : r->synced1;
    if (done) rec_drop(r, true);
  }
  in->refs--;
  inode_release(in);
}

static uint64_t rng_state;
static uint64_t rng_next(void) {
  uint64_t x = rng_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return rng_state = x;
}

/* The power cut: undo every pending record, newest first. */
static void power_cut(bool torn, uint64_t seed) {
  struct inode *torn_in = NULL;
  unsigned char *kept = NULL;
  uint64_t kept_off = 0, kept_len = 0;
  uint64_t undone = g.pending_data + g.pending_entries;
  if (torn) {
    rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
    for (struct rec *r = g.tail; r; r = r->prev) {
      if (r->kind != R_DATA) continue;
      if (r->last_len > 0) {
        uint64_t blocks = (r->last_len + 511) / 512; /* prefixes 0, 512, ... < last_len */
        kept_len = (rng_next() % blocks) * 512;
        kept_off = r->last_off;
        kept = kept_len ? malloc(kept_len) : NULL;
        if (kept && pread(r->in->fd, kept, kept_len, (off_t)kept_off) == (ssize_t)kept_len) {
          torn_in = r->in;
          torn_in->refs++;
        } else {
          free(kept);
          kept = NULL;
          kept_len = 0;
        }
      }
      break;
    }
  }
  while (g.tail) {
    struct rec *r = g.tail;
    if (r->kind == R_DATA) undo_data(r); else undo_entry(r);
    rec_drop(r, false);
  }
  if (torn_in) {
    pwrite_all(torn_in->fd, kept, kept_len, kept_off);
    torn_in->refs--;
    inode_release(torn_in);
  }
  free(kept);
  g.torn_kept = kept_len;
  remove_tree(g.root, TRASH_NAME);
  close(g.trash);
  g.trash = -1;
  g.cut = true;
  g.cuts++;
  if (torn) {
    warnf("power cut (torn, seed %" PRIu64 "): %" PRIu64 " changes undone, %" PRIu64
          " conflicts, kept %" PRIu64 " bytes of the last write at offset %" PRIu64,
          seed, undone, g.conflicts, kept_len, kept_off);
  } else {
    warnf("power cut: %" PRIu64 " changes undone, %" PRIu64 " conflicts", undone, g.conflicts);
  }
}

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
  /* A clean unmount: everything pending becomes durable. */
  while (g.head) rec_drop(g.head, true);
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
