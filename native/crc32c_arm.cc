// Hardware CRC-32C for AArch64 with the ARMv8 CRC32 extension (`crc32cx`/`crc32cb`).
//
// Compiled only when the build's target baseline guarantees the extension
// (__ARM_FEATURE_CRC32, e.g. -march=armv8.1-a); otherwise this file is empty and the software
// kernel is used. That keeps the addon loadable on every AArch64 CPU without per-compiler
// target-attribute spellings.
#include "crc32c.h"

#if defined(STRAND_CRC32C_HAVE_ARMV8)

#include <arm_acle.h>

#include <cstring>

namespace strand {

uint32_t Crc32cArmv8(uint32_t crc, const uint8_t* p, size_t length) {
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
