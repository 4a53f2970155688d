// Elementwise, reduction, normalization, activation, softmax, cross-entropy, dropout and
// AdamW kernels of one instruction-set build (included by kernels_impl.h).
//
// Dims: N rows, C channels (row length), V vocab. Work is cut into blocks whose bounds
// do not depend on the thread count, and each element or row is computed by the same
// code path whatever the split, so 1 and N threads give identical results.

constexpr int64_t BLK = 4096;  // elements per parallel block of elementwise kernels

static inline float hsum(vf v) {
  float s = 0.f;
  for (int i = 0; i < VW; i++) s += v[i];
  return s;
}
static inline float hmax(vf v) {
  float m = v[0];
  for (int i = 1; i < VW; i++) m = v[i] > m ? v[i] : m;
  return m;
}
static inline vf vmax(vf a, vf b) { return a > b ? a : b; }

// exp(x): Cephes-style range reduction and degree-6 polynomial (about 1 ulp), written over
// the vector type so that every lane and the scalar tail compute the same thing.
template <class V, class I>
static inline V exp_poly(V x) {
  x = x > 88.3762626647949f ? V{} + 88.3762626647949f : x;
  x = x < -88.3762626647949f ? V{} - 88.3762626647949f : x;
  V t = x * 1.44269504088896341f + 0.5f;
  I n = __builtin_convertvector(t, I);
  V fn = __builtin_convertvector(n, V);
  I fix = (I)(fn > t);  // truncation rounded up a negative value: floor it
  n = n + fix;
  fn = __builtin_convertvector(n, V);
  x = x - fn * 0.693359375f;
  x = x - fn * -2.12194440e-4f;
  V z = x * x;
  V y = ((((1.9875691500E-4f * x + 1.3981999507E-3f) * x + 8.3334519073E-3f) * x + 4.1665795894E-2f) * x +
         1.6666665459E-1f) * x + 5.0000001201E-1f;
  y = y * z + x + 1.0f;
  I e = (n + 127) << 23;
  return y * (V)e;
}
typedef float sv1 __attribute__((vector_size(4)));
typedef int32_t si1 __attribute__((vector_size(4)));
static inline vf vexp(vf x) { return exp_poly<vf, vi>(x); }
static inline float sexp(float x) { return exp_poly<sv1, si1>(sv1{x})[0]; }

// Applies f to a vector of lanes [i, i+VW) of an array of n, padding the tail.
template <class F>
static inline void each_vec(int64_t begin, int64_t end, F&& f) {
  int64_t i = begin;
  for (; i + VW <= end; i += VW) f(i, VW);
  if (i < end) f(i, end - i);
}
static inline vf vload_n(const float* p, int64_t n) {
  if (n == VW) return vload(p);
  alignas(64) float t[VW] = {};
  for (int64_t i = 0; i < n; i++) t[i] = p[i];
  return vload_aligned(t);
}
static inline void vstore_n(float* p, vf v, int64_t n) {
  if (n == VW) return vstore(p, v);
  for (int64_t i = 0; i < n; i++) p[i] = v[i];
}

template <class F>
static inline void blocks(int64_t n, F&& f) {
  int64_t nb = (n + BLK - 1) / BLK;
  parallel_for(nb, 8, [&](int64_t b0, int64_t b1, int) {
    for (int64_t b = b0; b < b1; b++) f(b * BLK, b * BLK + BLK < n ? b * BLK + BLK : n);
  });
}
// Rows in parallel; grain keeps small jobs on one thread.
template <class F>
static inline void rows_par(int64_t rows, int64_t cols, F&& f) {
  int64_t grain = cols > 0 ? 16384 / cols + 1 : rows;
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) f(r);
  });
}

// ---- elementwise ---------------------------------------------------------------------

template <int OP>
static inline vf binop(vf x, vf y) {
  if (OP == OP_ADD) return x + y;
  if (OP == OP_SUB) return x - y;
  if (OP == OP_MUL) return x * y;
  return x / y;
}

// Inner loop over the last merged dim with strides (1 or 0) of a and b.
template <int OP>
static void binary_inner(const float* a, const float* b, float* out, int64_t n, int64_t sa, int64_t sb) {
  if (sa == 1 && sb == 1)
    each_vec(0, n, [&](int64_t i, int64_t w) { vstore_n(out + i, binop<OP>(vload_n(a + i, w), vload_n(b + i, w)), w); });
  else if (sa == 1 && sb == 0) {
    vf bv = vset1(b[0]);
    each_vec(0, n, [&](int64_t i, int64_t w) { vstore_n(out + i, binop<OP>(vload_n(a + i, w), bv), w); });
  } else if (sa == 0 && sb == 1) {
    vf av = vset1(a[0]);
    each_vec(0, n, [&](int64_t i, int64_t w) { vstore_n(out + i, binop<OP>(av, vload_n(b + i, w)), w); });
  } else {
    for (int64_t i = 0; i < n; i++) out[i] = binop<OP>(vset1(a[i * sa]), vset1(b[i * sb]))[0];
  }
}

template <int OP>
static void binary_op(const float* a, const float* b, float* out, int rank, const int64_t* shape, const int64_t* sa,
                      const int64_t* sb) {
  int64_t inner = shape[rank - 1], outer = 1;
  for (int d = 0; d < rank - 1; d++) outer *= shape[d];
  if (outer == 1) {  // one long row: cut it into blocks
    blocks(inner, [&](int64_t i0, int64_t i1) {
      binary_inner<OP>(a + i0 * sa[rank - 1], b + i0 * sb[rank - 1], out + i0, i1 - i0, sa[rank - 1], sb[rank - 1]);
    });
    return;
  }
  rows_par(outer, inner, [&](int64_t r) {
    int64_t rem = r, oa = 0, ob = 0;
    for (int d = rank - 2; d >= 0; d--) {
      int64_t idx = rem % shape[d];
      rem /= shape[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    binary_inner<OP>(a + oa, b + ob, out + r * inner, inner, sa[rank - 1], sb[rank - 1]);
  });
}

static void binary(int op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
                   const int64_t* sa, const int64_t* sb) {
  switch (op) {
    case OP_ADD: return binary_op<OP_ADD>(a, b, out, rank, shape, sa, sb);
    case OP_SUB: return binary_op<OP_SUB>(a, b, out, rank, shape, sa, sb);
    case OP_MUL: return binary_op<OP_MUL>(a, b, out, rank, shape, sa, sb);
    default: return binary_op<OP_DIV>(a, b, out, rank, shape, sa, sb);
  }
}

static void affine(const float* a, float* out, int64_t n, float mul, float add) {
  blocks(n, [&](int64_t i0, int64_t i1) {
    each_vec(i0, i1, [&](int64_t i, int64_t w) { vstore_n(out + i, vload_n(a + i, w) * mul + add, w); });
  });
}

// ---- reductions over the last axis ----------------------------------------------------

static void reduce_last(int op, const float* x, float* out, int32_t* argmax, int64_t rows, int64_t cols) {
  rows_par(rows, cols, [&](int64_t r) {
    const float* row = x + r * cols;
    if (op == RED_MAX) {
      float best = -INFINITY;
      int64_t at = 0;
      for (int64_t c = 0; c < cols; c++)
        if (row[c] > best) best = row[c], at = c;
      out[r] = best;
      if (argmax) argmax[r] = (int32_t)at;
      return;
    }
    vf acc = vzero();
    each_vec(0, cols, [&](int64_t i, int64_t w) { acc += vload_n(row + i, w); });
    float s = hsum(acc);
    out[r] = op == RED_MEAN ? s / (float)cols : s;
  });
}

static void reduce_last_bwd(int op, const float* dout, float* dx, const int32_t* argmax, int64_t rows, int64_t cols) {
  rows_par(rows, cols, [&](int64_t r) {
    float* row = dx + r * cols;
    float g = op == RED_MEAN ? dout[r] / (float)cols : dout[r];
    if (op == RED_MAX) {
      for (int64_t c = 0; c < cols; c++) row[c] = 0.f;
      row[argmax[r]] = g;
      return;
    }
    for (int64_t c = 0; c < cols; c++) row[c] = g;
  });
}

// ---- LayerNorm / RMSNorm ----------------------------------------------------------------

static void norm(const float* x, const float* r, float* s, const float* w, const float* b, float* out, float* mean,
                 float* rstd, int64_t rows, int64_t c, float eps) {
  rows_par(rows, c, [&](int64_t i) {
    const float* xr = x + i * c;
    if (r) {  // fused residual: s = x + r, then normalize s
      float* sr = s + i * c;
      each_vec(0, c, [&](int64_t j, int64_t n) { vstore_n(sr + j, vload_n(xr + j, n) + vload_n(r + i * c + j, n), n); });
      xr = sr;
    }
    float m = 0.f;
    if (b) {
      vf acc = vzero();
      each_vec(0, c, [&](int64_t j, int64_t n) { acc += vload_n(xr + j, n); });
      m = hsum(acc) / (float)c;
    }
    vf acc = vzero();
    each_vec(0, c, [&](int64_t j, int64_t n) {
      vf d = vload_n(xr + j, n) - m;
      if (n < VW)
        for (int64_t k = n; k < VW; k++) d[k] = 0.f;
      acc += d * d;
    });
    float rs = 1.f / sqrtf(hsum(acc) / (float)c + eps);
    float* o = out + i * c;
    if (b)
      each_vec(0, c, [&](int64_t j, int64_t n) {
        vstore_n(o + j, (vload_n(xr + j, n) - m) * rs * vload_n(w + j, n) + vload_n(b + j, n), n);
      });
    else
      each_vec(0, c, [&](int64_t j, int64_t n) { vstore_n(o + j, vload_n(xr + j, n) * rs * vload_n(w + j, n), n); });
    if (mean) mean[i] = m;
    rstd[i] = rs;
  });
}

// dx per row; dw (and db) summed per fixed block of rows, then the blocks in order.
static void norm_bwd(const float* dout, const float* x, const float* w, const float* mean, const float* rstd, float* dx,
                     float* dw, float* db, int64_t rows, int64_t c) {
  const int64_t RB = 32;
  int64_t nb = (rows + RB - 1) / RB;
  int parts = db ? 2 : 1;
  float* partial = (float*)aligned_alloc_bytes(sizeof(float) * (size_t)(nb * parts * c));
  parallel_for(nb, 1, [&](int64_t b0, int64_t b1, int) {
    for (int64_t blk = b0; blk < b1; blk++) {
      float* gw = partial + blk * parts * c;
      float* gb = db ? gw + c : nullptr;
      for (int64_t j = 0; j < c * parts; j++) gw[j] = 0.f;
      int64_t r1 = (blk + 1) * RB < rows ? (blk + 1) * RB : rows;
      for (int64_t i = blk * RB; i < r1; i++) {
        const float *xr = x + i * c, *dr = dout + i * c;
        float m = mean ? mean[i] : 0.f, rs = rstd[i];
        vf sd = vzero(), sdx = vzero();
        each_vec(0, c, [&](int64_t j, int64_t n) {
          vf xh = (vload_n(xr + j, n) - m) * rs, dy = vload_n(dr + j, n);
          vf d = dy * vload_n(w + j, n);
          if (n < VW)
            for (int64_t k = n; k < VW; k++) xh[k] = 0.f;
          sd += d;
          sdx += d * xh;
          vstore_n(gw + j, vload_n(gw + j, n) + dy * xh, n);
          if (gb) vstore_n(gb + j, vload_n(gb + j, n) + dy, n);
        });
        float sumD = hsum(sd), sumDX = hsum(sdx), inv = 1.f / (float)c;
        float* o = dx + i * c;
        if (db)
          each_vec(0, c, [&](int64_t j, int64_t n) {
            vf xh = (vload_n(xr + j, n) - m) * rs;
            vf d = vload_n(dr + j, n) * vload_n(w + j, n);
            vstore_n(o + j, rs * (d - sumD * inv - xh * (sumDX * inv)), n);
          });
        else  // RMSNorm: dx = rs*dy*w - rs^3 x (sum dy*w*x) / c, and sumDX = rs * sum(dy*w*x)
          each_vec(0, c, [&](int64_t j, int64_t n) {
            vf d = vload_n(dr + j, n) * vload_n(w + j, n);
            vstore_n(o + j, rs * d - vload_n(xr + j, n) * (rs * rs * sumDX * inv), n);
          });
      }
    }
  });
  parallel_for(c, 1024, [&](int64_t j0, int64_t j1, int) {
    for (int64_t j = j0; j < j1; j++) {
      float sw = 0.f, sb = 0.f;
      for (int64_t blk = 0; blk < nb; blk++) {
        sw += partial[blk * parts * c + j];
        if (db) sb += partial[blk * parts * c + c + j];
      }
      dw[j] += sw;
      if (db) db[j] += sb;
    }
  });
  aligned_free_bytes(partial);
}

// ---- activations ------------------------------------------------------------------------

static inline vf gelu_v(vf v) {
  vf u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
  vf th = 1.f - 2.f / (vexp(2.f * u) + 1.f);
  return 0.5f * v * (1.f + th);
}
static inline vf gelu_grad_v(vf v) {
  vf u = 0.7978845608028654f * (v + 0.044715f * v * v * v);
  vf th = 1.f - 2.f / (vexp(2.f * u) + 1.f);
  return 0.5f * (1.f + th) + 0.5f * v * (1.f - th * th) * 0.7978845608028654f * (1.f + 3.f * 0.044715f * v * v);
}
static inline vf sigmoid_v(vf v) { return 1.f / (1.f + vexp(-v)); }

static void activation(int op, const float* x, const float* bias, float* out, int64_t rows, int64_t c) {
  rows_par(rows, c, [&](int64_t r) {
    const float* xr = x + r * c;
    float* o = out + r * c;
    each_vec(0, c, [&](int64_t j, int64_t n) {
      vf v = vload_n(xr + j, n);
      if (bias) v += vload_n(bias + j, n);
      vstore_n(o + j, op == ACT_GELU ? gelu_v(v) : v * sigmoid_v(v), n);
    });
  });
}

static void activation_bwd(int op, const float* x, const float* bias, const float* dout, float* dx, int64_t rows,
                           int64_t c) {
  rows_par(rows, c, [&](int64_t r) {
    const float *xr = x + r * c, *dr = dout + r * c;
    float* o = dx + r * c;
    each_vec(0, c, [&](int64_t j, int64_t n) {
      vf v = vload_n(xr + j, n);
      if (bias) v += vload_n(bias + j, n);
      vf g;
      if (op == ACT_GELU) g = gelu_grad_v(v);
      else {
        vf s = sigmoid_v(v);
        g = s * (1.f + v * (1.f - s));
      }
      vstore_n(o + j, vload_n(dr + j, n) * g, n);
    });
  });
}

// ---- RoPE -------------------------------------------------------------------------------

static void rope(const float* x, float* out, int64_t B, int64_t T, int64_t H, int64_t D, const float* cs,
                 const float* sn, float sign) {
  int64_t half = D / 2;
  rows_par(B * T, H * D, [&](int64_t bt) {
    int64_t t = bt % T;
    const float *c = cs + t * half, *s = sn + t * half;
    for (int64_t h = 0; h < H; h++) {
      const float* xr = x + (bt * H + h) * D;
      float* o = out + (bt * H + h) * D;
      each_vec(0, half, [&](int64_t i, int64_t n) {
        vf x1 = vload_n(xr + i, n), x2 = vload_n(xr + half + i, n);
        vf cv = vload_n(c + i, n), sv = vload_n(s + i, n) * sign;
        vf y1 = x1 * cv - x2 * sv, y2 = x2 * cv + x1 * sv;
        vstore_n(o + i, y1, n);
        vstore_n(o + half + i, y2, n);
      });
    }
  });
}

// ---- softmax and cross-entropy -------------------------------------------------------------

// log(sum(exp(row))) with the max subtracted; also the max.
static inline float row_lse(const float* row, int64_t n) {
  vf mv = vset1(-INFINITY);
  each_vec(0, n, [&](int64_t j, int64_t w) {
    vf v = vload_n(row + j, w);
    if (w < VW)
      for (int64_t k = w; k < VW; k++) v[k] = -INFINITY;
    mv = vmax(mv, v);
  });
  float mx = hmax(mv);
  vf acc = vzero();
  each_vec(0, n, [&](int64_t j, int64_t w) {
    vf e = vexp(vload_n(row + j, w) - mx);
    if (w < VW)
      for (int64_t k = w; k < VW; k++) e[k] = 0.f;
    acc += e;
  });
  return mx + logf(hsum(acc));
}

static void softmax(const float* x, float* out, int64_t rows, int64_t cols) {
  rows_par(rows, cols, [&](int64_t r) {
    const float* row = x + r * cols;
    float l = row_lse(row, cols);
    each_vec(0, cols, [&](int64_t j, int64_t w) { vstore_n(out + r * cols + j, vexp(vload_n(row + j, w) - l), w); });
  });
}

static void softmax_bwd(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  rows_par(rows, cols, [&](int64_t r) {
    const float *yr = y + r * cols, *dr = dy + r * cols;
    vf acc = vzero();
    each_vec(0, cols, [&](int64_t j, int64_t w) { acc += vload_n(yr + j, w) * vload_n(dr + j, w); });
    float dot = hsum(acc);
    each_vec(0, cols, [&](int64_t j, int64_t w) {
      vstore_n(dx + r * cols + j, vload_n(yr + j, w) * (vload_n(dr + j, w) - dot), w);
    });
  });
}

static int64_t cross_entropy(const float* logits, const int32_t* targets, float* loss, float* lse, int64_t rows,
                             int64_t v, int32_t ignore) {
  for (int64_t r = 0; r < rows; r++)
    if (targets[r] != ignore && (targets[r] < 0 || targets[r] >= v)) return r;
  rows_par(rows, v, [&](int64_t r) { lse[r] = row_lse(logits + r * v, v); });
  double total = 0;
  int64_t count = 0;
  for (int64_t r = 0; r < rows; r++) {
    if (targets[r] == ignore) continue;
    total += (double)lse[r] - (double)logits[r * v + targets[r]];
    count++;
  }
  loss[0] = count ? (float)(total / (double)count) : 0.f;
  return -1;
}

static void cross_entropy_bwd(const float* logits, const int32_t* targets, const float* lse, float dloss,
                              float* dlogits, int64_t rows, int64_t v, int32_t ignore) {
  int64_t count = 0;
  for (int64_t r = 0; r < rows; r++) count += targets[r] != ignore;
  float scale = count ? dloss / (float)count : 0.f;
  rows_par(rows, v, [&](int64_t r) {
    float* o = dlogits + r * v;
    int32_t t = targets[r];
    if (t == ignore) {
      for (int64_t j = 0; j < v; j++) o[j] = 0.f;
      return;
    }
    const float* row = logits + r * v;
    float l = lse[r];
    each_vec(0, v, [&](int64_t j, int64_t w) { vstore_n(o + j, vexp(vload_n(row + j, w) - l) * scale, w); });
    o[t] -= scale;
  });
}

// ---- dropout, AdamW, sum of squares -------------------------------------------------------

// The counter-based uniform of src/backend/cpu/kernels.ts (dropoutUniform), bit for bit.
static inline float dropout_uniform(uint32_t seed, uint32_t counter) {
  uint32_t h = (counter * 0x9e3779b1u) ^ (seed * 0x85ebca77u);
  h ^= h >> 16;
  h *= 0x7feb352du;
  h ^= h >> 15;
  h *= 0x846ca68bu;
  h ^= h >> 16;
  return (float)(h >> 8) / 16777216.f;
}

static void dropout(const float* x, float* out, int64_t n, float p, uint32_t seed, uint32_t offset) {
  float s = 1.f / (1.f - p);
  blocks(n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; i++)
      out[i] = dropout_uniform(seed, offset + (uint32_t)i) >= p ? x[i] * s : 0.f;
  });
}

static void adamw(float* p, const float* g, float* m, float* v, int64_t n, float lr, float b1, float b2, float eps,
                  float wd, float c1, float c2) {
  blocks(n, [&](int64_t i0, int64_t i1) {
    each_vec(i0, i1, [&](int64_t i, int64_t w) {
      vf gv = vload_n(g + i, w), pv = vload_n(p + i, w);
      vf mv = b1 * vload_n(m + i, w) + (1.f - b1) * gv;
      vf vv = b2 * vload_n(v + i, w) + (1.f - b2) * gv * gv;
      vf den = vv / c2;
      for (int k = 0; k < VW; k++) den[k] = sqrtf(den[k]);
      pv = pv - lr * (mv / c1 / (den + eps) + wd * pv);
      vstore_n(m + i, mv, w);
      vstore_n(v + i, vv, w);
      vstore_n(p + i, pv, w);
    });
  });
}

static double sum_squares(const float* x, int64_t n) {
  int64_t nb = (n + BLK - 1) / BLK;
  double* part = (double*)aligned_alloc_bytes(sizeof(double) * (size_t)(nb ? nb : 1));
  blocks(n, [&](int64_t i0, int64_t i1) {
    vf acc = vzero();
    each_vec(i0, i1, [&](int64_t i, int64_t w) {
      vf a = vload_n(x + i, w);
      acc += a * a;
    });
    part[i0 / BLK] = (double)hsum(acc);
  });
  double s = 0;
  for (int64_t b = 0; b < nb; b++) s += part[b];
  aligned_free_bytes(part);
  return s;
}
