// Packed, cache-blocked GEMM (BLIS loop order), written once over GCC/Clang vector
// extensions and compiled per instruction set by the isa_*.cc files, which define
// VBYTES (vector width in bytes), GEMM_MR (rows of the micro-tile) and GEMM_NV (vectors
// per micro-tile row). Included inside the per-ISA namespace, after common_impl.h.
//
// Dims: M rows of op(A) and C, N columns of op(B) and C, K the shared dimension.
// Every C element is summed in the same order whatever the thread split (k ascending,
// KC blocks ascending), so 1 and N threads give identical results.

constexpr int MR = GEMM_MR;
constexpr int NR = GEMM_NV * VW;
constexpr int64_t KC = 256;
constexpr int64_t MC = MR * 16;
constexpr int64_t NC = NR * 64;

// Reads element i of an f32 or bf16 operand as f32, rounded to bf16 when asked.
template <bool SRC_BF16, bool ROUND>
static inline float load_elem(const void* p, int64_t i) {
  if (SRC_BF16) return bf16_to_f32(((const uint16_t*)p)[i]);
  float v = ((const float*)p)[i];
  return ROUND ? bf16_to_f32(f32_to_bf16(v)) : v;
}

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row panels laid out [panel][k][MR], zero-padded.
template <bool SRC_BF16, bool ROUND>
static void pack_a(const void* a, bool transA, int64_t M, int64_t K, int64_t i0, int64_t mc, int64_t p0,
                   int64_t kc, float* __restrict out) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    int64_t rows = mc - ir < MR ? mc - ir : MR;
    float* dst = out + ir * kc;
    if (!transA) {
      for (int64_t k = 0; k < kc; k++) {
        for (int64_t i = 0; i < rows; i++) dst[k * MR + i] = load_elem<SRC_BF16, ROUND>(a, (i0 + ir + i) * K + p0 + k);
        for (int64_t i = rows; i < MR; i++) dst[k * MR + i] = 0.f;
      }
    } else {
      for (int64_t k = 0; k < kc; k++) {
        int64_t base = (p0 + k) * M + i0 + ir;
        for (int64_t i = 0; i < rows; i++) dst[k * MR + i] = load_elem<SRC_BF16, ROUND>(a, base + i);
        for (int64_t i = rows; i < MR; i++) dst[k * MR + i] = 0.f;
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column panels laid out [panel][k][NR], zero-padded.
template <bool SRC_BF16, bool ROUND>
static void pack_b(const void* b, bool transB, int64_t N, int64_t K, int64_t p0, int64_t kc, int64_t j0,
                   int64_t nc, float* __restrict out) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t cols = nc - jr < NR ? nc - jr : NR;
    float* dst = out + jr * kc;
    if (!transB) {
      for (int64_t k = 0; k < kc; k++) {
        int64_t base = (p0 + k) * N + j0 + jr;
        if (!SRC_BF16 && !ROUND && cols == NR) {
          for (int v = 0; v < GEMM_NV; v++) vstore(dst + k * NR + v * VW, vload((const float*)b + base + v * VW));
          continue;
        }
        for (int64_t j = 0; j < cols; j++) dst[k * NR + j] = load_elem<SRC_BF16, ROUND>(b, base + j);
        for (int64_t j = cols; j < NR; j++) dst[k * NR + j] = 0.f;
      }
    } else {
      for (int64_t k = 0; k < kc; k++) {
        for (int64_t j = 0; j < cols; j++) dst[k * NR + j] = load_elem<SRC_BF16, ROUND>(b, (j0 + jr + j) * K + p0 + k);
        for (int64_t j = cols; j < NR; j++) dst[k * NR + j] = 0.f;
      }
    }
  }
}

// The MR x NR micro-kernel: acc = Ap·Bp over kc, then C = acc or C += acc.
static inline void micro_f32(int64_t kc, const float* __restrict ap, const float* __restrict bp, float* c,
                             int64_t ldc, bool add) {
  vf acc[MR][GEMM_NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < GEMM_NV; v++) acc[i][v] = vzero();
  for (int64_t k = 0; k < kc; k++) {
    vf bv[GEMM_NV];
#pragma GCC unroll 4
    for (int v = 0; v < GEMM_NV; v++) bv[v] = vload_aligned(bp + k * NR + v * VW);
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      vf av = vset1(ap[k * MR + i]);
#pragma GCC unroll 4
      for (int v = 0; v < GEMM_NV; v++) acc[i][v] = vfma(av, bv[v], acc[i][v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < GEMM_NV; v++) {
      float* p = c + i * ldc + v * VW;
      vstore(p, add ? vload(p) + acc[i][v] : acc[i][v]);
    }
}

// Writes a micro-tile through a full-size scratch tile where it overhangs C's edge.
static inline void micro_edge(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, int64_t rows,
                              int64_t cols, bool add) {
  alignas(64) float tile[MR * NR];
  micro_f32(kc, ap, bp, tile, NR, false);
  for (int64_t i = 0; i < rows; i++)
    for (int64_t j = 0; j < cols; j++) c[i * ldc + j] = add ? c[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
}

struct Scratch {
  float* a = nullptr;
  float* b = nullptr;
  Scratch() {
    a = (float*)aligned_alloc_bytes(sizeof(float) * MC * KC);
    b = (float*)aligned_alloc_bytes(sizeof(float) * KC * NC);
  }
  ~Scratch() {
    aligned_free_bytes(a);
    aligned_free_bytes(b);
  }
};
static thread_local Scratch scratch;  // packed panels, one set per thread

// One task: rows [m0,m1) x cols [n0,n1) of one batch item.
template <bool ABF, bool BBF, bool ROUND>
static void gemm_block(const GemmArgs& g, const void* a, const void* b, float* c, int64_t m0, int64_t m1, int64_t n0,
                       int64_t n1) {
  Scratch& s = scratch;
  const int64_t N = g.N, K = g.K, M = g.M;
  if (K == 0) {
    if (!g.accumulate)
      for (int64_t i = m0; i < m1; i++)
        for (int64_t j = n0; j < n1; j++) c[i * N + j] = 0.f;
    return;
  }
  for (int64_t jc = n0; jc < n1; jc += NC) {
    int64_t nc = n1 - jc < NC ? n1 - jc : NC;
    for (int64_t pc = 0; pc < K; pc += KC) {
      int64_t kc = K - pc < KC ? K - pc : KC;
      bool add = g.accumulate || pc > 0;
      pack_b<BBF, ROUND>(b, g.transB, N, K, pc, kc, jc, nc, s.b);
      for (int64_t ic = m0; ic < m1; ic += MC) {
        int64_t mc = m1 - ic < MC ? m1 - ic : MC;
        pack_a<ABF, ROUND>(a, g.transA, M, K, ic, mc, pc, kc, s.a);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          int64_t cols = nc - jr < NR ? nc - jr : NR;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            int64_t rows = mc - ir < MR ? mc - ir : MR;
            float* cp = c + (ic + ir) * N + jc + jr;
            if (rows == MR && cols == NR)
              micro_f32(kc, s.a + ir * kc, s.b + jr * kc, cp, N, add);
            else
              micro_edge(kc, s.a + ir * kc, s.b + jr * kc, cp, N, rows, cols, add);
          }
        }
      }
    }
  }
}

// Splits the batch into tasks of row and column ranges; each task packs its own panels.
template <class F>
static void gemm_tasks(const GemmArgs& g, F&& block) {
  int T = pool_threads();
  int64_t ntn = (g.N + NR - 1) / NR, ntm = (g.M + MR - 1) / MR;
  int64_t splits = 1;
  double flops = 2.0 * (double)g.M * (double)g.N * (double)g.K * (double)g.batch;
  if (flops < 2e5) T = 1;  // below this, waking threads costs more than it saves
  if (T > 1 && !(g.batch % T == 0 || g.batch >= 8 * T)) splits = T;
  // Split the longer side: every task packs all of its share of A and B, so cutting M
  // repacks B per piece (K*N each) and cutting N repacks A (M*K each).
  int64_t sn, sm;
  if (g.M > g.N) {
    sm = splits < ntm ? splits : ntm;
    sn = (splits + sm - 1) / sm;
    if (sn > ntn) sn = ntn;
  } else {
    sn = splits < ntn ? splits : ntn;
    sm = (splits + sn - 1) / sn;
    if (sm > ntm) sm = ntm;
  }
  if (sm < 1) sm = 1;
  if (sn < 1) sn = 1;
  int64_t per = sn * sm, total = g.batch * per;
  parallel_for(total, T > 1 ? 1 : total, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; t++) {
      int64_t bi = t / per, r = t % per, mi = r / sn, ni = r % sn;
      int64_t m0 = ntm * mi / sm * MR, m1 = ntm * (mi + 1) / sm * MR;
      int64_t n0 = ntn * ni / sn * NR, n1 = ntn * (ni + 1) / sn * NR;
      if (m1 > g.M) m1 = g.M;
      if (n1 > g.N) n1 = g.N;
      if (m0 >= m1 || n0 >= n1) continue;
      block(bi, m0, m1, n0, n1);
    }
  });
}

template <bool ABF, bool BBF, bool ROUND>
static void gemm_typed(const GemmArgs& g) {
  size_t ea = ABF ? 2 : 4, eb = BBF ? 2 : 4;
  gemm_tasks(g, [&](int64_t bi, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const void* a = (const char*)g.a + ea * g.strideA * bi;
    const void* b = (const char*)g.b + eb * g.strideB * bi;
    gemm_block<ABF, BBF, ROUND>(g, a, b, g.c + g.strideC * bi, m0, m1, n0, n1);
  });
}

#ifdef ANVIL_BF16_DOT
#include "gemm_bf16_avx512.h"
#endif

static void gemm(const GemmArgs& g) {
#ifdef ANVIL_BF16_DOT
  if (g.bf16 && g.K > 0 && cpu_has_avx512bf16) return gemm_bf16_dot(g);
#endif
  bool round = g.bf16;
  if (g.aBf16) {
    if (g.bBf16) return gemm_typed<true, true, false>(g);
    return round ? gemm_typed<true, false, true>(g) : gemm_typed<true, false, false>(g);
  }
  if (g.bBf16) return round ? gemm_typed<false, true, true>(g) : gemm_typed<false, true, false>(g);
  return round ? gemm_typed<false, false, true>(g) : gemm_typed<false, false, false>(g);
}
