// bf16 GEMM on AVX512-BF16: operands are rounded to bf16 while packing, k pairs are
// interleaved in 32-bit lanes, and vdpbf16ps multiplies the pairs and accumulates in f32.
// (No AMX tiles on this machine's processors, so there is no AMX path.) Included by
// gemm_impl.h in the AVX-512 build only; the same loop order as the f32 GEMM.

constexpr int BMR = MR;         // rows of the micro-tile
constexpr int BNR = 2 * 16;     // two vectors of 16 f32 lanes

template <bool SRC_BF16>
static inline uint32_t pair_bits(const void* p, int64_t i0, int64_t i1, bool has1) {
  uint32_t lo = f32_to_bf16(load_elem<SRC_BF16, false>(p, i0));
  uint32_t hi = has1 ? f32_to_bf16(load_elem<SRC_BF16, false>(p, i1)) : 0u;
  return lo | (hi << 16);
}

// Pairs (r0[j], r1[j]) for j < n <= 16 as 32-bit lanes (low half r0), rounded to bf16 by
// vcvtneps2bf16 (nearest even); r1 null gives zero high halves.
BF16_FN static inline __m512i pairs_rows(const float* r0, const float* r1, int64_t n) {
  __mmask16 m = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
  __m512 a = _mm512_maskz_loadu_ps(m, r0);
  __m512 b = r1 ? _mm512_maskz_loadu_ps(m, r1) : _mm512_setzero_ps();
  __m512i lo = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(a));
  __m512i hi = _mm512_cvtepu16_epi32((__m256i)_mm512_cvtneps_pbh(b));
  return _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
}
// Up to 16 pairs from nf <= 32 consecutive floats (a missing odd tail is zero).
BF16_FN static inline __m512i pairs_contig(const float* p, int64_t nf) {
  __mmask16 m0 = nf >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nf) - 1);
  int64_t r = nf - 16;
  __mmask16 m1 = r <= 0 ? (__mmask16)0 : r >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << r) - 1);
  __m512 lo = _mm512_maskz_loadu_ps(m0, p), hi = _mm512_maskz_loadu_ps(m1, p + 16);
  return (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
}
// Scatters the 16 pair lanes of v to dst[t * stride] for t < n.
static inline void store_strided(uint32_t* dst, int64_t stride, __m512i v, int64_t n) {
  alignas(64) uint32_t t[16];
  _mm512_store_si512((void*)t, v);
  for (int64_t i = 0; i < n; i++) dst[i * stride] = t[i];
}

// A panels [panel][kp][BMR] of k pairs; rows beyond mc and the odd k tail are zeros.
template <bool SRC_BF16>
BF16_FN static void pack_a_pairs(const void* a, bool transA, int64_t M, int64_t K, int64_t i0, int64_t mc, int64_t p0,
                         int64_t kc, uint32_t* out) {
  int64_t kp = (kc + 1) / 2;
  for (int64_t ir = 0; ir < mc; ir += BMR) {
    int64_t rows = mc - ir < BMR ? mc - ir : BMR;
    uint32_t* dst = out + ir * kp;
    if (!SRC_BF16 && transA) {  // rows k and k+1 of A are contiguous in i
      const float* af = (const float*)a;
      __mmask16 m = (__mmask16)((1u << BMR) - 1);
      for (int64_t q = 0; q < kp; q++) {
        int64_t k = p0 + 2 * q;
        const float* r0 = af + k * M + i0 + ir;
        __m512i v = pairs_rows(r0, 2 * q + 1 < kc ? r0 + M : nullptr, rows);
        _mm512_mask_storeu_epi32((void*)(dst + q * BMR), m, v);
      }
      continue;
    }
    if (!SRC_BF16) {  // row i of A holds its k values contiguously
      const float* af = (const float*)a;
      for (int64_t i = 0; i < BMR; i++) {
        if (i >= rows) {
          for (int64_t q = 0; q < kp; q++) dst[q * BMR + i] = 0u;
          continue;
        }
        const float* row = af + (i0 + ir + i) * K + p0;
        for (int64_t q = 0; q < kp; q += 16) {
          int64_t nf = kc - 2 * q < 32 ? kc - 2 * q : 32;
          store_strided(dst + q * BMR + i, BMR, pairs_contig(row + 2 * q, nf), (nf + 1) / 2);
        }
      }
      continue;
    }
    for (int64_t q = 0; q < kp; q++) {
      int64_t k = p0 + 2 * q;
      bool has1 = 2 * q + 1 < kc;
      for (int64_t i = 0; i < rows; i++) {
        int64_t r = i0 + ir + i;
        dst[q * BMR + i] = transA ? pair_bits<SRC_BF16>(a, k * M + r, (k + 1) * M + r, has1)
                                  : pair_bits<SRC_BF16>(a, r * K + k, r * K + k + 1, has1);
      }
      for (int64_t i = rows; i < BMR; i++) dst[q * BMR + i] = 0u;
    }
  }
}

template <bool SRC_BF16>
BF16_FN static void pack_b_pairs(const void* b, bool transB, int64_t N, int64_t K, int64_t p0, int64_t kc, int64_t j0,
                         int64_t nc, uint32_t* out) {
  int64_t kp = (kc + 1) / 2;
  for (int64_t jr = 0; jr < nc; jr += BNR) {
    int64_t cols = nc - jr < BNR ? nc - jr : BNR;
    uint32_t* dst = out + jr * kp;
    if (!SRC_BF16 && !transB) {  // rows k and k+1 of B are contiguous in j
      const float* bf = (const float*)b;
      for (int64_t q = 0; q < kp; q++) {
        const float* r0 = bf + (p0 + 2 * q) * N + j0 + jr;
        const float* r1 = 2 * q + 1 < kc ? r0 + N : nullptr;
        for (int64_t j = 0; j < BNR; j += 16) {
          __m512i v = cols > j ? pairs_rows(r0 + j, r1 ? r1 + j : nullptr, cols - j) : _mm512_setzero_si512();
          _mm512_store_si512((void*)(dst + q * BNR + j), v);
        }
      }
      continue;
    }
    if (!SRC_BF16) {  // column j of op(B) is row j of B: k values contiguous
      const float* bf = (const float*)b;
      for (int64_t j = 0; j < BNR; j++) {
        if (j >= cols) {
          for (int64_t q = 0; q < kp; q++) dst[q * BNR + j] = 0u;
          continue;
        }
        const float* row = bf + (j0 + jr + j) * K + p0;
        for (int64_t q = 0; q < kp; q += 16) {
          int64_t nf = kc - 2 * q < 32 ? kc - 2 * q : 32;
          store_strided(dst + q * BNR + j, BNR, pairs_contig(row + 2 * q, nf), (nf + 1) / 2);
        }
      }
      continue;
    }
    for (int64_t q = 0; q < kp; q++) {
      int64_t k = p0 + 2 * q;
      bool has1 = 2 * q + 1 < kc;
      for (int64_t j = 0; j < cols; j++) {
        int64_t cidx = j0 + jr + j;
        dst[q * BNR + j] = transB ? pair_bits<SRC_BF16>(b, cidx * K + k, cidx * K + k + 1, has1)
                                  : pair_bits<SRC_BF16>(b, k * N + cidx, (k + 1) * N + cidx, has1);
      }
      for (int64_t j = cols; j < BNR; j++) dst[q * BNR + j] = 0u;
    }
  }
}

BF16_FN static inline void micro_bf16(int64_t kp, const uint32_t* __restrict ap, const uint32_t* __restrict bp, float* c,
                              int64_t ldc, bool add) {
  __m512 acc[BMR][2];
  for (int i = 0; i < BMR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t q = 0; q < kp; q++) {
    __m512i b0 = _mm512_load_si512((const void*)(bp + q * BNR));
    __m512i b1 = _mm512_load_si512((const void*)(bp + q * BNR + 16));
#pragma GCC unroll 16
    for (int i = 0; i < BMR; i++) {
      __m512i av = _mm512_set1_epi32((int)ap[q * BMR + i]);
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], (__m512bh)av, (__m512bh)b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], (__m512bh)av, (__m512bh)b1);
    }
  }
  for (int i = 0; i < BMR; i++)
    for (int v = 0; v < 2; v++) {
      float* p = c + i * ldc + v * 16;
      _mm512_storeu_ps(p, add ? _mm512_add_ps(_mm512_loadu_ps(p), acc[i][v]) : acc[i][v]);
    }
}

template <bool ABF, bool BBF>
BF16_FN static void gemm_bf16_block(const GemmArgs& g, const void* a, const void* b, float* c, int64_t m0, int64_t m1,
                            int64_t n0, int64_t n1) {
  uint32_t* sa = (uint32_t*)scratch.a;
  uint32_t* sb = (uint32_t*)scratch.b;
  const int64_t N = g.N, K = g.K, M = g.M;
  alignas(64) float tile[BMR * BNR];
  for (int64_t jc = n0; jc < n1; jc += NC) {
    int64_t nc = n1 - jc < NC ? n1 - jc : NC;
    for (int64_t pc = 0; pc < K; pc += KC) {
      int64_t kc = K - pc < KC ? K - pc : KC, kp = (kc + 1) / 2;
      bool add = g.accumulate || pc > 0;
      pack_b_pairs<BBF>(b, g.transB, N, K, pc, kc, jc, nc, sb);
      for (int64_t ic = m0; ic < m1; ic += MC) {
        int64_t mc = m1 - ic < MC ? m1 - ic : MC;
        pack_a_pairs<ABF>(a, g.transA, M, K, ic, mc, pc, kc, sa);
        for (int64_t jr = 0; jr < nc; jr += BNR) {
          int64_t cols = nc - jr < BNR ? nc - jr : BNR;
          for (int64_t ir = 0; ir < mc; ir += BMR) {
            int64_t rows = mc - ir < BMR ? mc - ir : BMR;
            float* cp = c + (ic + ir) * N + jc + jr;
            if (rows == BMR && cols == BNR) {
              micro_bf16(kp, sa + ir * kp, sb + jr * kp, cp, N, add);
            } else {
              micro_bf16(kp, sa + ir * kp, sb + jr * kp, tile, BNR, false);
              for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < cols; j++)
                  cp[i * N + j] = add ? cp[i * N + j] + tile[i * BNR + j] : tile[i * BNR + j];
            }
          }
        }
      }
    }
  }
}

template <bool ABF, bool BBF>
static void gemm_bf16_typed(const GemmArgs& g) {
  size_t ea = ABF ? 2 : 4, eb = BBF ? 2 : 4;
  gemm_tasks(g, [&](int64_t bi, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const void* a = (const char*)g.a + ea * g.strideA * bi;
    const void* b = (const char*)g.b + eb * g.strideB * bi;
    gemm_bf16_block<ABF, BBF>(g, a, b, g.c + g.strideC * bi, m0, m1, n0, n1);
  });
}

static void gemm_bf16_dot(const GemmArgs& g) {
  if (g.aBf16) return g.bBf16 ? gemm_bf16_typed<true, true>(g) : gemm_bf16_typed<true, false>(g);
  return g.bBf16 ? gemm_bf16_typed<false, true>(g) : gemm_bf16_typed<false, false>(g);
}
