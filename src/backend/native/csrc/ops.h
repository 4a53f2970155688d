// The table of native kernels. Each instruction-set build (AVX-512, AVX2+FMA, portable)
// fills one table from the same source, kernels_impl.h; the addon picks a table at run
// time from CPUID or ANVIL_NATIVE_ISA. Sizes are element counts; memory is row-major.
#pragma once
#include <cstddef>
#include <cstdint>

namespace anvil {

/** Batched C = op(A)·op(B) (+ C when accumulate). A: (M,K) or (K,M) when transA; B: (K,N) or (N,K). */
struct GemmArgs {
  const void* a;
  const void* b;
  float* c;
  int64_t batch, M, N, K;
  int64_t strideA, strideB, strideC;  // per batch item, in elements; 0 shares one matrix
  bool transA, transB, accumulate;
  bool bf16;         // round both operands to bf16, multiply in bf16, accumulate in f32
  bool aBf16, bBf16; // the operand is stored as bf16 (u16) rather than f32
};

/** Fused causal attention, grouped-query heads; q/out (B,T,H,D), k/v (B,Tk,Hkv,D), lse (B,H,T). */
struct AttnArgs {
  const float *q, *k, *v, *dout;
  float *out, *lse;        // written by forward, read by backward
  float *dq, *dk, *dv;     // written by backward
  int64_t B, T, Tk, H, Hkv, D, pastLen;
  float scale;
  bool causal;
};

enum { OP_ADD = 0, OP_SUB = 1, OP_MUL = 2, OP_DIV = 3 };
enum { RED_SUM = 0, RED_MEAN = 1, RED_MAX = 2 };
enum { ACT_GELU = 0, ACT_SILU = 1 };

struct Ops {
  const char* isa;
  void (*gemm)(const GemmArgs&);
  // out = a op b over merged dims: shape (rank), element strides of a and b (0 = broadcast).
  void (*binary)(int op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
                 const int64_t* sa, const int64_t* sb);
  void (*affine)(const float* a, float* out, int64_t n, float mul, float add);
  void (*reduce_last)(int op, const float* x, float* out, int32_t* argmax, int64_t rows, int64_t cols);
  void (*reduce_last_bwd)(int op, const float* dout, float* dx, const int32_t* argmax, int64_t rows, int64_t cols);
  // r and s may be null (no fused residual); b null means RMSNorm (mean unused).
  void (*norm)(const float* x, const float* r, float* s, const float* w, const float* b, float* out, float* mean,
               float* rstd, int64_t rows, int64_t c, float eps);
  // db and mean null means RMSNorm; adds into dw (and db).
  void (*norm_bwd)(const float* dout, const float* x, const float* w, const float* mean, const float* rstd, float* dx,
                   float* dw, float* db, int64_t rows, int64_t c);
  void (*activation)(int op, const float* x, const float* bias, float* out, int64_t rows, int64_t c);
  void (*activation_bwd)(int op, const float* x, const float* bias, const float* dout, float* dx, int64_t rows,
                         int64_t c);
  // cos/sin tables (positions, D/2) indexed from pos0; sign -1 rotates backwards.
  void (*rope)(const float* x, float* out, int64_t B, int64_t T, int64_t H, int64_t D, const float* cos,
               const float* sin, float sign);
  void (*attention)(const AttnArgs&);
  void (*attention_bwd)(const AttnArgs&);
  void (*softmax)(const float* x, float* out, int64_t rows, int64_t cols);
  void (*softmax_bwd)(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols);
  // Returns the first row whose target is out of range, or -1.
  int64_t (*cross_entropy)(const float* logits, const int32_t* targets, float* loss, float* lse, int64_t rows,
                           int64_t v, int32_t ignore);
  void (*cross_entropy_bwd)(const float* logits, const int32_t* targets, const float* lse, float dloss,
                            float* dlogits, int64_t rows, int64_t v, int32_t ignore);
  void (*dropout)(const float* x, float* out, int64_t n, float p, uint32_t seed, uint32_t offset);
  void (*adamw)(float* p, const float* g, float* m, float* v, int64_t n, float lr, float b1, float b2, float eps,
                float wd, float c1, float c2);
  double (*sum_squares)(const float* x, int64_t n);
};

const Ops* ops_avx512();  // null when not compiled for this architecture
const Ops* ops_avx2();
const Ops* ops_portable();

}  // namespace anvil
