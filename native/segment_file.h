// The JS class `SegmentFile`, a thin Node-API shell over SegmentCore (segment_core.h holds the
// file format and the zero-copy contract).
//
//   new SegmentFile(path, preallocate, size /* -1: file length */, readOnly,
//                   syncDirectoryOnCreate = true)
//   append(buffers: Uint8Array[]): number     start position
//   view(position, length): Buffer            zero-copy, external, keeps the mapping alive
//   truncate(size): void
//   sync(): Promise<void>                     group commit through the addon's flusher
//   close(): void
//   closeAndSync(): Promise<void>             close, then an fdatasync (on the flusher thread)
//                                             covering every append and the trim of close()
//   size, capacity                            getters
//
// Arguments are validated by src/io/native.ts; the checks here only guard memory safety and
// report misuse as TypeError/RangeError rather than crashing.
#pragma once

#include "addon.h"

namespace strand {

class SegmentFileWrap : public Napi::ObjectWrap<SegmentFileWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit SegmentFileWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Append(const Napi::CallbackInfo& info);
  Napi::Value View(const Napi::CallbackInfo& info);
  Napi::Value CopyTo(const Napi::CallbackInfo& info);
  Napi::Value ZeroFrom(const Napi::CallbackInfo& info);
  Napi::Value Truncate(const Napi::CallbackInfo& info);
  Napi::Value Sync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value CloseAndSync(const Napi::CallbackInfo& info);
  Napi::Value GetSize(const Napi::CallbackInfo& info);
  Napi::Value GetCapacity(const Napi::CallbackInfo& info);

  // Throws (as StorageIOError) and returns false when the file is closed.
  bool CheckOpen(Napi::Env env, const char* operation);

  StrandAddon* addon_ = nullptr;
  std::unique_ptr<SegmentCore> core_;
  std::vector<SegmentCore::Part> parts_;  // scratch for append, reused
};

}  // namespace strand
