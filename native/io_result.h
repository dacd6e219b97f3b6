// The outcome of a file operation, as plain data. The file layer (segment_core, flusher) runs
// without touching JS; it reports failures with this struct, and the JS-facing code
// (addon.cc) turns it into a StorageIOError on the JS thread.
#pragma once

#include <string>

namespace strand {

struct IoResult {
  int error = 0;        // errno value; 0 = success
  const char* syscall = nullptr;  // e.g. "fallocate"; static string
  std::string path;     // the file concerned
  std::string detail;   // extra words for the message, may be empty

  bool ok() const { return error == 0; }

  static IoResult Ok() { return {}; }
  static IoResult Fail(int err, const char* call, std::string file, std::string more = {}) {
    IoResult r;
    r.error = err;
    r.syscall = call;
    r.path = std::move(file);
    r.detail = std::move(more);
    return r;
  }
};

// "ENOSPC" for ENOSPC, or "E<n>" for codes not listed.
std::string ErrnoName(int error);

}  // namespace strand
