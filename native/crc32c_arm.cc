// Hardware CRC-32C for AArch64 with the ARMv8 CRC32 extension (`crc32cx`/`crc32cb`).
//
// Like the x86 kernel, the function is compiled for the extension with a target attribute and
// only called after the CPU is known to have it: at compile time when the build's baseline
// already includes it (__ARM_FEATURE_CRC32, e.g. Apple silicon or -march=armv8.1-a), else at
// load time from the kernel's hwcaps (Linux). Elsewhere the software kernel is used.
#include "crc32c.h"

#if defined(STRAND_CRC32C_HAVE_ARMV8)

#include <arm_acle.h>

#include <cstring>

#if !defined(__ARM_FEATURE_CRC32)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#if defined(__clang__)
#define STRAND_TARGET_CRC __attribute__((target("crc")))
#else
#define STRAND_TARGET_CRC __attribute__((target("+crc")))
#endif
#else
#define STRAND_TARGET_CRC
#endif

namespace strand {

bool CpuHasArmv8Crc() {
#if defined(__ARM_FEATURE_CRC32)
  return true;
#else
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#endif
}

STRAND_TARGET_CRC uint32_t Crc32cArmv8(uint32_t crc, const uint8_t* p, size_t length) {
  uint32_t c = ~crc;
  while (length > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c = __crc32cb(c, *p++);
    length--;
  }
  while (length >= 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof w);
    c = __crc32cd(c, w);
    p += 8;
    length -= 8;
  }
  while (length > 0) {
    c = __crc32cb(c, *p++);
    length--;
  }
  return ~c;
}

}  // namespace strand

#endif  // STRAND_CRC32C_HAVE_ARMV8
