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

// Views are Buffers cut from one ArrayBuffer spanning the whole mapping, not an external buffer
// each. V8 counts an external buffer's bytes as memory allocated since the last full GC, and
// counts that against the old generation's headroom: at 100 MB/s of fetch views (a consumer, or
// two followers, keeping up with the head of the log) that started a full mark-compact every
// ~80 ms on a 15 MB heap. Taking each view's bytes back off the count (and returning them when
// it was collected) left the count lagging behind V8's own: V8 takes a dead buffer's bytes off
// when it sweeps it, the finalizer gave them back a turn of the event loop later, and a full GC
// in between saw them as new allocation and scheduled the next one (three replicating brokers
// at 1.5 M records/s: a mark-compact every ~0.5 s each, 8% of the machine in concurrent
// marking). A view cut from a shared ArrayBuffer has no backing store of its own: nothing to
// count. The mapping's ArrayBuffer is counted once; its bytes are file pages in the page cache,
// not memory this process allocated, so they are taken off V8's count before it is made and
// given back when it is collected.
struct MappingHold {
  std::shared_ptr<Mapping> mapping;
  int64_t uncounted = 0;
};

void FinalizeMappingBuffer(napi_env env, void*, void* hint) {
  auto* hold = static_cast<MappingHold*>(hint);
  int64_t ignored = 0;
  if (hold->uncounted > 0) napi_adjust_external_memory(env, hold->uncounted, &ignored);
  delete hold;
}

// A view's lease ends when the view is collected: its inode registration goes (truncation stops
// seeing it) and its pages leave this process's page tables.
void FinalizeView(napi_env, void* lease, void*) { delete static_cast<ViewLease*>(lease); }

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
  Napi::Value arrayBuffer = MappingBuffer(env, lease->mapping, position + length);
  if (!arrayBuffer.IsEmpty()) {
    const double offset = static_cast<double>(data - lease->mapping->addr);
    Napi::Value view = addon_->BufferFrom(env).Call(
        {arrayBuffer, Napi::Number::New(env, offset), Napi::Number::New(env, static_cast<double>(length))});
    if (!view.IsEmpty() && napi_add_finalizer(env, view, lease, FinalizeView, nullptr, nullptr) == napi_ok) {
      return view;
    }
  }
  // Runtimes that forbid external array buffers (e.g. with a V8 sandbox) get a copy.
  delete lease;
  if (env.IsExceptionPending()) env.GetAndClearPendingException();
  return Napi::Buffer<uint8_t>::Copy(env, data, length);
}

// A closed file's mapping lives on only as long as views of it do.
void SegmentFileWrap::ForgetMappingBuffer() {
  mappingBuffer_.Reset();
  bufferedMapping_ = nullptr;
  bufferedBytes_ = 0;
}

Napi::Value SegmentFileWrap::MappingBuffer(Napi::Env env, const std::shared_ptr<Mapping>& mapping,
                                           uint64_t end) {
  if (bufferedMapping_ == mapping.get() && end <= bufferedBytes_ && !mappingBuffer_.IsEmpty()) {
    return mappingBuffer_.Value();
  }
  // The mapped part only (the rest of the reservation is PROT_NONE): when the file grows into
  // its reservation, the next view past the end gets a longer buffer over the same mapping.
  const size_t bytes = mapping->mapped;
  auto* hold = new MappingHold{mapping, static_cast<int64_t>(bytes)};
  // Off the count first: V8 adds the bytes as the buffer is made, and would start a GC if they
  // crossed its external memory limit.
  int64_t ignored = 0;
  if (napi_adjust_external_memory(env, -hold->uncounted, &ignored) != napi_ok) hold->uncounted = 0;
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, mapping->addr, bytes, FinalizeMappingBuffer, hold,
                                       &buffer) != napi_ok) {
    if (hold->uncounted > 0) napi_adjust_external_memory(env, hold->uncounted, &ignored);
    delete hold;
    return Napi::Value();
  }
  mappingBuffer_ = Napi::Persistent(Napi::ArrayBuffer(env, buffer));
  bufferedMapping_ = mapping.get();
  bufferedBytes_ = bytes;
  return mappingBuffer_.Value();
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
  ForgetMappingBuffer();
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
  ForgetMappingBuffer();
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
