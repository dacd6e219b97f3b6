// Small POSIX helpers shared by the file layer: EINTR-safe wrappers and the few multi-step
// operations (extend with real blocks, make a rename durable). No JS, no state; callable from
// any thread.
#pragma once

#include <cstdint>
#include <string>

#include "io_result.h"

namespace strand {

size_t PageSize();
inline uint64_t AlignDown(uint64_t v, uint64_t page) { return v - (v % page); }
inline uint64_t AlignUp(uint64_t v, uint64_t page) { return AlignDown(v + page - 1, page); }

// Parent directory of `path` ("." when it has none).
std::string DirName(const std::string& path);

// Grow the file from `from` to `to` bytes with blocks actually reserved (posix_fallocate), so
// that running out of disk is an error here and never a SIGBUS when a mapped page is first
// written. Falls back to ftruncate (sparse) where the filesystem cannot preallocate.
IoResult ExtendFile(int fd, const std::string& path, uint64_t from, uint64_t to);

// fdatasync (fsync where fdatasync does not exist), retried on EINTR. Returns 0 or errno.
// Nothing writes file data through a mapping (mappings are private, see segment_core.h): the
// data lives in the page cache that pwrite filled, which this writes back.
int DataSync(int fd);

// fsync the directory holding `path`, so a create or rename in it survives a crash.
int SyncParentDirectory(const std::string& path);
// fsync the directory `dir` itself. Returns 0 or errno (0 where directories cannot be fsynced).
int SyncDirectory(const std::string& dir);

// Copy bytes [0, length) of `src` to `dst` (kernel-side with copy_file_range where possible,
// otherwise pread + pwrite; never from a mapping, whose private pages may differ from the file).
IoResult CopyPrefix(int src, int dst, uint64_t length, const std::string& dstPath);

}  // namespace strand
