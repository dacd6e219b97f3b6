// Shared state behind one SegmentFile, split by lifetime:
//
//  * FileHandle: the file descriptor. Held by the SegmentFile and by every sync request queued
//    on the flusher thread, so close() never closes an fd that an fdatasync is about to use.
//    Touched by two threads: the JS thread (append bumps writeSeq) and the flusher
//    (fdatasync, syncedSeq); the counters are atomics, fd/path are immutable.
//  * Mapping: one mmap of the file. Held by the SegmentFile while it maps it, and by every
//    Buffer view into it; munmap happens when the last holder lets go. JS thread only.
//  * Inode: the live views of one file (dev, ino) in this addon instance, by end offset, so a
//    truncate knows whether any live view would see bytes change. Shared by every SegmentFile
//    and view of that inode, found through the InodeRegistry. JS thread only.
//
// Views must stay valid however the file changes afterwards (truncate, delete, close): that is
// what makes handing mapped memory to sockets safe. The rules that guarantee it live in
// segment_core.cc.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

namespace strand {

struct FileHandle {
  FileHandle(int descriptor, std::string filePath) : fd(descriptor), path(std::move(filePath)) {}
  ~FileHandle() {
    if (fd >= 0) ::close(fd);
  }
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  const int fd;
  const std::string path;
  // Number of modifications (appends, truncates) so far. Written by the JS thread after the
  // bytes are in place; read by the flusher to know what an fdatasync will cover.
  std::atomic<uint64_t> writeSeq{0};
  // Highest writeSeq known durable. Written only by the flusher thread (and by the JS thread
  // before the handle is ever shared).
  std::atomic<uint64_t> syncedSeq{0};
  // First fdatasync failure, sticky. After a failed fsync Linux may mark the dirty pages clean,
  // so a later "successful" fsync proves nothing: once failed, every sync of this fd fails.
  std::atomic<int> syncError{0};
  // The file was created (or renamed into place) and its directory entry is not yet durable:
  // the next sync also fsyncs the parent directory.
  std::atomic<bool> dirSyncPending{false};
};

// A file mapping placed at the start of a larger reserved (PROT_NONE) address range, so the
// file can grow by mapping its new pages right after the old ones (MAP_FIXED into the
// reservation): the base address never moves and views taken before a growth stay on the same
// Mapping. Only when the reservation is exhausted does the file get a new Mapping.
//
// A Mapping also knows the FileHandle of the file it maps (weakly: views hold mappings, never
// descriptors), so while that file is open the bytes of a view can be found again as
// (descriptor, offset) and sent with sendfile (socket_send.cc). A truncation under live views
// gives the file a new handle and mapping; the old views' mapping keeps pointing at the old
// handle, which expires with it, and such views are then written from memory.
// Every Mapping is listed in MappedFiles while it lives.
struct Mapping {
  Mapping(uint8_t* address, size_t mappedBytes, size_t reservedBytes, std::shared_ptr<FileHandle> of);
  ~Mapping();
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;

  uint8_t* const addr;
  size_t mapped;         // bytes backed by the file (a multiple of the page size)
  const size_t reserved; // bytes of address space owned, >= mapped
  const std::weak_ptr<FileHandle> file;
};

// Every live Mapping by address, across the addon instances of all threads (hence the lock).
class MappedFiles {
 public:
  // The open file and offset behind [data, data + length) if it lies inside one mapping of a
  // file still open, else null.
  static std::shared_ptr<FileHandle> Find(const uint8_t* data, size_t length, uint64_t* offset);

 private:
  friend struct Mapping;
  static void Add(Mapping* m);
  static void Remove(Mapping* m);
};

class InodeRegistry;

class Inode {
 public:
  using ViewToken = std::multiset<uint64_t>::iterator;

  Inode(std::weak_ptr<InodeRegistry> registry, std::pair<uint64_t, uint64_t> key)
      : registry_(std::move(registry)), key_(key) {}
  ~Inode();
  Inode(const Inode&) = delete;
  Inode& operator=(const Inode&) = delete;

  ViewToken AddView(uint64_t end) { return viewEnds_.insert(end); }
  void RemoveView(ViewToken token) { viewEnds_.erase(token); }
  // End offset of the furthest-reaching live (not yet collected) view; 0 if none.
  uint64_t MaxViewEnd() const { return viewEnds_.empty() ? 0 : *viewEnds_.rbegin(); }

 private:
  std::multiset<uint64_t> viewEnds_;
  std::weak_ptr<InodeRegistry> registry_;
  std::pair<uint64_t, uint64_t> key_;
};

// (dev, ino) -> Inode, per addon instance. An inode number can be reused after a file is
// deleted while views of the old one live on; then both share one Inode, which only makes
// truncation more conservative (it sees views that are not really on this file), never unsafe.
class InodeRegistry : public std::enable_shared_from_this<InodeRegistry> {
 public:
  std::shared_ptr<Inode> Get(uint64_t dev, uint64_t ino) {
    const auto key = std::make_pair(dev, ino);
    auto& slot = inodes_[key];
    std::shared_ptr<Inode> inode = slot.lock();
    if (!inode) {
      inode = std::make_shared<Inode>(weak_from_this(), key);
      slot = inode;
    }
    return inode;
  }
  void Forget(std::pair<uint64_t, uint64_t> key) {
    auto it = inodes_.find(key);
    if (it != inodes_.end() && it->second.expired()) inodes_.erase(it);
  }

 private:
  std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<Inode>> inodes_;
};

// What one Buffer view holds: its mapping (kept mapped) and its registration on the inode (so
// truncation can see it). Deleted by the view's finalizer, on the JS thread.
struct ViewLease {
  ViewLease(std::shared_ptr<Mapping> m, std::shared_ptr<Inode> i, uint64_t end)
      : mapping(std::move(m)), inode(std::move(i)), token(inode->AddView(end)) {}
  ~ViewLease() {
    // A large view's pages leave this process's page tables when the view is collected: by
    // then the socket write or the reader that faulted them in is done. They stay in the page
    // cache; another view of the range faults them back in. (Skipped when this lease holds the
    // last reference: the mapping is about to be unmapped anyway.)
    const uint64_t to = releaseTo < mapping->mapped ? releaseTo : mapping->mapped;
    if (to > releaseFrom && mapping.use_count() > 1) {
      ::madvise(mapping->addr + releaseFrom, to - releaseFrom, MADV_DONTNEED);
    }
    inode->RemoveView(token);
  }
  ViewLease(const ViewLease&) = delete;
  ViewLease& operator=(const ViewLease&) = delete;

  const std::shared_ptr<Mapping> mapping;
  const std::shared_ptr<Inode> inode;
  // Bytes taken off V8's external memory count as the view was made (segment_file.cc).
  int64_t uncounted = 0;
  const Inode::ViewToken token;
  // Whole pages of the view to release on collection, [releaseFrom, releaseTo) of the mapping;
  // empty for small views (index probes, batch headers), which are not worth a system call.
  uint64_t releaseFrom = 0;
  uint64_t releaseTo = 0;
};

inline Inode::~Inode() {
  if (auto registry = registry_.lock()) registry->Forget(key_);
}

}  // namespace strand
