/*
 * powercutfs: declarations shared by its parts (see powercutfs.c for the model).
 *   backing.c  helpers on the backing directory
 *   journal.c  the undo journal: records, pre-images, fsync, the power cut
 *   powercutfs.c  the FUSE operations and main
 */
#ifndef POWERCUTFS_H
#define POWERCUTFS_H

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

struct state {
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
};

extern struct state g;

/* backing.c */
void warnf(const char *fmt, ...);
const char *rel(const char *path);
bool is_control(const char *path);
bool is_hidden(const char *path);
int open_parent(const char *path, char *buf, size_t cap, const char **name);
int pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
void zero_range(int fd, uint64_t off, uint64_t len);
void remove_tree(int dir, const char *name);
bool dir_is_empty(int dirfd, const char *name);
char *to_trash(int dirfd, const char *name);
ino_t ino_at(int dirfd, const char *name);

/* journal.c */
int journal_data(int fd, uint64_t a, uint64_t b, bool is_write);
int journal_entry(enum kind kind, int dirfd, const char *name, int dirfd2, const char *name2,
                  ino_t target, char *trash);
void durable_file(int fd);
void durable_dir(int fd);
void durable_all(void);
void power_cut(bool torn, uint64_t seed);

#endif
