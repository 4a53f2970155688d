// Fused causal attention with grouped-query heads, forward and backward (included by
// kernels_impl.h). Nothing T x T is kept: the forward saves only out and the per-row
// logsumexp, and the backward recomputes the probabilities block by block.
//
// Dims: B batch, T query rows, Tk key rows held per batch item (a KV cache's capacity),
// S = pastLen + T keys read, H query heads, Hkv kv heads, D head dim.
// q, out, dout: (B, T, H, D); k, v, dk, dv: (B, Tk, Hkv, D); lse: (B, H, T).
// Query row i sits at position pastLen + i; when causal it sees keys 0..pastLen + i.

constexpr int64_t ATT_RB = 32;           // query rows per task
constexpr int64_t ATT_KB = 2 * VW;       // keys per backward block
constexpr int64_t ATT_JU = 4 * VW;       // keys per unrolled score step

static inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Copies rows [0, nk) of one kv head into (D, ld) column-major-by-key form, zero-padded to ld.
static void transpose_keys(const float* src, int64_t rowStride, int64_t nk, int64_t D, int64_t ld, float* dst) {
  for (int64_t e = 0; e < D; e++) {
    float* d = dst + e * ld;
    for (int64_t j = 0; j < nk; j++) d[j] = src[j * rowStride + e];
    for (int64_t j = nk; j < ld; j++) d[j] = 0.f;
  }
}

// s[j] = scale * x · K[j] for j < n (n rounded up to ATT_JU), K given transposed (D, ld).
static void scores_row(const float* x, const float* kt, int64_t ld, int64_t D, int64_t n, float scale, float* s) {
  for (int64_t j = 0; j < n; j += ATT_JU) {
    vf a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    for (int64_t e = 0; e < D; e++) {
      vf xv = vset1(x[e]);
      const float* k = kt + e * ld + j;
      a0 = vfma(xv, vload_aligned(k), a0);
      a1 = vfma(xv, vload_aligned(k + VW), a1);
      a2 = vfma(xv, vload_aligned(k + 2 * VW), a2);
      a3 = vfma(xv, vload_aligned(k + 3 * VW), a3);
    }
    vstore(s + j, a0 * scale);
    vstore(s + j + VW, a1 * scale);
    vstore(s + j + 2 * VW, a2 * scale);
    vstore(s + j + 3 * VW, a3 * scale);
  }
}

// o[0:D] = sum_j w[j] * rows[j] for j < n (rows of length D, stride rowStride).
static void weighted_rows(const float* w, const float* rows, int64_t rowStride, int64_t n, int64_t D, float* o) {
  for (int64_t e = 0; e < D; e++) o[e] = 0.f;
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float *r0 = rows + j * rowStride, *r1 = r0 + rowStride, *r2 = r1 + rowStride, *r3 = r2 + rowStride;
    vf w0 = vset1(w[j]), w1 = vset1(w[j + 1]), w2 = vset1(w[j + 2]), w3 = vset1(w[j + 3]);
    each_vec(0, D, [&](int64_t e, int64_t n) {
      vf acc = vload_n(o + e, n);
      acc = vfma(w0, vload_n(r0 + e, n), acc);
      acc = vfma(w1, vload_n(r1 + e, n), acc);
      acc = vfma(w2, vload_n(r2 + e, n), acc);
      acc = vfma(w3, vload_n(r3 + e, n), acc);
      vstore_n(o + e, acc, n);
    });
  }
  for (; j < n; j++) {
    const float* r0 = rows + j * rowStride;
    vf w0 = vset1(w[j]);
    each_vec(0, D, [&](int64_t e, int64_t n) { vstore_n(o + e, vfma(w0, vload_n(r0 + e, n), vload_n(o + e, n)), n); });
  }
}

static inline int64_t att_last(const AttnArgs& a, int64_t i) { return a.causal ? a.pastLen + i : a.pastLen + a.T - 1; }

static void attention(const AttnArgs& a) {
  const int64_t T = a.T, H = a.H, Hkv = a.Hkv, D = a.D, group = H / Hkv;
  const int64_t nrb = (T + ATT_RB - 1) / ATT_RB, kvRow = Hkv * D;
  parallel_for(a.B * H * nrb, 1, [&](int64_t t0, int64_t t1, int) {
    int64_t ld = round_up(a.pastLen + T, ATT_JU);
    float* kt = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ld));
    float* s = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)ld);
    for (int64_t task = t0; task < t1; task++) {
      int64_t b = task / (H * nrb), h = task / nrb % H, rb = task % nrb, kh = h / group;
      int64_t r0 = rb * ATT_RB, r1 = r0 + ATT_RB < T ? r0 + ATT_RB : T;
      int64_t nk = att_last(a, r1 - 1) + 1;
      const float* kb = a.k + (b * a.Tk * Hkv + kh) * D;
      const float* vb = a.v + (b * a.Tk * Hkv + kh) * D;
      transpose_keys(kb, kvRow, nk, D, ld, kt);
      for (int64_t i = r0; i < r1; i++) {
        int64_t cnt = att_last(a, i) + 1;
        const float* q = a.q + ((b * T + i) * H + h) * D;
        scores_row(q, kt, ld, D, cnt, a.scale, s);
        float l = row_lse(s, cnt);
        each_vec(0, cnt, [&](int64_t j, int64_t n) { vstore_n(s + j, vexp(vload_n(s + j, n) - l), n); });
        weighted_rows(s, vb, kvRow, cnt, D, a.out + ((b * T + i) * H + h) * D);
        a.lse[(b * H + h) * T + i] = l;
      }
    }
    aligned_free_bytes(kt);
    aligned_free_bytes(s);
  });
}

static void attention_bwd(const AttnArgs& a) {
  const int64_t T = a.T, H = a.H, Hkv = a.Hkv, D = a.D, group = H / Hkv, B = a.B;
  const int64_t nrb = (T + ATT_RB - 1) / ATT_RB, kvRow = Hkv * D, S = a.pastLen + T;
  // delta[b, h, i] = dout_i · out_i
  float* delta = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(B * H * T + 1));
  rows_par(B * T, H * D, [&](int64_t bt) {
    int64_t b = bt / T, i = bt % T;
    for (int64_t h = 0; h < H; h++) {
      const float *o = a.out + (bt * H + h) * D, *d = a.dout + (bt * H + h) * D;
      vf acc = vzero();
      each_vec(0, D, [&](int64_t e, int64_t n) { acc += vload_n(o + e, n) * vload_n(d + e, n); });
      delta[(b * H + h) * T + i] = hsum(acc);
    }
  });
  // dq, one task per (b, h, block of query rows).
  parallel_for(B * H * nrb, 1, [&](int64_t t0, int64_t t1, int) {
    int64_t ld = round_up(S, ATT_JU);
    float* kt = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ld));
    float* vt = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ld));
    float* s = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)ld);
    float* dp = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)ld);
    for (int64_t task = t0; task < t1; task++) {
      int64_t b = task / (H * nrb), h = task / nrb % H, rb = task % nrb, kh = h / group;
      int64_t r0 = rb * ATT_RB, r1 = r0 + ATT_RB < T ? r0 + ATT_RB : T;
      int64_t nk = att_last(a, r1 - 1) + 1;
      const float* kb = a.k + (b * a.Tk * Hkv + kh) * D;
      const float* vb = a.v + (b * a.Tk * Hkv + kh) * D;
      transpose_keys(kb, kvRow, nk, D, ld, kt);
      transpose_keys(vb, kvRow, nk, D, ld, vt);
      for (int64_t i = r0; i < r1; i++) {
        int64_t cnt = att_last(a, i) + 1, row = (b * T + i) * H + h;
        float l = a.lse[(b * H + h) * T + i], dl = delta[(b * H + h) * T + i];
        scores_row(a.q + row * D, kt, ld, D, cnt, a.scale, s);
        scores_row(a.dout + row * D, vt, ld, D, cnt, 1.f, dp);
        each_vec(0, cnt, [&](int64_t j, int64_t n) {
          vf p = vexp(vload_n(s + j, n) - l);
          vstore_n(s + j, p * (vload_n(dp + j, n) - dl) * a.scale, n);
        });
        weighted_rows(s, kb, kvRow, cnt, D, a.dq + row * D);
      }
    }
    aligned_free_bytes(kt);
    aligned_free_bytes(vt);
    aligned_free_bytes(s);
    aligned_free_bytes(dp);
  });
  // dk and dv, one task per (b, kv head, block of keys): each key row has one owner.
  const int64_t nkb = (a.Tk + ATT_KB - 1) / ATT_KB;
  parallel_for(B * Hkv * nkb, 1, [&](int64_t t0, int64_t t1, int) {
    float* kt = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ATT_KB));
    float* vt = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ATT_KB));
    float* gk = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ATT_KB));
    float* gv = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(D * ATT_KB));
    alignas(64) float p[ATT_KB], ds[ATT_KB];
    for (int64_t task = t0; task < t1; task++) {
      int64_t b = task / (Hkv * nkb), kh = task / nkb % Hkv, jb = task % nkb;
      int64_t j0 = jb * ATT_KB, j1 = j0 + ATT_KB < a.Tk ? j0 + ATT_KB : a.Tk;
      int64_t nk = (j1 < S ? j1 : S) - j0;  // keys of this block that any query reads
      for (int64_t x = 0; x < D * ATT_KB; x++) gk[x] = gv[x] = 0.f;
      if (nk > 0) {
        const float* kb = a.k + ((b * a.Tk + j0) * Hkv + kh) * D;
        const float* vb = a.v + ((b * a.Tk + j0) * Hkv + kh) * D;
        transpose_keys(kb, kvRow, nk, D, ATT_KB, kt);
        transpose_keys(vb, kvRow, nk, D, ATT_KB, vt);
        int64_t iStart = a.causal ? (j0 - a.pastLen > 0 ? j0 - a.pastLen : 0) : 0;
        for (int64_t h = kh * group; h < (kh + 1) * group; h++) {
          for (int64_t i = iStart; i < T; i++) {
            int64_t row = (b * T + i) * H + h, vis = att_last(a, i) + 1 - j0;  // keys j0..j0+vis-1 visible
            if (vis > nk) vis = nk;
            float l = a.lse[(b * H + h) * T + i], dl = delta[(b * H + h) * T + i];
            const float *q = a.q + row * D, *dy = a.dout + row * D;
            for (int64_t u = 0; u < ATT_KB; u += VW) {
              vf sv = vzero(), dv = vzero();
              for (int64_t e = 0; e < D; e++) {
                sv = vfma(vset1(q[e]), vload_aligned(kt + e * ATT_KB + u), sv);
                dv = vfma(vset1(dy[e]), vload_aligned(vt + e * ATT_KB + u), dv);
              }
              vf pv = vexp(sv * a.scale - l);
              for (int k = 0; k < VW; k++)
                if (u + k >= vis) pv[k] = 0.f;
              vstore(p + u, pv);
              vstore(ds + u, pv * (dv - dl) * a.scale);
            }
            for (int64_t j = 0; j < vis; j++) {
              vf pj = vset1(p[j]), dsj = vset1(ds[j]);
              float *gvr = gv + j * D, *gkr = gk + j * D;
              each_vec(0, D, [&](int64_t e, int64_t n) {
                vstore_n(gvr + e, vfma(pj, vload_n(dy + e, n), vload_n(gvr + e, n)), n);
                vstore_n(gkr + e, vfma(dsj, vload_n(q + e, n), vload_n(gkr + e, n)), n);
              });
            }
          }
        }
      }
      for (int64_t j = j0; j < j1; j++) {
        float* dkr = a.dk + ((b * a.Tk + j) * Hkv + kh) * D;
        float* dvr = a.dv + ((b * a.Tk + j) * Hkv + kh) * D;
        for (int64_t e = 0; e < D; e++) {
          dkr[e] = gk[(j - j0) * D + e];
          dvr[e] = gv[(j - j0) * D + e];
        }
      }
    }
    aligned_free_bytes(kt);
    aligned_free_bytes(vt);
    aligned_free_bytes(gk);
    aligned_free_bytes(gv);
  });
  aligned_free_bytes(delta);
}
