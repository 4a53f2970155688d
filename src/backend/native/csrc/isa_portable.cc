// The portable build of the kernels: 128-bit vector extensions, which the compiler
// lowers to SSE2 on x86-64 and to NEON on arm64 (NEON is baseline there). It is the
// "scalar" path that ANVIL_NATIVE_ISA=scalar forces, and the arm64 path.
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "ops.h"
#include "pool.h"

#define VBYTES 16
#if defined(__aarch64__)
// NEON has 32 vector registers: an 8x12 tile (24 accumulators). Written for arm64 but not
// run on arm64 hardware yet; x86-64 (16 registers) keeps 6x8.
#define GEMM_MR 8
#define GEMM_NV 3
#else
#define GEMM_MR 6
#define GEMM_NV 2
#endif
#define VSET1(x) (vf{(x), (x), (x), (x)})  // 4 lanes: one shuffle, not a chain of inserts
#define ISA_NAME "scalar"
namespace anvil {
namespace isa_portable {
#include "kernels_impl.h"
}
const Ops* ops_portable() { return &isa_portable::table; }
}  // namespace anvil
