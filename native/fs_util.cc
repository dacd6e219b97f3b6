#include "fs_util.h"

#include <errno.h>

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strand {

size_t PageSize() {
  const long page = ::sysconf(_SC_PAGESIZE);
  return page > 0 ? static_cast<size_t>(page) : 4096;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

IoResult ExtendFile(int fd, const std::string& path, uint64_t from, uint64_t to) {
  if (to <= from) return IoResult::Ok();
#if defined(__APPLE__)
  int rc = EOPNOTSUPP;  // no posix_fallocate
#else
  int rc;
  do {
    rc = ::posix_fallocate(fd, static_cast<off_t>(from), static_cast<off_t>(to - from));
  } while (rc == EINTR);
#endif
  if (rc == 0) return IoResult::Ok();
  if (rc != EOPNOTSUPP && rc != EINVAL && rc != ENOSYS) {
    return IoResult::Fail(rc, "posix_fallocate", path);
  }
  // No preallocation on this filesystem: extend sparsely. Writes can then still hit ENOSPC at
  // page-fault time, which is the best such a filesystem allows.
  int err = 0;
  do {
    err = ::ftruncate(fd, static_cast<off_t>(to)) == 0 ? 0 : errno;
  } while (err == EINTR);
  return err == 0 ? IoResult::Ok() : IoResult::Fail(err, "ftruncate", path);
}

int DataSync(int fd) {
  int rc;
  do {
#if defined(__APPLE__)
    rc = ::fsync(fd);
#else
    rc = ::fdatasync(fd);
#endif
  } while (rc != 0 && errno == EINTR);
  return rc == 0 ? 0 : errno;
}

int SyncParentDirectory(const std::string& path) { return SyncDirectory(DirName(path)); }

int SyncDirectory(const std::string& dir) {
  int fd;
  do {
    fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return errno;
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  const int err = rc == 0 ? 0 : errno;
  ::close(fd);
  // Some filesystems cannot fsync a directory (EINVAL); there is nothing more to do there.
  return err == EINVAL ? 0 : err;
}

IoResult CopyPrefix(int src, int dst, uint64_t length, const std::string& dstPath) {
  uint64_t done = 0;
#if defined(__linux__)
  while (done < length) {
    loff_t inOff = static_cast<loff_t>(done);
    loff_t outOff = static_cast<loff_t>(done);
    const ssize_t n = ::copy_file_range(src, &inOff, dst, &outOff, length - done, 0);
    if (n > 0) {
      done += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // unsupported here (EXDEV, ENOSYS, EINVAL...) or short: finish with pread + pwrite
  }
#endif
  static thread_local uint8_t buffer[1 << 16];
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buffer, length - done));
    const ssize_t r = ::pread(src, buffer, want, static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return IoResult::Fail(r < 0 ? errno : EIO, "read", dstPath, "copying the kept prefix");
    size_t written = 0;
    while (written < static_cast<size_t>(r)) {
      const ssize_t w = ::pwrite(dst, buffer + written, static_cast<size_t>(r) - written,
                                 static_cast<off_t>(done + written));
      if (w < 0) {
        if (errno == EINTR) continue;
        return IoResult::Fail(errno, "write", dstPath);
      }
      written += static_cast<size_t>(w);
    }
    done += static_cast<uint64_t>(r);
  }
  return IoResult::Ok();
}

std::string ErrnoName(int e) {
  switch (e) {
#define STRAND_ERRNO(name) \
  case name:               \
    return #name;
    STRAND_ERRNO(EPERM)
    STRAND_ERRNO(ENOENT)
    STRAND_ERRNO(EINTR)
    STRAND_ERRNO(EIO)
    STRAND_ERRNO(EBADF)
    STRAND_ERRNO(EAGAIN)
    STRAND_ERRNO(ENOMEM)
    STRAND_ERRNO(EACCES)
    STRAND_ERRNO(EFAULT)
    STRAND_ERRNO(EBUSY)
    STRAND_ERRNO(EEXIST)
    STRAND_ERRNO(EXDEV)
    STRAND_ERRNO(ENODEV)
    STRAND_ERRNO(ENOTDIR)
    STRAND_ERRNO(EISDIR)
    STRAND_ERRNO(EINVAL)
    STRAND_ERRNO(ENFILE)
    STRAND_ERRNO(EMFILE)
    STRAND_ERRNO(ETXTBSY)
    STRAND_ERRNO(EFBIG)
    STRAND_ERRNO(ENOSPC)
    STRAND_ERRNO(ESPIPE)
    STRAND_ERRNO(EROFS)
    STRAND_ERRNO(ENAMETOOLONG)
    STRAND_ERRNO(ENOSYS)
    STRAND_ERRNO(ELOOP)
    STRAND_ERRNO(EOVERFLOW)
    STRAND_ERRNO(EOPNOTSUPP)
    STRAND_ERRNO(EDQUOT)
#undef STRAND_ERRNO
    default:
      return "E" + std::to_string(e);
  }
}

}  // namespace strand
