#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "record_walk.h"
#include "segment_file.h"

namespace strand {
namespace {

size_t ElementSize(napi_typedarray_type type) {
  switch (type) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 0;
  }
}

Napi::Value ComputeCrc(const Napi::CallbackInfo& info, Crc32cFn fn) {
  Napi::Env env = info.Env();
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (info.Length() < 1 || !GetBytes(env, info[0], &data, &length)) {
    Napi::TypeError::New(env, "crc32c: data must be a Uint8Array").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  uint32_t seed = 0;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsNumber()) {
      Napi::TypeError::New(env, "crc32c: seed must be a number").ThrowAsJavaScriptException();
      return Napi::Value();
    }
    seed = info[1].As<Napi::Number>().Uint32Value();
  }
  return Napi::Number::New(env, fn(seed, data, length));
}

constexpr auto kEnumerable = static_cast<napi_property_attributes>(napi_enumerable);

bool ForceSoftwareCrc() {
  const char* v = std::getenv("STRAND_CRC32C");
  return v != nullptr && std::strcmp(v, "software") == 0;
}

}  // namespace

bool GetBytes(napi_env env, napi_value value, const uint8_t** data, size_t* length) {
  bool is = false;
  void* p = nullptr;
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t count = 0;
    if (napi_get_typedarray_info(env, value, &type, &count, &p, nullptr, nullptr) != napi_ok) {
      return false;
    }
    const size_t element = ElementSize(type);
    if (element == 0) return false;
    *data = static_cast<const uint8_t*>(p);
    *length = count * element;
    return true;
  }
  if (napi_is_dataview(env, value, &is) == napi_ok && is) {
    size_t bytes = 0;
    if (napi_get_dataview_info(env, value, &bytes, &p, nullptr, nullptr) != napi_ok) return false;
    *data = static_cast<const uint8_t*>(p);
    *length = bytes;
    return true;
  }
  return false;
}

StrandAddon::StrandAddon(Napi::Env env, Napi::Object exports)
    : crc_(SelectCrc32c(ForceSoftwareCrc())), crcSoftware_(SelectCrc32c(true)), env_(env) {
  DefineAddon(exports,
              {
                  InstanceMethod("initialize", &StrandAddon::Initialize, kEnumerable),
                  InstanceMethod("crc32c", &StrandAddon::Crc32c, kEnumerable),
                  InstanceMethod("crc32cSoftware", &StrandAddon::Crc32cSoftwareExport, kEnumerable),
                  InstanceMethod("fsyncCount", &StrandAddon::FsyncCount, kEnumerable),
                  InstanceMethod("duplicateFd", &StrandAddon::DuplicateFd, kEnumerable),
                  InstanceMethod("sendTo", &StrandAddon::SendTo, kEnumerable),
                  InstanceMethod("syncDirectory", &StrandAddon::SyncDirectoryExport, kEnumerable),
                  InstanceMethod("lockFile", &StrandAddon::LockFile, kEnumerable),
                  InstanceMethod("unlockFile", &StrandAddon::UnlockFile, kEnumerable),
                  InstanceMethod("recordSectionValid", &StrandAddon::RecordSectionValidExport,
                                 kEnumerable),
                  InstanceValue("crc32cImplementation", Napi::String::New(env, crc_.name),
                                kEnumerable),
                  InstanceValue("SegmentFile", SegmentFileWrap::Init(env), kEnumerable),
              });
}

StrandAddon::~StrandAddon() {
  // Normally the cleanup hook has already run (it is registered after the addon's own
  // teardown hook, so it runs first); this covers an instance freed some other way.
  if (cleanupHookAdded_ && !shutDown_) {
    napi_remove_env_cleanup_hook(env_, &StrandAddon::OnEnvCleanup, this);
    if (flusher_) flusher_->Stop();
  }
}

Napi::Value StrandAddon::Initialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "initialize: expected the StorageIOError class")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  errorClass_ = Napi::Persistent(info[0].As<Napi::Function>());
  context_->skipDirSync.store(info.Length() > 1 && info[1].ToBoolean().Value());
  return env.Undefined();
}

Napi::Value StrandAddon::Crc32c(const Napi::CallbackInfo& info) { return ComputeCrc(info, crc_.fn); }

Napi::Value StrandAddon::Crc32cSoftwareExport(const Napi::CallbackInfo& info) {
  return ComputeCrc(info, crcSoftware_.fn);
}

Napi::Value StrandAddon::FsyncCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           static_cast<double>(context_->fsyncs.load(std::memory_order_relaxed)));
}

// Arguments are checked by src/io/native.ts; the bounds are checked again here because a wrong
// one would read outside the buffer.
Napi::Value StrandAddon::RecordSectionValidExport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (info.Length() < 7 || !GetBytes(env, info[0], &data, &length)) {
    Napi::TypeError::New(env, "recordSectionValid: data must be a Uint8Array")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  RecordSectionSpec spec;
  spec.start = info[1].As<Napi::Number>().Int64Value();
  spec.end = info[2].As<Napi::Number>().Int64Value();
  spec.count = info[3].As<Napi::Number>().Int64Value();
  spec.lastDelta = info[4].As<Napi::Number>().Int64Value();
  spec.sequential = info[5].ToBoolean().Value();
  spec.keysRequired = info[6].ToBoolean().Value();
  return Napi::Boolean::New(env, RecordSectionValid(data, length, spec));
}

Napi::Value StrandAddon::DuplicateFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "duplicateFd: fd must be a number").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) {
    ThrowIoError(env, IoResult::Fail(errno, "fcntl", "fd " + std::to_string(fd), "F_DUPFD_CLOEXEC"));
    return Napi::Value();
  }
  return Napi::Number::New(env, copy);
}

Napi::Value StrandAddon::SyncDirectoryExport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "syncDirectory: dir must be a string").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  return RequestDirSync(env, info[0].As<Napi::String>().Utf8Value());
}

// flock, not fcntl locks: an fcntl lock belongs to the process and is dropped when ANY fd of
// the file is closed (e.g. a stray open/close of `.lock`), while a flock belongs to the open file
// description and goes away only with the last fd of it, or with the process.
Napi::Value StrandAddon::LockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "lockFile: path must be a string").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  const std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    ThrowIoError(env, IoResult::Fail(errno, "open", path));
    return Napi::Value();
  }
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) return Napi::Number::New(env, -1);
    ThrowIoError(env, IoResult::Fail(err, "flock", path));
    return Napi::Value();
  }
  // The pid is only for messages ("pid N holds it"): the lock is the flock.
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    const int err = errno;
    ::close(fd);
    ThrowIoError(env, IoResult::Fail(err, "write", path));
    return Napi::Value();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value StrandAddon::UnlockFile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "unlockFile: fd must be a number").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  // Emptied, not removed: unlinking a flocked file lets a newcomer lock a fresh inode while a
  // process that opened the old one still locks that one (Kafka keeps its .lock file too).
  (void)::ftruncate(fd, 0);
  ::close(fd);
  return env.Undefined();
}

Napi::Value StrandAddon::MakeIoError(Napi::Env env, const IoResult& err) {
  std::string message = std::string(err.syscall ? err.syscall : "io") + " '" + err.path +
                        "' failed: " + std::strerror(err.error) + " (" + ErrnoName(err.error) + ")";
  if (!err.detail.empty()) message += "; " + err.detail;
  Napi::Object error;
  if (!errorClass_.IsEmpty()) {
    error = errorClass_.New({Napi::String::New(env, message), Napi::String::New(env, err.path)});
    if (env.IsExceptionPending()) return Napi::Value();
  } else {
    error = Napi::Error::New(env, message).Value();
    error.Set("code", "ERR_STRAND_IO");
    error.Set("path", err.path);
  }
  error.Set("syscall", err.syscall ? err.syscall : "io");
  error.Set("errno", Napi::Number::New(env, err.error));
  error.Set("osCode", ErrnoName(err.error));
  return error;
}

void StrandAddon::ThrowIoError(Napi::Env env, const IoResult& err) {
  Napi::Value error = MakeIoError(env, err);
  if (!error.IsEmpty()) Napi::Error(env, error).ThrowAsJavaScriptException();
}

Napi::Value StrandAddon::RequestSync(Napi::Env env, std::shared_ptr<FileHandle> file) {
  auto deferred = Napi::Promise::Deferred::New(env);
  const int sticky = file->syncError.load(std::memory_order_acquire);
  if (sticky != 0) {
    Napi::Value error = MakeIoError(
        env, IoResult::Fail(sticky, "fdatasync", file->path,
                            "an earlier fdatasync of this file failed; its data may be lost"));
    if (error.IsEmpty()) return Napi::Value();
    deferred.Reject(error);
    return deferred.Promise();
  }
  const uint64_t seq = file->writeSeq.load(std::memory_order_acquire);
  if (seq <= file->syncedSeq.load(std::memory_order_acquire)) {
    deferred.Resolve(env.Undefined());  // nothing written since the last fsync
    return deferred.Promise();
  }
  return Enqueue(env, {0, std::move(file), seq, {}});
}

Napi::Value StrandAddon::RequestDirSync(Napi::Env env, std::string dir) {
  return Enqueue(env, {0, nullptr, 0, std::move(dir)});
}

Napi::Value StrandAddon::Enqueue(Napi::Env env, Flusher::Request request) {
  if (!flusher_ && !StartFlusher(env)) return Napi::Value();
  // Raw Node-API for the pending promise: it is settled from the TSFN callback, where the
  // environment may be shutting down and calls may fail; those failures must stay silent.
  napi_deferred raw = nullptr;
  napi_value promise = nullptr;
  if (napi_create_promise(env, &raw, &promise) != napi_ok) return Napi::Value();
  const uint64_t id = nextSyncId_++;
  pendingSyncs_.emplace(id, raw);
  // Keep the event loop alive only while a sync is outstanding.
  if (pendingSyncs_.size() == 1) tsfn_.Ref(env);
  request.id = id;
  flusher_->Enqueue(std::move(request));
  return Napi::Value(env, promise);
}

bool StrandAddon::StartFlusher(Napi::Env env) {
  if (shutDown_) {
    Napi::Error::New(env, "strand_native: the environment is shutting down")
        .ThrowAsJavaScriptException();
    return false;
  }
  tsfn_ = SyncTsfn::New(env, "strand.flusher", 0, 1, this);
  if (env.IsExceptionPending()) return false;
  tsfnLive_ = true;
  tsfn_.Unref(env);
  flusher_ = std::make_unique<Flusher>(
      [this](Flusher::Batch* batch) {
        // Unbounded queue: never blocks. Fails only when the TSFN is closing (teardown).
        if (tsfn_.NonBlockingCall(batch) != napi_ok) delete batch;
      },
      &context_->fsyncs, &context_->skipDirSync);
  // Registered after the TSFN's own hook, so it runs before it (hooks run in reverse order):
  // the thread is joined while the TSFN is still valid.
  napi_add_env_cleanup_hook(env, &StrandAddon::OnEnvCleanup, this);
  cleanupHookAdded_ = true;
  return true;
}

void DeliverSyncResults(Napi::Env env, Napi::Function, StrandAddon* addon, Flusher::Batch* batch) {
  if (env != nullptr && addon != nullptr) addon->CompleteSyncs(env, *batch);
  delete batch;
}

void StrandAddon::CompleteSyncs(Napi::Env env, const Flusher::Batch& batch) {
  if (shutDown_) return;
  for (const Flusher::Result& r : batch) {
    auto it = pendingSyncs_.find(r.id);
    if (it == pendingSyncs_.end()) continue;
    const napi_deferred deferred = it->second;
    pendingSyncs_.erase(it);
    // A worker being terminated still drains this queue but can no longer run JS: every call
    // below may then fail, which is ignored (nobody can observe the promise any more).
    if (r.error == 0) {
      napi_value undefined;
      if (napi_get_undefined(env, &undefined) == napi_ok) napi_resolve_deferred(env, deferred, undefined);
      continue;
    }
    Napi::Value error = MakeIoError(env, IoResult::Fail(r.error, r.syscall, r.path));
    napi_value reason = error.IsEmpty() ? nullptr : static_cast<napi_value>(error);
    if (reason == nullptr) {
      bool pending = false;
      if (napi_is_exception_pending(env, &pending) != napi_ok || !pending ||
          napi_get_and_clear_last_exception(env, &reason) != napi_ok) {
        continue;
      }
    }
    napi_reject_deferred(env, deferred, reason);
  }
  if (pendingSyncs_.empty() && tsfnLive_) tsfn_.Unref(env);
}

void StrandAddon::OnEnvCleanup(void* self) { static_cast<StrandAddon*>(self)->Shutdown(); }

void StrandAddon::Shutdown() {
  if (shutDown_) return;
  shutDown_ = true;
  // Finish the fsyncs already asked for (durability on exit), then join the thread.
  if (flusher_) flusher_->Stop();
  flusher_.reset();
  if (tsfnLive_) {
    // Batches still queued in the TSFN are handed to DeliverSyncResults with a null env and
    // freed there; their promises can no longer be observed.
    tsfn_.Release();
    tsfnLive_ = false;
  }
  pendingSyncs_.clear();
}

}  // namespace strand

// The registration macro pastes the class name into an identifier: it needs an unqualified name.
using StrandNativeAddon = strand::StrandAddon;
NODE_API_NAMED_ADDON(strand_native, StrandNativeAddon)
