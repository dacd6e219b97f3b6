/* powercutfs: the undo journal (see powercutfs.c for the model). */
#include "powercutfs.h"

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

static void forget_if_unlinked(ino_t ino);

/* Forgets a record; with purge, a change now durable also empties its trash entry. */
static void rec_drop(struct rec *r, bool purge) {
  list_unlink(r);
  olist_unlink(r);
  if (r->kind == R_DATA) g.pending_data--; else g.pending_entries--;
  ino_t removed = 0;
  if (purge && r->trash) {
    struct stat st;
    if (fstatat(g.trash, r->trash, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) removed = st.st_ino;
    remove_tree(g.trash, r->trash);
  }
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
  if (removed) forget_if_unlinked(removed);
}

/*
 * A file whose last name is durably gone can never be seen again: its pending writes need no
 * undo, and dropping them closes our descriptor so its space is freed (deleted segments).
 */
static void forget_if_unlinked(ino_t ino) {
  struct inode *in = inode_find(ino);
  struct stat st;
  if (!in || fstat(in->fd, &st) != 0 || st.st_nlink > 0) return;
  in->refs++;
  while (in->data_head) rec_drop(in->data_head, false);
  in->refs--;
  inode_release(in);
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
int journal_data(int fd, uint64_t a, uint64_t b, bool is_write) {
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
int journal_entry(enum kind kind, int dirfd, const char *name, int dirfd2,
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
void durable_file(int fd) {
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
void durable_dir(int fd) {
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
void power_cut(bool torn, uint64_t seed) {
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


/* A clean unmount: everything pending becomes durable. */
void durable_all(void) {
  while (g.head) rec_drop(g.head, true);
}
