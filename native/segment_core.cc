// See segment_core.h for the file format and the zero-copy contract.
#include "segment_core.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "fs_util.h"

namespace strand {
namespace {

// Growth: at least 64 KiB, doubling, at most 1 GiB at a time.
constexpr uint64_t kMinGrowth = 64 * 1024;
constexpr uint64_t kMaxGrowthStep = 1ull << 30;
// Address space reserved behind a writable mapping for in-place growth (64-bit only).
constexpr uint64_t kMinReservation = 256ull << 20;
// RSS bound: every kAdviseEvery bytes appended, release the pages more than kKeepBehind bytes
// behind the write head (see AdviseBehindHead).
constexpr uint64_t kAdviseEvery = 8ull << 20;
constexpr uint64_t kKeepBehind = 1ull << 20;
// Views at least this long release their pages when collected (ViewLease).
constexpr uint64_t kReleaseOnCollect = 256 * 1024;

int OpenRetry(const char* path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path, flags, mode);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

bool AllZero(const uint8_t* p, size_t n) {
  // n is small (one page at most); compare against the first byte then memcmp the rest.
  return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0);
}

}  // namespace

SegmentCore::SegmentCore(std::string path, bool readOnly, std::shared_ptr<CoreContext> context)
    : path_(std::move(path)),
      readOnly_(readOnly),
      context_(std::move(context)),
      pageSize_(PageSize()) {}

SegmentCore::~SegmentCore() { Close(); }

IoResult SegmentCore::Open(const Options& o, std::shared_ptr<CoreContext> context,
                           std::unique_ptr<SegmentCore>* out) {
  bool created = false;
  int fd;
  if (o.readOnly) {
    fd = OpenRetry(o.path.c_str(), O_RDONLY | O_CLOEXEC, 0);
  } else {
    // Try to create first, to know whether the directory entry is new (and needs a dir fsync).
    fd = OpenRetry(o.path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      created = true;
    } else if (errno == EEXIST) {
      fd = OpenRetry(o.path.c_str(), O_RDWR | O_CLOEXEC, 0);
    }
  }
  if (fd < 0) return IoResult::Fail(errno, "open", o.path);
  auto handle = std::make_shared<FileHandle>(fd, o.path);  // owns fd from here on
  handle->dirSyncPending.store(created && o.syncDirectoryOnCreate, std::memory_order_relaxed);
  // An existing file opened for writing may hold writes of an earlier handle (or process) that
  // never reached the disk: its first sync always fsyncs, as the portable backend's does.
  if (!o.readOnly && !created) handle->writeSeq.store(1, std::memory_order_relaxed);

  struct stat st;
  if (::fstat(fd, &st) != 0) return IoResult::Fail(errno, "fstat", o.path);
  if (!S_ISREG(st.st_mode)) return IoResult::Fail(EINVAL, "open", o.path, "not a regular file");
  const uint64_t fileLength = static_cast<uint64_t>(st.st_size);
  const uint64_t size = o.size < 0 ? fileLength : static_cast<uint64_t>(o.size);
  if (size > fileLength) {
    return IoResult::Fail(EINVAL, "open", o.path,
                          "requested size " + std::to_string(size) +
                              " is beyond the end of the file (" + std::to_string(fileLength) +
                              " bytes)");
  }

  std::unique_ptr<SegmentCore> core(new SegmentCore(o.path, o.readOnly, std::move(context)));
  core->inode_ = core->context_->inodes->Get(static_cast<uint64_t>(st.st_dev),
                                             static_cast<uint64_t>(st.st_ino));
  core->handle_ = std::move(handle);
  core->fileLength_ = fileLength;
  uint64_t capacity = fileLength;
  if (!o.readOnly) {
    const uint64_t wanted = std::max({o.preallocate, size, fileLength});
    if (wanted > fileLength) {
      capacity = AlignUp(wanted, core->pageSize_);
      IoResult r = ExtendFile(fd, o.path, fileLength, capacity);
      if (!r.ok()) return r;
      core->fileLength_ = capacity;
    }
  }
  if (capacity > 0) {
    IoResult r = core->MapFile(core->handle_, capacity, &core->mapping_);
    if (!r.ok()) return r;
  }
  core->capacity_ = capacity;
  core->size_ = size;
  if (!o.readOnly && size < fileLength) {
    // Bytes past the requested size (a torn tail, old preallocation) are dropped exactly as by
    // truncate(), so they can never be mistaken for batches by a later scan.
    core->size_ = fileLength;
    core->highWater_ = fileLength;
    IoResult r = core->Truncate(size);
    if (!r.ok()) return r;
  }
  core->highWater_ = core->size_;
  core->advisedTo_ = 0;
  *out = std::move(core);
  return IoResult::Ok();
}

IoResult SegmentCore::MapFile(const std::shared_ptr<FileHandle>& file, uint64_t bytes,
                             std::shared_ptr<Mapping>* out) const {
  const int fd = file->fd;
  const size_t mapped = AlignUp(bytes, pageSize_);
  if (readOnly_) {
    void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0);
    if (p == MAP_FAILED) return IoResult::Fail(errno, "mmap", path_);
    *out = std::make_shared<Mapping>(static_cast<uint8_t*>(p), mapped, mapped, file);
    return IoResult::Ok();
  }
  size_t reserve = mapped;
  if (sizeof(void*) == 8) {
    reserve = AlignUp(std::max<uint64_t>(kMinReservation, 2 * static_cast<uint64_t>(mapped)),
                      pageSize_);
  }
  void* base = ::mmap(nullptr, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                      -1, 0);
  if (base == MAP_FAILED) return IoResult::Fail(errno, "mmap", path_, "reserving address space");
  void* p = ::mmap(base, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED,
                   fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    ::munmap(base, reserve);
    return IoResult::Fail(err, "mmap", path_);
  }
  *out = std::make_shared<Mapping>(static_cast<uint8_t*>(base), mapped, reserve, file);
  return IoResult::Ok();
}

IoResult SegmentCore::Append(const Part* parts, size_t count, uint64_t* position) {
  if (closed_) return IoResult::Fail(EBADF, "append", path_, "the file is closed");
  if (readOnly_) return IoResult::Fail(EBADF, "append", path_, "the file is open read-only");
  uint64_t total = 0;
  for (size_t i = 0; i < count; i++) total += parts[i].length;
  *position = size_;
  if (total == 0) return IoResult::Ok();
  if (size_ + total > capacity_) {
    IoResult r = Grow(size_ + total);
    if (!r.ok()) return r;
  }
  // One copy, by pwritev into the page cache rather than memcpy into the mapping: a write()
  // fills pages without a page fault per 4 KiB (measured here: ~4x the throughput of memcpy
  // into fresh MAP_SHARED pages, which each take a fault and a page_mkwrite), and it leaves
  // no pages mapped into the process, so appends do not grow RSS. The mapping sees the bytes
  // at once (one page cache). Sources may be views of this very file: they lie in
  // [0, size_), the target beyond it.
  {
    struct iovec iov[64];
    size_t i = 0;
    uint64_t at = size_;
    while (i < count) {
      int n = 0;
      for (; i < count && n < 64; i++) {
        if (parts[i].length == 0) continue;
        iov[n].iov_base = const_cast<uint8_t*>(parts[i].data);
        iov[n].iov_len = parts[i].length;
        n++;
      }
      int first = 0;
      while (first < n) {
        ssize_t w = ::pwritev(handle_->fd, iov + first, n - first, static_cast<off_t>(at));
        if (w < 0) {
          if (errno == EINTR) continue;
          return IoResult::Fail(errno, "pwritev", path_);
        }
        at += static_cast<uint64_t>(w);
        // Skip what was written, possibly part of one iovec.
        while (w > 0 && first < n) {
          if (static_cast<size_t>(w) >= iov[first].iov_len) {
            w -= static_cast<ssize_t>(iov[first].iov_len);
            first++;
          } else {
            iov[first].iov_base = static_cast<uint8_t*>(iov[first].iov_base) + w;
            iov[first].iov_len -= static_cast<size_t>(w);
            w = 0;
          }
        }
      }
    }
  }
  size_ += total;
  highWater_ = std::max(highWater_, size_);
  // Published after the bytes: a sync that reads this sequence covers them.
  handle_->writeSeq.fetch_add(1, std::memory_order_release);
  sinceAdvise_ += total;
  if (sinceAdvise_ >= kAdviseEvery) AdviseBehindHead();
  return IoResult::Ok();
}

IoResult SegmentCore::Grow(uint64_t needed) {
  const uint64_t step = std::min(std::max(capacity_, kMinGrowth), kMaxGrowthStep);
  const uint64_t newCapacity = AlignUp(std::max(needed, capacity_ + step), pageSize_);
  // Reserve the blocks first: ENOSPC surfaces here as an error, not later as a SIGBUS.
  IoResult r = ExtendFile(handle_->fd, path_, fileLength_, newCapacity);
  if (!r.ok()) {
    struct stat st;
    if (::fstat(handle_->fd, &st) == 0) fileLength_ = static_cast<uint64_t>(st.st_size);
    return r;
  }
  fileLength_ = std::max(fileLength_, newCapacity);

  if (mapping_ && newCapacity <= mapping_->reserved) {
    // Map the new pages right after the old ones, inside the reservation.
    const size_t from = mapping_->mapped;
    void* p = ::mmap(mapping_->addr + from, newCapacity - from, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, handle_->fd,
                     static_cast<off_t>(from));
    if (p == MAP_FAILED) return IoResult::Fail(errno, "mmap", path_);
    mapping_->mapped = newCapacity;
    capacity_ = newCapacity;
    return IoResult::Ok();
  }
  std::shared_ptr<Mapping> fresh;
  r = MapFile(handle_, newCapacity, &fresh);
  if (!r.ok()) return r;
  if (mapping_ && mapping_.use_count() > 1) {
    // Views keep the old mapping alive; drop its resident pages now (they stay in the page
    // cache, and a view that reads them faults them back in).
    ::madvise(mapping_->addr, mapping_->mapped, MADV_DONTNEED);
  }
  mapping_ = std::move(fresh);
  capacity_ = newCapacity;
  advisedTo_ = AlignDown(size_, pageSize_);  // the new mapping has touched nothing yet
  return IoResult::Ok();
}

// Appends write through pwritev and map nothing, but views fault pages in as fetches read the
// recent tail, and those would otherwise stay mapped into the process for good. MADV_DONTNEED on
// the (private) file mapping removes our page table entries; the page cache pages stay, get
// written back as usual and can be reclaimed by the kernel like any cache (a page a view wrote
// into privately is discarded, which only undoes that stray write).
// Nothing is lost, and a view reading that range simply faults the page back in. The last
// kKeepBehind bytes are kept mapped because recent data is what fetches read next.
void SegmentCore::AdviseBehindHead() {
  sinceAdvise_ = 0;
  if (!mapping_ || size_ <= kKeepBehind) return;
  const uint64_t target = AlignDown(size_ - kKeepBehind, pageSize_);
  if (target > advisedTo_) {
    ::madvise(mapping_->addr + advisedTo_, target - advisedTo_, MADV_DONTNEED);
    advisedTo_ = target;
  }
}

IoResult SegmentCore::Truncate(uint64_t newSize) {
  if (closed_) return IoResult::Fail(EBADF, "truncate", path_, "the file is closed");
  if (readOnly_) return IoResult::Fail(EBADF, "truncate", path_, "the file is open read-only");
  if (newSize > size_) {
    return IoResult::Fail(EINVAL, "truncate", path_,
                          "cannot truncate to " + std::to_string(newSize) +
                              " bytes, beyond the size " + std::to_string(size_));
  }
  if (newSize == size_ && highWater_ <= size_) return IoResult::Ok();
  if (inode_->MaxViewEnd() > newSize) return ReplaceFile(newSize);
  ZeroRange(newSize, highWater_);
  size_ = newSize;
  highWater_ = newSize;
  advisedTo_ = std::min(advisedTo_, AlignDown(newSize, pageSize_));
  handle_->writeSeq.fetch_add(1, std::memory_order_release);
  return IoResult::Ok();
}

// Zero [from, to) of the file without changing its length (so no mapping can SIGBUS). First
// choice: FALLOC_FL_ZERO_RANGE, which turns the blocks into unwritten extents (no data I/O) and
// updates the page cache, hence every mapping of the file. Where the filesystem lacks it
// (tmpfs...), pwrite zeros (never through the mapping: it is private, see segment_core.h),
// skipping pages already zero so a large, mostly untouched preallocated tail is not dirtied
// (and holes are not filled).
void SegmentCore::ZeroRange(uint64_t from, uint64_t to) {
  if (to <= from || !mapping_) return;
  // Nothing to do where the range reads as zeros already (recovery truncating a preallocated
  // tail): the fallocate would still cost a journal transaction per segment.
  if (ReadsAsZeros(from, to)) return;
#if defined(__linux__) && defined(FALLOC_FL_ZERO_RANGE)
  int rc;
  do {
    rc = ::fallocate(handle_->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                     static_cast<off_t>(from), static_cast<off_t>(to - from));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return;
#endif
  uint64_t pos = from;
  while (pos < to) {
    const uint64_t chunkEnd = std::min(to, AlignDown(pos, pageSize_) + pageSize_);
    uint8_t* p = mapping_->addr + pos;
    const size_t n = static_cast<size_t>(chunkEnd - pos);
    if (!AllZero(p, n)) {
      static const uint8_t kZeros[65536] = {};
      size_t done = 0;
      while (done < n) {
        const ssize_t w = ::pwrite(handle_->fd, kZeros, std::min(n - done, sizeof kZeros),
                                   static_cast<off_t>(pos + done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;  // nothing better to do: the logical size already excludes these bytes
        done += static_cast<size_t>(w);
      }
    }
    pos = chunkEnd;
  }
  // Reading the range faulted its pages in; give them back.
  const uint64_t first = AlignUp(from, pageSize_);
  if (to > first) ::madvise(mapping_->addr + first, AlignDown(to - first, pageSize_), MADV_DONTNEED);
}

// Truncation under live views: bytes a view can still read must not change, so instead of
// editing this inode, write the kept prefix to a new file and rename it over the path. Old
// views keep the old inode (unlinked by the rename) and its mapping until they are collected.
// The new file is fdatasync'ed before the rename, so a crash can only ever find the old file
// or the complete new one; the rename itself becomes durable with the next sync() (the
// directory fsync is flagged on the new handle). This copies up to a segment's size on the JS
// thread, but only happens when a truncation hits data a response in flight is still sending.
IoResult SegmentCore::ReplaceFile(uint64_t keep) {
  struct stat st;
  if (::fstat(handle_->fd, &st) != 0) return IoResult::Fail(errno, "fstat", path_);
  std::random_device entropy;
  std::string tmpPath;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; attempt++) {
    tmpPath = path_ + ".strand-swap-" + std::to_string(::getpid()) + "-" +
              std::to_string(entropy());
    fd = OpenRetry(tmpPath.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return IoResult::Fail(errno, "open", tmpPath);
  auto handle = std::make_shared<FileHandle>(fd, path_);
  auto fail = [&](IoResult r) {
    ::unlink(tmpPath.c_str());
    return r;
  };

  IoResult r = CopyPrefix(handle_->fd, fd, keep, tmpPath);
  if (!r.ok()) return fail(r);
  r = ExtendFile(fd, tmpPath, keep, capacity_);
  if (!r.ok()) return fail(r);
  const int syncErr = DataSync(fd);
  context_->fsyncs.fetch_add(1, std::memory_order_relaxed);
  if (syncErr != 0) return fail(IoResult::Fail(syncErr, "fdatasync", tmpPath));
  std::shared_ptr<Mapping> fresh;
  if (capacity_ > 0) {
    r = MapFile(handle, capacity_, &fresh);
    if (!r.ok()) return fail(r);
  }
  struct stat nst;
  if (::fstat(fd, &nst) != 0) return fail(IoResult::Fail(errno, "fstat", tmpPath));
  if (::rename(tmpPath.c_str(), path_.c_str()) != 0) {
    return fail(IoResult::Fail(errno, "rename", tmpPath, "over " + path_));
  }

  // Committed: switch to the new file. Pending syncs keep the old handle and finish on it.
  handle->writeSeq.store(1, std::memory_order_relaxed);  // forces the next sync to run (dir fsync)
  handle->dirSyncPending.store(true, std::memory_order_relaxed);
  handle_ = std::move(handle);
  mapping_ = std::move(fresh);
  inode_ = context_->inodes->Get(static_cast<uint64_t>(nst.st_dev),
                                 static_cast<uint64_t>(nst.st_ino));
  size_ = keep;
  highWater_ = keep;
  fileLength_ = std::max(keep, capacity_);
  advisedTo_ = AlignDown(keep, pageSize_);  // written with write(), never touched via mapping
  return IoResult::Ok();
}

ViewLease* SegmentCore::View(uint64_t position, uint64_t length, const uint8_t** data) {
  *data = mapping_->addr + position;
  auto* lease = new ViewLease(mapping_, inode_, position + length);
  if (length >= kReleaseOnCollect) {
    lease->releaseFrom = AlignUp(position, pageSize_);
    lease->releaseTo = AlignDown(position + length, pageSize_);
  }
  viewedFrom_ = std::min(viewedFrom_, position);
  viewedTo_ = std::max(viewedTo_, position + length);
  viewedSinceRelease_ += length;
  if (viewedSinceRelease_ >= kAdviseEvery) ReleaseViewed();
  return lease;
}

// By pread, not memcpy from the mapping: the bytes a scan reads were most often just appended
// with pwritev, which maps nothing, so a memcpy took a page fault (and put page table entries in
// place) for each header it read, where pread copies from the same page cache with one syscall.
// Measured on the fetch path at 1 M records/s produced and consumed: the copies went from 10.6%
// of the broker's JavaScript thread to 3.7%. memcpy only if pread fails (it cannot for bytes
// below size_, short of an I/O error the mapping would turn into a SIGBUS anyway).
void SegmentCore::CopyTo(uint64_t position, uint64_t length, uint8_t* target) const {
  uint64_t done = 0;
  while (done < length) {
    const ssize_t r = ::pread(handle_->fd, target + done, static_cast<size_t>(length - done),
                              static_cast<off_t>(position + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    done += static_cast<uint64_t>(r);
  }
  if (done < length) std::memcpy(target + done, mapping_->addr + position + done, length - done);
}

// Whether [from, to) reads as zeros, reading only where the file system says data may lie.
// lseek(SEEK_DATA / SEEK_HOLE) skips holes and extents reserved by posix_fallocate and never
// written (unless pages of them are cached), so for the preallocated tail of a crashed segment,
// which recovery asks about and then truncates, the answer costs a few syscalls instead of
// reading (and faulting into the page cache) the whole tail. The data ranges are all found
// before any is read: reading one makes the kernel read ahead into the next hole, which would
// then be reported as data too. Where lseek cannot tell, every byte is compared.
bool SegmentCore::ReadsAsZeros(uint64_t from, uint64_t to) const {
  if (to <= from) return true;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
#if defined(SEEK_DATA) && defined(SEEK_HOLE)
  for (uint64_t pos = from; pos < to;) {
    const off_t data = ::lseek(handle_->fd, static_cast<off_t>(pos), SEEK_DATA);
    if (data < 0) {
      if (errno != ENXIO) ranges.emplace_back(pos, to);  // no answer: compare the rest
      break;
    }
    const uint64_t start = std::max(pos, static_cast<uint64_t>(data));
    if (start >= to) break;
    const off_t hole = ::lseek(handle_->fd, static_cast<off_t>(start), SEEK_HOLE);
    const uint64_t end = hole < 0 ? to : std::min(to, std::max(start + 1, static_cast<uint64_t>(hole)));
    ranges.emplace_back(start, end);
    pos = end;
  }
#else
  ranges.emplace_back(from, to);
#endif
  static const uint8_t kZeros[4096] = {};
  for (const auto& [start, end] : ranges) {
    for (uint64_t at = start; at < end;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof kZeros, end - at));
      if (std::memcmp(mapping_->addr + at, kZeros, n) != 0) return false;
      at += n;
    }
  }
  return true;
}

bool SegmentCore::ZeroFrom(uint64_t position) const { return ReadsAsZeros(position, size_); }

// Reads fault pages into the mapping as fetches send views of it, and those pages would stay
// mapped, counted in the process's RSS, until the segment is closed: a consumer reading a 1 GiB
// segment from the start grew the broker's RSS by 1 GiB. Two releases bound it (MADV_DONTNEED:
// as in AdviseBehindHead, the pages stay in the page cache and fault back in when read again):
//  - every kAdviseEvery bytes viewed, the range viewed in the period before this one, so the
//    views of the last period (maybe still queued on a socket) keep their pages;
//  - a large view's own range when it is collected (ViewLease), for pages a queued view faulted
//    in after its period was released.
// Sealed segments are MAP_PRIVATE and never written through views, so this drops clean file
// pages there too.
void SegmentCore::ReleaseViewed() {
  const uint64_t from = AlignUp(releasedFrom_, pageSize_);
  const uint64_t to = AlignDown(std::min<uint64_t>(releasedTo_, mapping_->mapped), pageSize_);
  if (to > from) ::madvise(mapping_->addr + from, to - from, MADV_DONTNEED);
  releasedFrom_ = viewedFrom_;
  releasedTo_ = viewedTo_;
  viewedSinceRelease_ = 0;
  viewedFrom_ = UINT64_MAX;
  viewedTo_ = 0;
}

IoResult SegmentCore::Close() {
  if (closed_) return IoResult::Ok();
  closed_ = true;
  IoResult result;
  // Trim the preallocated tail. Safe under live views: none reaches beyond size_ (truncate
  // guarantees it), and the mapping's pages past the new end are simply never read.
  if (!readOnly_ && handle_ && fileLength_ != size_ && inode_->MaxViewEnd() <= size_) {
    int rc;
    do {
      rc = ::ftruncate(handle_->fd, static_cast<off_t>(size_));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      result = IoResult::Fail(errno, "ftruncate", path_);
    } else {
      fileLength_ = size_;
      // Make the trim part of what the next sync of this fd (if one is pending) covers.
      handle_->writeSeq.fetch_add(1, std::memory_order_release);
    }
  }
  mapping_.reset();
  inode_.reset();
  handle_.reset();  // the fd closes now, or when the last pending sync on it completes
  return result;
}

}  // namespace strand
