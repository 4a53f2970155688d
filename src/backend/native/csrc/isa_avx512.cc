// The AVX-512 build of the kernels (512-bit vectors, 12x32 GEMM micro-tile, and bf16
// products with vdpbf16ps where the processor has AVX512-BF16).
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "ops.h"
#include "pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512bf16,fma,f16c"))), apply_to = function)
#define BF16_FN
#else
// AVX512-BF16 only on the bf16 GEMM's own functions, so that nothing else in this build can
// use it on AVX-512 processors without it (Skylake-X to Ice Lake).
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma,f16c")
#define BF16_FN __attribute__((target("avx512bf16")))
#endif
#define VBYTES 64
#define GEMM_MR 12
#define GEMM_NV 2
#define VSET1 _mm512_set1_ps
#define ANVIL_BF16_DOT 1
#define ISA_NAME "avx512"
namespace anvil {
extern bool cpu_has_avx512bf16;
namespace isa_avx512 {
#include "kernels_impl.h"
}
const Ops* ops_avx512() { return &isa_avx512::table; }
}  // namespace anvil
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
namespace anvil {
const Ops* ops_avx512() { return nullptr; }
}
#endif
