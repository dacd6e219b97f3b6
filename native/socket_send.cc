// Sending a response's chunks to a socket from native code, views of mapped segments by
// sendfile: the kernel takes the bytes from the page cache, so the process neither faults the
// mapping's pages in nor copies them into the socket (on Linux 6.5+ TCP even takes the page
// cache pages by reference). This is what Kafka's FileChannel.transferTo does for fetches.
//
// As with Kafka, a page handed to the socket this way is referenced, not copied: if the file's
// bytes there change before TCP is done with them (a follower truncating a divergent tail it
// served a moment before), the peer may read the new bytes. Kafka accepts the same; batches
// carry a CRC, and only bytes above the high watermark can be truncated.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <map>
#include <mutex>

#include "addon.h"
#include "file_state.h"

namespace strand {

namespace {

// Never destroyed: a Mapping may outlive static destruction at exit (held by a JS object).
std::mutex& MappingsLock() {
  static std::mutex* lock = new std::mutex();
  return *lock;
}

std::map<uintptr_t, Mapping*>& Mappings() {
  static auto* mappings = new std::map<uintptr_t, Mapping*>();
  return *mappings;
}

// What one call has sent; `blocked` once the socket took less than offered (or failed).
struct Progress {
  uint64_t sent = 0;
  bool blocked = false;
};

// Plain chunks [from, to) by writev, 64 at a time.
void WritePlain(int socket, const uint8_t* const* data, const size_t* length, size_t from,
                size_t to, Progress* p) {
  while (from < to && !p->blocked) {
    struct iovec iov[64];
    int n = 0;
    size_t offered = 0;
    for (size_t i = from; i < to && n < 64; i++, n++) {
      iov[n].iov_base = const_cast<uint8_t*>(data[i]);
      iov[n].iov_len = length[i];
      offered += length[i];
    }
    ssize_t w;
    do {
      w = ::writev(socket, iov, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
      p->blocked = true;
      return;
    }
    p->sent += static_cast<uint64_t>(w);
    if (static_cast<size_t>(w) < offered) {
      p->blocked = true;
      return;
    }
    from += static_cast<size_t>(n);
  }
}

void SendMapped(int socket, int file, uint64_t offset, size_t length, Progress* p) {
  off_t at = static_cast<off_t>(offset);
  size_t left = length;
  while (left > 0) {
    const ssize_t w = ::sendfile(socket, file, &at, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {  // EAGAIN (the socket is full), an error, or the file ended early
      p->blocked = true;
      return;
    }
    p->sent += static_cast<uint64_t>(w);
    left -= static_cast<size_t>(w);
  }
}

}  // namespace

Mapping::Mapping(uint8_t* address, size_t mappedBytes, size_t reservedBytes,
                 std::shared_ptr<FileHandle> of)
    : addr(address), mapped(mappedBytes), reserved(reservedBytes), file(std::move(of)) {
  MappedFiles::Add(this);
}

Mapping::~Mapping() {
  MappedFiles::Remove(this);
  if (addr != nullptr) ::munmap(addr, reserved);
}

void MappedFiles::Add(Mapping* m) {
  std::lock_guard<std::mutex> hold(MappingsLock());
  Mappings()[reinterpret_cast<uintptr_t>(m->addr)] = m;
}

void MappedFiles::Remove(Mapping* m) {
  std::lock_guard<std::mutex> hold(MappingsLock());
  auto it = Mappings().find(reinterpret_cast<uintptr_t>(m->addr));
  if (it != Mappings().end() && it->second == m) Mappings().erase(it);
}

std::shared_ptr<FileHandle> MappedFiles::Find(const uint8_t* data, size_t length,
                                              uint64_t* offset) {
  const uintptr_t at = reinterpret_cast<uintptr_t>(data);
  std::lock_guard<std::mutex> hold(MappingsLock());
  auto& all = Mappings();
  auto it = all.upper_bound(at);
  if (it == all.begin()) return nullptr;
  --it;
  const Mapping* m = it->second;
  if (at + length > it->first + m->mapped) return nullptr;
  std::shared_ptr<FileHandle> file = m->file.lock();
  if (!file || file->fd < 0) return nullptr;
  *offset = at - it->first;
  return file;
}

// sendTo(fd, chunks): writes chunks in order to the (non-blocking) socket `fd` until it would
// block, and returns the bytes written. The caller writes what is left the ordinary way, so
// this may stop anywhere; it is called only when nothing else is queued on the socket.
Napi::Value StrandAddon::SendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsArray()) {
    Napi::TypeError::New(env, "sendTo(fd, chunks): a descriptor and an array of Uint8Array expected")
        .ThrowAsJavaScriptException();
    return Napi::Value();
  }
  const int socket = info[0].As<Napi::Number>().Int32Value();
  Napi::Array list = info[1].As<Napi::Array>();
  const uint32_t count = list.Length();
  constexpr uint32_t kMaxChunks = 1024;
  if (count > kMaxChunks) {
    Napi::RangeError::New(env, "sendTo: at most 1024 chunks per call").ThrowAsJavaScriptException();
    return Napi::Value();
  }
  const uint8_t* data[kMaxChunks];
  size_t length[kMaxChunks];
  for (uint32_t i = 0; i < count; i++) {
    if (!GetBytes(env, list.Get(i), &data[i], &length[i])) {
      Napi::TypeError::New(env, "sendTo: chunk " + std::to_string(i) + " is not a Uint8Array")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
  }
  // Several sends make one stream of segments, not a packet per send (the socket has Nagle off).
  const int on = 1;
  const bool corked = count > 1 && ::setsockopt(socket, IPPROTO_TCP, TCP_CORK, &on, sizeof on) == 0;
  Progress p;
  size_t plainFrom = 0;
  for (uint32_t i = 0; i < count && !p.blocked; i++) {
    uint64_t offset = 0;
    std::shared_ptr<FileHandle> file = length[i] > 0 ? MappedFiles::Find(data[i], length[i], &offset) : nullptr;
    if (!file) continue;
    WritePlain(socket, data, length, plainFrom, i, &p);
    if (!p.blocked) SendMapped(socket, file->fd, offset, length[i], &p);
    plainFrom = i + 1;
  }
  if (!p.blocked) WritePlain(socket, data, length, plainFrom, count, &p);
  if (corked) {
    const int off = 0;
    ::setsockopt(socket, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
  }
  return Napi::Number::New(env, static_cast<double>(p.sent));
}

}  // namespace strand
