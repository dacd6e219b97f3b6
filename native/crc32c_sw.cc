// Software CRC-32C: slicing-by-8 (Intel's technique, as in zlib's crc32 "braiding" ancestor).
// Eight 256-entry tables let the loop consume 8 bytes per step with 8 independent lookups instead
// of 8 dependent ones. Tables are built at compile time.
#include <cstring>

#include "crc32c.h"

namespace strand {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // reflected Castagnoli polynomial

struct SliceTables {
  uint32_t t[8][256];
};

constexpr SliceTables MakeSliceTables() {
  SliceTables s{};
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    s.t[0][n] = c;
  }
  // t[k][n]: the CRC contribution of byte n followed by k zero bytes.
  for (uint32_t n = 0; n < 256; n++) {
    for (int k = 1; k < 8; k++) {
      const uint32_t prev = s.t[k - 1][n];
      s.t[k][n] = (prev >> 8) ^ s.t[0][prev & 0xFF];
    }
  }
  return s;
}

constexpr SliceTables kTables = MakeSliceTables();
static_assert(kTables.t[0][1] == 0xF26B8303u, "CRC-32C table");

inline uint64_t LoadLittleEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);  // unaligned-safe; compiles to one load
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

}  // namespace

uint32_t Crc32cSoftware(uint32_t crc, const uint8_t* p, size_t length) {
  const auto& t = kTables.t;
  uint32_t c = ~crc;
  while (length > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    length--;
  }
  while (length >= 8) {
    const uint64_t w = LoadLittleEndian64(p) ^ c;
    c = t[7][w & 0xFF] ^ t[6][(w >> 8) & 0xFF] ^ t[5][(w >> 16) & 0xFF] ^ t[4][(w >> 24) & 0xFF] ^
        t[3][(w >> 32) & 0xFF] ^ t[2][(w >> 40) & 0xFF] ^ t[1][(w >> 48) & 0xFF] ^ t[0][w >> 56];
    p += 8;
    length -= 8;
  }
  while (length > 0) {
    c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    length--;
  }
  return ~c;
}

Crc32cImpl SelectCrc32c(bool forceSoftware) {
  if (!forceSoftware) {
#if defined(STRAND_CRC32C_HAVE_SSE42)
    if (CpuHasSse42()) return {Crc32cSse42, "sse4.2"};
#endif
#if defined(STRAND_CRC32C_HAVE_ARMV8)
    if (CpuHasArmv8Crc()) return {Crc32cArmv8, "armv8-crc"};
#endif
  }
  return {Crc32cSoftware, "software"};
}

}  // namespace strand
