// SegmentCore: one append-only file (a log segment or an index), mmap'd, with zero-copy views.
// Plain C++, no Node-API: segment_file.cc wraps it for JS.
//
// On disk: the file holds exactly the bytes appended, [0, size). While open for writing it is
// longer: [size, capacity) is preallocated (posix_fallocate) so appends (pwritev into the page
// cache, see Append) land in already-reserved blocks, and those bytes are always zero. close() trims to `size`.
//
// In memory: the file is mapped MAP_PRIVATE, readable and writable, for every file, active ones
// included. Nothing here ever writes through the mapping (appends and zeroing use pwritev /
// pwrite / fallocate, which go to the page cache the mapping reads), so the mapping needs no
// write access to the file; it only exists for views. A JS write into a view Buffer then never
// reaches the file (it copies that page privately, copy-on-write) and never crashes the process
// (a PROT_READ mapping would SIGSEGV it: Node cannot make a Buffer read-only). Until that page
// is released (MADV_DONTNEED, see ReleaseViewed / AdviseBehindHead) later views of it in this
// process see the private copy: writing into a view is a caller's bug whose damage stays in
// memory. Unwritten private pages are the page cache's own pages, so views see appends at once.
// The mapping sits at the start of a larger PROT_NONE reservation so growth maps new pages in
// place.
//
// The zero-copy contract: a view [p, p+n) is a Buffer over the mapping and its bytes never
// change and never fault, whatever happens to the file later, until the Buffer is collected.
//  * Appends only write at or beyond `size`, and views only cover [0, size): never overlap.
//  * A view holds its Mapping; munmap happens only after close() AND the last view is gone.
//  * truncate(n) zeroes [n, old size) in place only when no live view of this inode reaches
//    beyond n. Otherwise it copies [0, n) to a new file, renames it over the path and switches
//    to it; the views keep the old (now unlinked) inode and its mapping.
//  * The file is never shrunk below the end of a live view (that would SIGBUS it): close()
//    trims to `size`, and by the rule above no live view reaches beyond `size`.
//  * Deleting the file (unlink) is always safe: the inode lives while it is mapped.
//
// Thread-safety: one JS thread calls everything here. The flusher thread only sees the
// FileHandle (fd + atomic sequence numbers).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "file_state.h"
#include "io_result.h"

namespace strand {

// State shared by every SegmentCore of one addon instance.
struct CoreContext {
  std::shared_ptr<InodeRegistry> inodes = std::make_shared<InodeRegistry>();
  std::atomic<uint64_t> fsyncs{0};  // every fsync this addon instance issued (data and directories)
  // Test-only fault switch (STRAND_FAULT_SKIP_FSYNC=dir, set once by initialize): the directory
  // fsync that follows the first data sync of a new file is skipped, reporting success.
  std::atomic<bool> skipDirSync{false};
};

class SegmentCore {
 public:
  struct Options {
    std::string path;
    uint64_t preallocate = 0;
    int64_t size = -1;  // -1: the file's length
    bool readOnly = false;
    bool syncDirectoryOnCreate = true;
  };
  struct Part {
    const uint8_t* data;
    size_t length;
  };

  static IoResult Open(const Options& options, std::shared_ptr<CoreContext> context,
                       std::unique_ptr<SegmentCore>* out);
  ~SegmentCore();  // closes if still open (errors ignored)
  SegmentCore(const SegmentCore&) = delete;
  SegmentCore& operator=(const SegmentCore&) = delete;

  // Copies the parts, in order, to [size, size + total). Sets *position to the old size.
  IoResult Append(const Part* parts, size_t count, uint64_t* position);
  // Requires newSize <= size.
  IoResult Truncate(uint64_t newSize);
  // Trims the file to size and releases fd and mapping (views keep the mapping).
  IoResult Close();
  // Requires an open file and position + length <= size, length > 0. Caller deletes the lease
  // when the view is collected.
  ViewLease* View(uint64_t position, uint64_t length, const uint8_t** data);
  // Copies [position, position + length), inside [0, size()), into target.
  void CopyTo(uint64_t position, uint64_t length, uint8_t* target) const;
  // Whether [position, size) reads as zeros (position <= size), reading only where the file
  // system says data may lie.
  bool ZeroFrom(uint64_t position) const;

  bool closed() const { return closed_; }
  bool readOnly() const { return readOnly_; }
  uint64_t size() const { return size_; }
  uint64_t capacity() const { return capacity_; }
  const std::string& path() const { return path_; }
  // The fd holder, for sync requests; null once closed.
  const std::shared_ptr<FileHandle>& handle() const { return handle_; }

 private:
  SegmentCore(std::string path, bool readOnly, std::shared_ptr<CoreContext> context);

  IoResult MapFile(const std::shared_ptr<FileHandle>& file, uint64_t bytes,
                   std::shared_ptr<Mapping>* out) const;
  IoResult Grow(uint64_t needed);
  void ZeroRange(uint64_t from, uint64_t to);
  bool ReadsAsZeros(uint64_t from, uint64_t to) const;
  IoResult ReplaceFile(uint64_t keep);
  void AdviseBehindHead();
  void ReleaseViewed();

  const std::string path_;
  const bool readOnly_;
  const std::shared_ptr<CoreContext> context_;
  const size_t pageSize_;
  bool closed_ = false;

  std::shared_ptr<FileHandle> handle_;
  std::shared_ptr<Mapping> mapping_;  // null while capacity_ == 0
  std::shared_ptr<Inode> inode_;
  uint64_t size_ = 0;        // logical size
  uint64_t capacity_ = 0;    // bytes of the file usable through mapping_
  uint64_t fileLength_ = 0;  // the file's length on disk
  uint64_t highWater_ = 0;   // bytes [size_, highWater_) may be non-zero (written, then dropped)
  uint64_t advisedTo_ = 0;   // [0, advisedTo_) of mapping_ already released with MADV_DONTNEED
  uint64_t sinceAdvise_ = 0; // bytes appended since the last AdviseBehindHead
  // Views handed out since the last ReleaseViewed: how many bytes, and the file range they span;
  // and the range of the period before, which the next ReleaseViewed drops.
  uint64_t viewedSinceRelease_ = 0;
  uint64_t viewedFrom_ = UINT64_MAX;
  uint64_t viewedTo_ = 0;
  uint64_t releasedFrom_ = 0;
  uint64_t releasedTo_ = 0;
};

}  // namespace strand
