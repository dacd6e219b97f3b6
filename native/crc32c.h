// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum Kafka's RecordBatch v2
// header carries over everything after the CRC field.
//
// Contract of every kernel here: `crc` is a previous *result* (0 to start), and the result is the
// finished (post-inverted) CRC. So Crc(b, Crc(a, 0)) == Crc(a || b, 0): callers can checksum a
// batch that arrives in pieces without concatenating it.
//
// Kernels are pure functions over caller memory: no state, no allocation, safe from any thread.
// The lookup tables they use are compile-time constants (constexpr, in read-only data), not
// mutable globals.
#pragma once

#include <cstddef>
#include <cstdint>

namespace strand {

using Crc32cFn = uint32_t (*)(uint32_t crc, const uint8_t* data, size_t length);

// Table-driven slicing-by-8: portable, ~1-2 GB/s. The fallback on every CPU.
uint32_t Crc32cSoftware(uint32_t crc, const uint8_t* data, size_t length);

#if defined(__x86_64__) || defined(__i386__)
#define STRAND_CRC32C_HAVE_SSE42 1
// SSE4.2 `crc32` instruction, three interleaved streams. Only call when CpuHasSse42().
uint32_t Crc32cSse42(uint32_t crc, const uint8_t* data, size_t length);
bool CpuHasSse42();
#endif

#if defined(__aarch64__) && (defined(__ARM_FEATURE_CRC32) || defined(__linux__))
#define STRAND_CRC32C_HAVE_ARMV8 1
// ARMv8 CRC32 extension. Only call when CpuHasArmv8Crc().
uint32_t Crc32cArmv8(uint32_t crc, const uint8_t* data, size_t length);
bool CpuHasArmv8Crc();
#endif

struct Crc32cImpl {
  Crc32cFn fn;
  const char* name;  // "sse4.2", "armv8-crc" or "software"
};

// Picks the fastest kernel this CPU supports. `forceSoftware` is for tests and benchmarks.
Crc32cImpl SelectCrc32c(bool forceSoftware);

}  // namespace strand
