{
  "targets": [
    {
      "target_name": "anvil_native",
      "sources": [
        "src/backend/native/csrc/addon.cc",
        "src/backend/native/csrc/bindings.cc",
        "src/backend/native/csrc/pool.cc",
        "src/backend/native/csrc/isa_avx512.cc",
        "src/backend/native/csrc/isa_avx2.cc",
        "src/backend/native/csrc/isa_portable.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-pthread"],
      "cflags_cc": ["-std=gnu++17", "-fexceptions"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=fast"],
        "CLANG_CXX_LANGUAGE_STANDARD": "gnu++17"
      }
    }
  ]
}
