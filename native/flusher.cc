#include "flusher.h"

#include <errno.h>

#include <algorithm>

#include "fs_util.h"

namespace strand {

Flusher::Flusher(Deliver deliver, std::atomic<uint64_t>* fsyncCounter,
                 const std::atomic<bool>* skipDirSync)
    : deliver_(std::move(deliver)),
      fsyncs_(fsyncCounter),
      skipDirSync_(skipDirSync),
      thread_([this] { Run(); }) {}

Flusher::~Flusher() { Stop(); }

void Flusher::Enqueue(Request request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
}

void Flusher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void Flusher::Run() {
  std::vector<Request> batch;
  std::vector<Outcome> files;  // distinct files of the batch, sorted by address
  std::vector<std::pair<std::string, int>> dirs;  // distinct directories of the batch, and errno
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to answer
      batch.swap(queue_);
    }
    // One fsync per distinct file in the batch.
    files.clear();
    dirs.clear();
    for (const Request& r : batch) {
      if (r.file) {
        files.push_back({r.file.get(), 0, nullptr});
      } else if (std::find_if(dirs.begin(), dirs.end(),
                              [&r](const auto& d) { return d.first == r.dir; }) == dirs.end()) {
        dirs.emplace_back(r.dir, 0);
      }
    }
    auto byFile = [](const Outcome& a, const Outcome& b) { return a.file < b.file; };
    std::sort(files.begin(), files.end(), byFile);
    files.erase(std::unique(files.begin(), files.end(),
                            [](const Outcome& a, const Outcome& b) { return a.file == b.file; }),
                files.end());
    for (Outcome& o : files) SyncFile(&o);
    for (auto& d : dirs) {
      d.second = SyncDirectory(d.first);
      fsyncs_->fetch_add(1, std::memory_order_relaxed);
    }

    auto* results = new Batch();
    results->reserve(batch.size());
    for (const Request& r : batch) {
      if (!r.file) {
        const auto d = std::find_if(dirs.begin(), dirs.end(),
                                    [&r](const auto& e) { return e.first == r.dir; });
        if (d->second == 0) results->push_back({r.id, 0, nullptr, {}});
        else results->push_back({r.id, d->second, "fsync", r.dir});
        continue;
      }
      const Outcome& o =
          *std::lower_bound(files.begin(), files.end(), Outcome{r.file.get(), 0, nullptr}, byFile);
      if (r.seq <= o.file->syncedSeq.load(std::memory_order_acquire)) {
        results->push_back({r.id, 0, nullptr, {}});
      } else {
        const int sticky = o.file->syncError.load(std::memory_order_acquire);
        const int err = o.error != 0 ? o.error : (sticky != 0 ? sticky : EIO);
        results->push_back({r.id, err, o.syscall ? o.syscall : "fdatasync", o.file->path});
      }
    }
    batch.clear();  // drops the handles: an fd whose file was closed meanwhile closes here
    deliver_(results);
  }
}

void Flusher::SyncFile(Outcome* o) {
  FileHandle* f = o->file;
  if (f->syncError.load(std::memory_order_acquire) != 0) return;
  // Everything published before this load is in the page cache; the fdatasync below starts
  // after it, so it covers it.
  const uint64_t target = f->writeSeq.load(std::memory_order_acquire);
  if (target <= f->syncedSeq.load(std::memory_order_relaxed)) return;
  const int err = DataSync(f->fd);
  fsyncs_->fetch_add(1, std::memory_order_relaxed);
  if (err != 0) {
    // Sticky: see FileHandle::syncError.
    int expected = 0;
    f->syncError.compare_exchange_strong(expected, err);
    o->error = err;
    o->syscall = "fdatasync";
    return;
  }
  if (f->dirSyncPending.exchange(false) && !skipDirSync_->load(std::memory_order_relaxed)) {
    const int dirErr = SyncParentDirectory(f->path);
    fsyncs_->fetch_add(1, std::memory_order_relaxed);
    if (dirErr != 0) {
      // Not sticky: the directory can be fsynced again by the next sync().
      f->dirSyncPending.store(true);
      o->error = dirErr;
      o->syscall = "fsync";
      return;
    }
  }
  // Only this thread raises syncedSeq, and writeSeq only grows: a plain store is a max.
  f->syncedSeq.store(target, std::memory_order_release);
}

}  // namespace strand
