// Flusher: the group-commit thread. One per addon instance, serving every file.
//
// sync() on the JS thread enqueues a Request {id, file handle, sequence to cover}. The thread
// wakes, takes everything queued, and fdatasyncs each distinct file once, then hands the
// whole batch of results to `deliver`, which (in addon.cc) posts it to the JS thread through a
// thread-safe function where the promises are settled. While one fdatasync runs, new requests
// pile up and are all answered by the next one: N concurrent sync() calls cost at most two
// fsyncs per file, however large N is. A file with nothing new since its last fsync
// (writeSeq <= syncedSeq) is not synced again.
//
// The thread never touches JS values: requests carry plain ids, results plain errno values.
// It starts lazily on the first request and is joined by Stop() (the addon's cleanup hook).
//
// A request may also name a directory instead of a file (`dir` set, `file` null): the
// directory is fsynced once per batch however many asked, after the batch's files, so a new or
// renamed entry and the data it names become durable off the event loop.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "file_state.h"

namespace strand {

class Flusher {
 public:
  struct Request {
    uint64_t id;
    std::shared_ptr<FileHandle> file;  // keeps the fd open until the fsync is done; null for a directory
    uint64_t seq;                      // file->writeSeq when sync() was called
    std::string dir;                   // a directory to fsync (file is null)
  };
  struct Result {
    uint64_t id;
    int error;            // 0, or the errno of the failed fdatasync
    const char* syscall;  // "fdatasync" or "fsync" (directory)
    std::string path;     // set on error
  };
  using Batch = std::vector<Result>;
  // Called on the flusher thread with a batch it must take ownership of.
  using Deliver = std::function<void(Batch*)>;

  // `fsyncCounter` counts every fsync issued (files and directories); `skipDirSync`, when set
  // (the test-only fault switch STRAND_FAULT_SKIP_FSYNC=dir), makes the implicit directory fsync
  // of a newly created file a silent no-op.
  Flusher(Deliver deliver, std::atomic<uint64_t>* fsyncCounter, const std::atomic<bool>* skipDirSync);
  ~Flusher();  // Stop()
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  void Enqueue(Request request);
  // Finishes what is queued, then joins the thread. Idempotent.
  void Stop();

 private:
  struct Outcome {
    FileHandle* file;
    int error;            // this round's failure, 0 if none
    const char* syscall;  // the call that failed
  };
  void Run();
  void SyncFile(Outcome* outcome);

  const Deliver deliver_;
  std::atomic<uint64_t>* const fsyncs_;
  const std::atomic<bool>* const skipDirSync_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Request> queue_;  // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  std::thread thread_;
};

}  // namespace strand
