// The AVX2+FMA build of the kernels (256-bit vectors, 6x16 GEMM micro-tile).
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "ops.h"
#include "pool.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c")
#endif
#define VBYTES 32
#define GEMM_MR 6
#define GEMM_NV 2
#define VSET1 _mm256_set1_ps
#define ISA_NAME "avx2"
namespace anvil {
namespace isa_avx2 {
#include "kernels_impl.h"
}
const Ops* ops_avx2() { return &isa_avx2::table; }
}  // namespace anvil
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#else
namespace anvil {
const Ops* ops_avx2() { return nullptr; }
}
#endif
