# strand_native: mmap'd segment files, the group-commit flusher thread and CRC-32C.
# Built by `npm run build:native` (node-gyp rebuild) or by scripts/build-native.mjs at install.
# C++17, Node-API 8 through node-addon-api, C++ exceptions off (errors are pending JS
# exceptions). The hardware CRC kernels (SSE4.2 on x86-64, the CRC32 extension on AArch64) are
# enabled per function with __attribute__((target)) and picked by a CPU check at load, so no
# file needs -msse4.2/-march flags and the binary runs on any CPU of its architecture.
# NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: a worker being terminated can no longer throw; without
# it node-addon-api turns such a throw into a fatal error of the whole process.
{
  "targets": [
    {
      "target_name": "strand_native",
      "sources": [
        "native/addon.cc",
        "native/crc32c_arm.cc",
        "native/crc32c_sw.cc",
        "native/crc32c_x86.cc",
        "native/flusher.cc",
        "native/fs_util.cc",
        "native/record_walk.cc",
        "native/segment_core.cc",
        "native/segment_file.cc",
        "native/socket_send.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags!": ["-O2", "-O0"],
      "cflags_cc!": ["-std=gnu++14", "-std=gnu++1y", "-std=gnu++17", "-O2", "-O0"],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-exceptions"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      }
    }
  ]
}
