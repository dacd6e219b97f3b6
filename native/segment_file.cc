#include "segment_file.h"

#include <errno.h>

#include <cmath>

namespace strand {
namespace {

// A non-negative integer argument (as a double: JS numbers are exact up to 2^53).
bool ReadCount(const Napi::Value& v, uint64_t* out) {
  if (!v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || std::floor(d) != d) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

Napi::Value ThrowType(Napi::Env env, const char* message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return Napi::Value();
}

Napi::Value ThrowRange(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return Napi::Value();
}

// V8 counts every external buffer's bytes as external memory allocated since the last full GC,
// and counts those against the old generation's headroom: at 100 MB/s of fetch views (a
// consumer, or two followers, keeping up with the head of the log) that started a full
// mark-compact every ~80 ms on a 15 MB heap, each pausing the event loop for milliseconds. A
// view's bytes are file pages in the page cache, not memory this process allocated, so a view
// takes its bytes off the count as it is made (napi_adjust_external_memory), cancelling V8's
// own addition.
//
// They are not given back one by one when the view is collected, although V8 takes them off
// once more as it sweeps the view: given back a turn of the event loop later in the finalizer,
// a full GC that fell in between (and with views made continuously one always does) counted
// them as new allocation and scheduled the next full GC, and so on. Measured with `strand perf
// e2e` at 1 M records/s (acks=1, a consumer long-polling), given back one by one vs not: broker
// user CPU 0.8-1.6 s vs 0.56-0.95 s per 5 M records, publish p99 12-17 ms vs 4-8 ms; three
// replicating brokers ran a mark-compact every ~0.5 s each. So V8's count of what was
// allocated since its last full GC runs low by the views it swept since. To keep that bounded
// (buffers this process does allocate must still bring on the full GC that frees them), the
// bytes are given back in one lump once they reach kViewBytesGivenBackAt: one full GC at most
// per that many bytes of views, where the lag made a storm of them.
constexpr int64_t kViewBytesGivenBackAt = int64_t{1} << 30;
// Per thread: each JS thread (the main one, workers) has its own isolate and count.
thread_local int64_t viewBytesOwed = 0;

void FinalizeView(napi_env env, void*, void* hint) {
  auto* lease = static_cast<ViewLease*>(hint);
  viewBytesOwed += lease->uncounted;
  delete lease;
  if (viewBytesOwed >= kViewBytesGivenBackAt) {
    int64_t ignored = 0;
    napi_adjust_external_memory(env, viewBytesOwed, &ignored);
    viewBytesOwed = 0;
  }
}

}  // namespace

Napi::Function SegmentFileWrap::Init(Napi::Env env) {
  return DefineClass(env, "SegmentFile",
                     {
                         InstanceMethod("append", &SegmentFileWrap::Append),
                         InstanceMethod("view", &SegmentFileWrap::View),
                         InstanceMethod("copyTo", &SegmentFileWrap::CopyTo),
                         InstanceMethod("zeroFrom", &SegmentFileWrap::ZeroFrom),
                         InstanceMethod("truncate", &SegmentFileWrap::Truncate),
                         InstanceMethod("sync", &SegmentFileWrap::Sync),
                         InstanceMethod("close", &SegmentFileWrap::Close),
                         InstanceMethod("closeAndSync", &SegmentFileWrap::CloseAndSync),
                         InstanceAccessor("size", &SegmentFileWrap::GetSize, nullptr),
                         InstanceAccessor("capacity", &SegmentFileWrap::GetCapacity, nullptr),
                     });
}

SegmentFileWrap::SegmentFileWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<SegmentFileWrap>(info) {
  Napi::Env env = info.Env();
  addon_ = env.GetInstanceData<StrandAddon>();
  uint64_t preallocate = 0;
  if (info.Length() < 4 || !info[0].IsString() || !ReadCount(info[1], &preallocate) ||
      !info[2].IsNumber() || !info[3].IsBoolean() ||
      (info.Length() > 4 && !info[4].IsBoolean())) {
    ThrowType(env, "SegmentFile(path: string, preallocate: number, size: number, readOnly: boolean)");
    return;
  }
  SegmentCore::Options options;
  options.path = info[0].As<Napi::String>().Utf8Value();
  options.preallocate = preallocate;
  const double size = info[2].As<Napi::Number>().DoubleValue();
  options.size = size < 0 ? -1 : static_cast<int64_t>(size);
  options.readOnly = info[3].As<Napi::Boolean>().Value();
  options.syncDirectoryOnCreate = info.Length() <= 4 || info[4].As<Napi::Boolean>().Value();
  IoResult r = SegmentCore::Open(options, addon_->context(), &core_);
  if (!r.ok()) addon_->ThrowIoError(env, r);
}

bool SegmentFileWrap::CheckOpen(Napi::Env env, const char* operation) {
  if (core_ && !core_->closed()) return true;
  addon_->ThrowIoError(env, IoResult::Fail(EBADF, operation, core_ ? core_->path() : "",
                                           "the file is closed"));
  return false;
}

Napi::Value SegmentFileWrap::Append(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "append")) return Napi::Value();
  if (info.Length() < 1 || !info[0].IsArray()) {
    return ThrowType(env, "append: buffers must be an array of Uint8Array");
  }
  napi_value array = info[0];
  uint32_t count = 0;
  napi_get_array_length(env, array, &count);
  parts_.resize(count);
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok ||
        !GetBytes(env, element, &parts_[i].data, &parts_[i].length)) {
      return ThrowType(env, "append: buffers must be an array of Uint8Array");
    }
  }
  uint64_t position = 0;
  IoResult r = core_->Append(parts_.data(), parts_.size(), &position);
  if (!r.ok()) {
    addon_->ThrowIoError(env, r);
    return Napi::Value();
  }
  return Napi::Number::New(env, static_cast<double>(position));
}

Napi::Value SegmentFileWrap::View(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "view")) return Napi::Value();
  uint64_t position = 0, length = 0;
  if (info.Length() < 2 || !ReadCount(info[0], &position) || !ReadCount(info[1], &length)) {
    return ThrowType(env, "view(position, length): non-negative integers expected");
  }
  if (position > core_->size() || length > core_->size() - position) {
    return ThrowRange(env, "view [" + std::to_string(position) + ", +" + std::to_string(length) +
                               ") is outside [0, " + std::to_string(core_->size()) + ")");
  }
  if (length == 0) return Napi::Buffer<uint8_t>::New(env, 0);
  const uint8_t* data = nullptr;
  ViewLease* lease = core_->View(position, length, &data);
  napi_value buffer;
  napi_status status = napi_create_external_buffer(env, length, const_cast<uint8_t*>(data),
                                                   FinalizeView, lease, &buffer);
  if (status == napi_ok) {
    int64_t ignored = 0;
    if (napi_adjust_external_memory(env, -static_cast<int64_t>(length), &ignored) == napi_ok) {
      lease->uncounted = static_cast<int64_t>(length);
    }
    return Napi::Value(env, buffer);
  }
  // Runtimes that forbid external buffers (e.g. with a V8 sandbox) get a copy.
  delete lease;
  if (env.IsExceptionPending()) env.GetAndClearPendingException();
  return Napi::Buffer<uint8_t>::Copy(env, data, length);
}

// Copies bytes of the file into a caller's buffer: no external buffer (and no finalizer) per call,
// for readers of a few header bytes (batch scans), where a view would cost more than the bytes.
Napi::Value SegmentFileWrap::CopyTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "copyTo")) return Napi::Value();
  uint64_t position = 0;
  uint8_t* target = nullptr;
  size_t length = 0;
  if (info.Length() < 2 || !ReadCount(info[0], &position) ||
      !GetBytes(env, info[1], const_cast<const uint8_t**>(&target), &length)) {
    return ThrowType(env, "copyTo(position, target): a non-negative integer and a Uint8Array expected");
  }
  if (position > core_->size() || length > core_->size() - position) {
    return ThrowRange(env, "copyTo [" + std::to_string(position) + ", +" + std::to_string(length) +
                               ") is outside [0, " + std::to_string(core_->size()) + ")");
  }
  if (length > 0) core_->CopyTo(position, length, target);
  return env.Undefined();
}

Napi::Value SegmentFileWrap::ZeroFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "zeroFrom")) return Napi::Value();
  uint64_t position = 0;
  if (info.Length() < 1 || !ReadCount(info[0], &position)) {
    return ThrowType(env, "zeroFrom(position): a non-negative integer expected");
  }
  if (position > core_->size()) {
    return ThrowRange(env, "zeroFrom " + std::to_string(position) + " is beyond the size " +
                               std::to_string(core_->size()));
  }
  return Napi::Boolean::New(env, core_->ZeroFrom(position));
}

Napi::Value SegmentFileWrap::Truncate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "truncate")) return Napi::Value();
  uint64_t size = 0;
  if (info.Length() < 1 || !ReadCount(info[0], &size)) {
    return ThrowType(env, "truncate(size): a non-negative integer expected");
  }
  if (size > core_->size()) {
    return ThrowRange(env, "truncate to " + std::to_string(size) + " is beyond the size " +
                               std::to_string(core_->size()));
  }
  IoResult r = core_->Truncate(size);
  if (!r.ok()) addon_->ThrowIoError(env, r);
  return env.Undefined();
}

Napi::Value SegmentFileWrap::Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "sync")) return Napi::Value();
  return addon_->RequestSync(env, core_->handle());
}

Napi::Value SegmentFileWrap::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!core_) return env.Undefined();
  IoResult r = core_->Close();
  if (!r.ok()) addon_->ThrowIoError(env, r);
  return env.Undefined();
}

// The sync request holds the FileHandle, so the fd stays open until the fdatasync is done even
// though Close() released the core's reference: a rolled segment is synced off the event loop
// without the roll waiting for it.
Napi::Value SegmentFileWrap::CloseAndSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckOpen(env, "closeAndSync")) return Napi::Value();
  std::shared_ptr<FileHandle> handle = core_->handle();
  IoResult r = core_->Close();
  if (!r.ok()) {
    addon_->ThrowIoError(env, r);
    return Napi::Value();
  }
  if (!handle) return Napi::Value();
  return addon_->RequestSync(env, std::move(handle));
}

Napi::Value SegmentFileWrap::GetSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? static_cast<double>(core_->size()) : 0);
}

Napi::Value SegmentFileWrap::GetCapacity(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), core_ ? static_cast<double>(core_->capacity()) : 0);
}

}  // namespace strand
