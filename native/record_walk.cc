#include "record_walk.h"

namespace strand {
namespace {

// A zigzag varint of at most 5 bytes, with JavaScript's 32-bit truncation of the 5th byte
// (src/format/varint.ts readVarint), so both walks accept exactly the same bytes.
inline bool ReadVarint(const uint8_t* p, int64_t* pos, int64_t end, int32_t* out) {
  uint32_t result = 0;
  int shift = 0;
  int64_t at = *pos;
  for (;;) {
    if (at >= end || shift > 28) return false;
    const uint8_t b = p[at++];
    result |= static_cast<uint32_t>(b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
  }
  *pos = at;
  *out = static_cast<int32_t>((result >> 1) ^ (0u - (result & 1u)));
  return true;
}

// A zigzag varlong of at most 9 bytes (readVarlong); only its well-formedness matters here.
inline bool SkipVarlong(const uint8_t* p, int64_t* pos, int64_t end) {
  int64_t at = *pos;
  for (int i = 0;; i++) {
    if (at >= end || i >= 9) return false;
    if (p[at++] < 0x80) break;
  }
  *pos = at;
  return true;
}

}  // namespace

bool RecordSectionValid(const uint8_t* p, size_t length, const RecordSectionSpec& s) {
  if (s.start < 0 || s.end < s.start || static_cast<uint64_t>(s.end) > length) return false;
  int64_t pos = s.start;
  const int64_t end = s.end;
  int64_t prevDelta = -1;
  for (int64_t i = 0; i < s.count; i++) {
    int32_t len;
    if (!ReadVarint(p, &pos, end, &len) || len <= 0 || pos + len > end) return false;
    const int64_t recordEnd = pos + len;
    pos++;  // attributes
    if (!SkipVarlong(p, &pos, recordEnd)) return false;
    int32_t delta;
    if (!ReadVarint(p, &pos, recordEnd, &delta) || delta <= prevDelta || delta > s.lastDelta) return false;
    if (s.sequential && delta != i) return false;
    prevDelta = delta;
    for (int field = 0; field < 2; field++) {
      int32_t n;
      if (!ReadVarint(p, &pos, recordEnd, &n) || n < -1 || pos + (n > 0 ? n : 0) > recordEnd) return false;
      if (n > 0) pos += n;
      else if (n < 0 && field == 0 && s.keysRequired) return false;
    }
    int32_t headers;
    if (!ReadVarint(p, &pos, recordEnd, &headers) || headers < 0) return false;
    for (int32_t h = 0; h < headers; h++) {
      int32_t kl;
      if (!ReadVarint(p, &pos, recordEnd, &kl) || kl < 0 || pos + kl > recordEnd) return false;
      pos += kl;
      int32_t vl;
      if (!ReadVarint(p, &pos, recordEnd, &vl) || vl < -1 || pos + (vl > 0 ? vl : 0) > recordEnd) return false;
      if (vl > 0) pos += vl;
    }
    if (pos != recordEnd) return false;
  }
  return pos == end;
}

}  // namespace strand
