// Hardware CRC-32C for x86-64 with the SSE4.2 `crc32` instruction.
//
// The instruction has a latency of 3 cycles but a throughput of 1 per cycle, so one dependency
// chain uses a third of the unit. Like Mark Adler's crc32c.c (hw version), we run three
// independent chains over three adjacent blocks and merge them: the raw (un-inverted) CRC is
// linear over GF(2), so crc(A || B) = shift(crc(A), |B|) ^ crc(B), where shift() appends |B|
// zero bytes. Shifting by a fixed block length is a 32x32 bit-matrix, applied here with four
// 256-entry tables (one per byte of the CRC), built at compile time: no PCLMUL needed.
//
// This file is compiled without -msse4.2: only the functions marked target("sse4.2") use the
// instruction, and SelectCrc32c() calls them only after CPUID says the CPU has it, so the addon
// still loads and runs (in software) on CPUs without SSE4.2.
#include "crc32c.h"

#if defined(STRAND_CRC32C_HAVE_SSE42)

#include <cpuid.h>
#include <nmmintrin.h>

#include <cstring>

namespace strand {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;
// Block sizes for the three-way split, powers of two as in Adler's code: LONG for big buffers
// (merge cost amortized over 24 KiB), SHORT for the rest (768 bytes and up).
constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;

struct Gf2Matrix {
  uint32_t col[32];  // col[i] = image of bit i
};

constexpr uint32_t Gf2Times(const Gf2Matrix& m, uint32_t vec) {
  uint32_t sum = 0;
  for (int i = 0; vec != 0; i++, vec >>= 1) {
    if (vec & 1) sum ^= m.col[i];
  }
  return sum;
}

constexpr Gf2Matrix Gf2Square(const Gf2Matrix& m) {
  Gf2Matrix sq{};
  for (int n = 0; n < 32; n++) sq.col[n] = Gf2Times(m, m.col[n]);
  return sq;
}

// Operator that appends `bytes` zero bytes (a power of two) to a raw CRC register.
constexpr Gf2Matrix ZerosOperator(size_t bytes) {
  Gf2Matrix op{};
  op.col[0] = kPoly;  // one zero bit: c -> (c >> 1) ^ (c & 1 ? poly : 0)
  for (int n = 1; n < 32; n++) op.col[n] = 1u << (n - 1);
  op = Gf2Square(op);  // 2 bits
  op = Gf2Square(op);  // 4 bits
  op = Gf2Square(op);  // 8 bits = 1 byte
  for (size_t b = bytes; b > 1; b >>= 1) op = Gf2Square(op);
  return op;
}

struct ShiftTable {
  uint32_t t[4][256];
};

constexpr ShiftTable MakeShiftTable(size_t bytes) {
  const Gf2Matrix op = ZerosOperator(bytes);
  ShiftTable s{};
  for (uint32_t n = 0; n < 256; n++) {
    s.t[0][n] = Gf2Times(op, n);
    s.t[1][n] = Gf2Times(op, n << 8);
    s.t[2][n] = Gf2Times(op, n << 16);
    s.t[3][n] = Gf2Times(op, n << 24);
  }
  return s;
}

constexpr ShiftTable kLongShift = MakeShiftTable(kLong);
constexpr ShiftTable kShortShift = MakeShiftTable(kShort);

inline uint32_t Shift(const ShiftTable& s, uint32_t crc) {
  return s.t[0][crc & 0xFF] ^ s.t[1][(crc >> 8) & 0xFF] ^ s.t[2][(crc >> 16) & 0xFF] ^
         s.t[3][crc >> 24];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Three chains over [p, p+block), [p+block, p+2*block), [p+2*block, p+3*block), merged.
template <size_t kBlock>
__attribute__((target("sse4.2"))) inline uint64_t ThreeWay(uint64_t crc0, const uint8_t* p,
                                                            const ShiftTable& shift) {
  uint64_t crc1 = 0;
  uint64_t crc2 = 0;
  const uint8_t* const end = p + kBlock;
  do {
    crc0 = _mm_crc32_u64(crc0, Load64(p));
    crc1 = _mm_crc32_u64(crc1, Load64(p + kBlock));
    crc2 = _mm_crc32_u64(crc2, Load64(p + 2 * kBlock));
    p += 8;
  } while (p < end);
  crc0 = Shift(shift, static_cast<uint32_t>(crc0)) ^ crc1;
  crc0 = Shift(shift, static_cast<uint32_t>(crc0)) ^ crc2;
  return crc0;
}

}  // namespace

bool CpuHasSse42() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  return (ecx & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2"))) uint32_t Crc32cSse42(uint32_t crc, const uint8_t* p,
                                                       size_t length) {
  uint64_t c = static_cast<uint32_t>(~crc);
  // Align to 8 bytes so the 64-bit loads below never straddle a cache line needlessly.
  while (length > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    length--;
  }
  while (length >= 3 * kLong) {
    c = ThreeWay<kLong>(c, p, kLongShift);
    p += 3 * kLong;
    length -= 3 * kLong;
  }
  while (length >= 3 * kShort) {
    c = ThreeWay<kShort>(c, p, kShortShift);
    p += 3 * kShort;
    length -= 3 * kShort;
  }
  while (length >= 8) {
    c = _mm_crc32_u64(c, Load64(p));
    p += 8;
    length -= 8;
  }
  while (length > 0) {
    c = _mm_crc32_u8(static_cast<uint32_t>(c), *p++);
    length--;
  }
  return ~static_cast<uint32_t>(c);
}

}  // namespace strand

#endif  // STRAND_CRC32C_HAVE_SSE42
