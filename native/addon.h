// strand_native: the addon instance. Node-API, C++17, built without C++ exceptions
// (NAPI_DISABLE_CPP_EXCEPTIONS): failures become pending JS exceptions.
//
// Exports (see src/io/native.ts, which validates every argument before calling these):
//   initialize(StorageIOError, skipDirSync)
//                               errors from here on are `new StorageIOError(message, path)`,
//                               with extra `syscall`, `errno` (number) and `osCode` ('ENOSPC');
//                               skipDirSync: the test-only fault switch for directory fsyncs
//   syncDirectory(dir)          a promise settled once `dir` is fsynced on the flusher thread
//   lockFile(path)              open (creating) `path` and take flock(LOCK_EX|LOCK_NB) on it;
//                               writes the pid into it and returns the fd, or -1 when another
//                               open file description holds the lock
//   unlockFile(fd)              empty the lock file and close fd (the kernel drops the lock)
//   crc32c(data, seed?)         CRC-32C, fastest kernel for this CPU; crc32cImplementation names it
//   crc32cSoftware(data, seed?) the table-driven kernel, for tests and benchmarks
//   fsyncCount()                fdatasync calls issued by this instance so far
//   duplicateFd(fd)             a close-on-exec duplicate of a file descriptor (a socket the
//                               broker takes over to read it with its own buffers)
//   recordSectionValid(data, start, end, count, lastDelta, sequential, keysRequired)
//                               the verdict of the record walk (record_walk.h)
//   SegmentFile                 see segment_file.h
//
// No globals: everything lives on this object, created per addon instance (the main thread and
// each worker thread that loads the addon get their own) and torn down with its environment.
// The flusher thread and its thread-safe function are created on the first sync() and stopped
// by an environment cleanup hook.
#pragma once

#define NAPI_VERSION 8
#include <napi.h>

#include <cstdint>
#include <memory>
#include <unordered_map>

#include "crc32c.h"
#include "flusher.h"
#include "io_result.h"
#include "segment_core.h"

namespace strand {

class StrandAddon;
// Runs on the JS thread with a batch of fsync results (env is null during teardown).
void DeliverSyncResults(Napi::Env env, Napi::Function unused, StrandAddon* addon,
                        Flusher::Batch* batch);

class StrandAddon : public Napi::Addon<StrandAddon> {
 public:
  StrandAddon(Napi::Env env, Napi::Object exports);
  ~StrandAddon();

  // An Error for `err`: a StorageIOError once initialize() ran, else an Error with
  // code 'ERR_STRAND_IO'. May return an empty value with an exception pending.
  Napi::Value MakeIoError(Napi::Env env, const IoResult& err);
  void ThrowIoError(Napi::Env env, const IoResult& err);
  // A promise settled once an fdatasync covers everything written to `file` so far.
  Napi::Value RequestSync(Napi::Env env, std::shared_ptr<FileHandle> file);
  // A promise settled once the directory `dir` is fsynced.
  Napi::Value RequestDirSync(Napi::Env env, std::string dir);
  const std::shared_ptr<CoreContext>& context() const { return context_; }

 private:
  friend void DeliverSyncResults(Napi::Env, Napi::Function, StrandAddon*, Flusher::Batch*);
  using SyncTsfn = Napi::TypedThreadSafeFunction<StrandAddon, Flusher::Batch, DeliverSyncResults>;

  Napi::Value Initialize(const Napi::CallbackInfo& info);
  Napi::Value Crc32c(const Napi::CallbackInfo& info);
  Napi::Value Crc32cSoftwareExport(const Napi::CallbackInfo& info);
  Napi::Value FsyncCount(const Napi::CallbackInfo& info);
  Napi::Value RecordSectionValidExport(const Napi::CallbackInfo& info);
  Napi::Value DuplicateFd(const Napi::CallbackInfo& info);
  Napi::Value SendTo(const Napi::CallbackInfo& info);  // socket_send.cc
  Napi::Value SyncDirectoryExport(const Napi::CallbackInfo& info);
  Napi::Value LockFile(const Napi::CallbackInfo& info);
  Napi::Value UnlockFile(const Napi::CallbackInfo& info);
  Napi::Value Enqueue(Napi::Env env, Flusher::Request request);

  bool StartFlusher(Napi::Env env);
  void CompleteSyncs(Napi::Env env, const Flusher::Batch& batch);
  static void OnEnvCleanup(void* self);
  void Shutdown();

  const Crc32cImpl crc_;
  const Crc32cImpl crcSoftware_;
  std::shared_ptr<CoreContext> context_ = std::make_shared<CoreContext>();
  Napi::FunctionReference errorClass_;

  // Group commit. All of this is JS-thread only, except what Flusher guards itself.
  napi_env env_;
  SyncTsfn tsfn_;
  bool tsfnLive_ = false;
  bool cleanupHookAdded_ = false;
  bool shutDown_ = false;
  std::unique_ptr<Flusher> flusher_;
  std::unordered_map<uint64_t, napi_deferred> pendingSyncs_;  // settled by CompleteSyncs
  uint64_t nextSyncId_ = 1;
};

// Bytes of a TypedArray or DataView; false if `value` is neither.
bool GetBytes(napi_env env, napi_value value, const uint8_t** data, size_t* length);

}  // namespace strand
