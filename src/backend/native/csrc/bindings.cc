// Node-API entry points of the kernels other than matmul (addon.cc has buffers and matmul).
// Each checks its buffers against the sizes it was given, then calls the kernel table of
// the chosen instruction set. fill, copy2d, cast, sumTo and the embedding gather/scatter
// move memory rather than compute, so they are plain portable code here.
#include <cmath>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "addon.h"
#include "ops.h"
#include "pool.h"

namespace anvil {
namespace {

enum { DT_F32 = 0, DT_BF16 = 1, DT_F16 = 2, DT_I32 = 3, DT_U16 = 4 };
const size_t DT_BYTES[] = {4, 2, 2, 4, 2};

bool is_null(Call& c, size_t i) {
  if (i >= c.argc) return true;
  napi_valuetype t;
  napi_typeof(c.env, c.argv[i], &t);
  return t == napi_null || t == napi_undefined;
}
float* opt_f32(Call& c, size_t i, int64_t n) { return is_null(c, i) ? nullptr : c.f32(i, n); }
bool flag(Call& c, size_t i) {
  bool v = false;
  if (i < c.argc && napi_get_value_bool(c.env, c.argv[i], &v) == napi_ok) return v;
  return c.num(i) != 0;
}
int dtype(Call& c, size_t i) {
  int64_t d = c.size(i);
  if (d > DT_U16) throw std::runtime_error("unknown dtype code " + std::to_string(d));
  return (int)d;
}
std::vector<int64_t> shape_arg(Call& c, size_t i) {
  uint32_t n = 0;
  if (i >= c.argc || napi_get_array_length(c.env, c.argv[i], &n) != napi_ok)
    throw std::runtime_error("argument " + std::to_string(i) + " must be an array of dims");
  std::vector<int64_t> s(n);
  for (uint32_t d = 0; d < n; d++) {
    napi_value v;
    double x = -1;
    napi_get_element(c.env, c.argv[i], d, &v);
    napi_get_value_double(c.env, v, &x);
    if (!(x >= 0) || x != (double)(int64_t)x) throw std::runtime_error("dims must be non-negative integers");
    s[d] = (int64_t)x;
  }
  return s;
}
int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

uint32_t f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
float bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
uint16_t to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
// IEEE binary16, round to nearest even, overflow to infinity (as src/backend/ref/half.ts).
uint16_t to_f16(float f) {
  uint32_t x = f32_bits(f), sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, mant = x & 0x7fffffu;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000u;
    int shift = 14 - e;
    uint32_t h = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1))) h++;
  return (uint16_t)(sign | h);
}
float from_f16(uint16_t b) {
  float sign = (b & 0x8000) ? -1.f : 1.f;
  int e = (b >> 10) & 0x1f, m = b & 0x3ff;
  if (e == 0) return sign * (float)m * 5.9604644775390625e-8f;
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * (1.f + (float)m / 1024.f) * ldexpf(1.f, e - 15);
}

// fill(out, dtype, n, value)
napi_value js_fill(Call& c) {
  int dt = dtype(c, 1);
  int64_t n = c.size(2);
  double value = c.num(3);
  void* out = c.ptr(0, DT_BYTES[dt] * (size_t)n);
  if (dt == DT_F32) {
    float v = (float)value, *o = (float*)out;
    // Zeroing gradients every step is memory-bound: spread it over the threads.
    parallel_for(n, 1 << 16, [&](int64_t i0, int64_t i1, int) {
      if (v == 0.f && !std::signbit(v)) memset(o + i0, 0, sizeof(float) * (size_t)(i1 - i0));
      else
        for (int64_t i = i0; i < i1; i++) o[i] = v;
    });
  } else if (dt == DT_I32) {
    int32_t v = (int32_t)(int64_t)value, *o = (int32_t*)out;
    for (int64_t i = 0; i < n; i++) o[i] = v;
  } else {
    uint16_t v = (uint16_t)(int64_t)value, *o = (uint16_t*)out;
    for (int64_t i = 0; i < n; i++) o[i] = v;
  }
  return c.undefined();
}

// copy2d(src, srcOff, srcStride, dst, dstOff, dstStride, rows, cols, elemBytes, accumulate)
napi_value js_copy2d(Call& c) {
  int64_t srcOff = c.size(1), srcStride = c.size(2), dstOff = c.size(4), dstStride = c.size(5);
  int64_t rows = c.size(6), cols = c.size(7), eb = c.size(8);
  bool acc = flag(c, 9);
  if (rows == 0 || cols == 0) return c.undefined();
  int64_t srcNeed = srcOff + (rows - 1) * srcStride + cols, dstNeed = dstOff + (rows - 1) * dstStride + cols;
  char* src = (char*)c.ptr(0, (size_t)(srcNeed * eb));
  char* dst = (char*)c.ptr(3, (size_t)(dstNeed * eb));
  if (acc && eb != 4) throw std::runtime_error("copy2d accumulate needs f32 storage");
  // Rows in parallel unless source and destination overlap (then in order, like memmove).
  bool overlap = src == dst || (src < dst + dstNeed * eb && dst < src + srcNeed * eb);
  auto rows_fn = [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) {
      char* d = dst + (dstOff + r * dstStride) * eb;
      const char* s = src + (srcOff + r * srcStride) * eb;
      if (acc) {
        float* df = (float*)d;
        const float* sf = (const float*)s;
        for (int64_t j = 0; j < cols; j++) df[j] += sf[j];
      } else {
        memmove(d, s, (size_t)(cols * eb));
      }
    }
  };
  if (overlap) rows_fn(0, rows, 0);
  else parallel_for(rows, (1 << 16) / cols + 1, rows_fn);
  return c.undefined();
}

// cast(src, srcType, dst, dstType, n): floats round to nearest even, integers truncate.
napi_value js_cast(Call& c) {
  int st = dtype(c, 1), dt = dtype(c, 3);
  int64_t n = c.size(4);
  const void* src = c.ptr(0, DT_BYTES[st] * (size_t)n);
  void* dst = c.ptr(2, DT_BYTES[dt] * (size_t)n);
  parallel_for(n, 65536, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) {
      float v;
      switch (st) {
        case DT_F32: v = ((const float*)src)[i]; break;
        case DT_BF16: v = bits_f32((uint32_t)((const uint16_t*)src)[i] << 16); break;
        case DT_F16: v = from_f16(((const uint16_t*)src)[i]); break;
        case DT_I32: v = (float)((const int32_t*)src)[i]; break;
        default: v = (float)((const uint16_t*)src)[i];
      }
      switch (dt) {
        case DT_F32: ((float*)dst)[i] = v; break;
        case DT_BF16: ((uint16_t*)dst)[i] = to_bf16(v); break;
        case DT_F16: ((uint16_t*)dst)[i] = to_f16(v); break;
        case DT_I32: ((int32_t*)dst)[i] = std::isfinite(v) ? (int32_t)(uint32_t)(int64_t)std::trunc(v) : 0; break;
        default: ((uint16_t*)dst)[i] = std::isfinite(v) ? (uint16_t)(int64_t)std::trunc(v) : 0;
      }
    }
  });
  return c.undefined();
}

// Merges adjacent dims that are contiguous in every operand (or broadcast in the same way)
// and drops size-1 dims. strides[k] holds one stride array per operand.
void merge_dims(std::vector<int64_t>& shape, std::vector<std::vector<int64_t>*> strides) {
  std::vector<int64_t> ns;
  std::vector<std::vector<int64_t>> nst(strides.size());
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 1) continue;
    bool merge = !ns.empty();
    for (size_t k = 0; merge && k < strides.size(); k++)
      merge = nst[k].back() == (*strides[k])[d] * shape[d];
    if (merge) {
      ns.back() *= shape[d];
      for (size_t k = 0; k < strides.size(); k++) nst[k].back() = (*strides[k])[d];
    } else {
      ns.push_back(shape[d]);
      for (size_t k = 0; k < strides.size(); k++) nst[k].push_back((*strides[k])[d]);
    }
  }
  if (ns.empty()) {
    ns.push_back(1);
    for (auto& s : nst) s.push_back(1);
  }
  shape = ns;
  for (size_t k = 0; k < strides.size(); k++) *strides[k] = nst[k];
}

// Row-major strides of `sub` within `full`, 0 on broadcast axes; checks compatibility.
std::vector<int64_t> bcast_strides(const std::vector<int64_t>& sub, const std::vector<int64_t>& full,
                                   const char* what) {
  if (sub.size() != full.size()) throw std::runtime_error(std::string(what) + ": ranks differ");
  std::vector<int64_t> s(sub.size());
  int64_t acc = 1;
  for (size_t i = sub.size(); i-- > 0;) {
    if (sub[i] != full[i] && sub[i] != 1) throw std::runtime_error(std::string(what) + ": shapes do not broadcast");
    s[i] = sub[i] == 1 && full[i] != 1 ? 0 : acc;
    acc *= sub[i];
  }
  return s;
}

// binary(op, a, b, out, shape, aShape, bShape)
napi_value js_binary(Call& c) {
  int64_t op = c.size(0);
  if (op > 3) throw std::runtime_error("binary: unknown op");
  std::vector<int64_t> shape = shape_arg(c, 4), as = shape_arg(c, 5), bs = shape_arg(c, 6);
  std::vector<int64_t> sa = bcast_strides(as, shape, "binary"), sb = bcast_strides(bs, shape, "binary");
  int64_t n = numel(shape);
  const float* a = c.f32(1, numel(as));
  const float* b = c.f32(2, numel(bs));
  float* out = c.f32(3, n);
  if (n == 0) return c.undefined();
  std::vector<int64_t> so(shape.size());
  int64_t acc = 1;
  for (size_t i = shape.size(); i-- > 0;) so[i] = acc, acc *= shape[i];
  merge_dims(shape, {&sa, &sb, &so});
  ops->binary((int)op, a, b, out, (int)shape.size(), shape.data(), sa.data(), sb.data());
  return c.undefined();
}

// affine(a, out, n, mul, add)
napi_value js_affine(Call& c) {
  int64_t n = c.size(2);
  ops->affine(c.f32(0, n), c.f32(1, n), n, (float)c.num(3), (float)c.num(4));
  return c.undefined();
}

// sumTo(x, out, xShape, outShape): sums in f64 in x's row-major order (deterministic).
napi_value js_sum_to(Call& c) {
  std::vector<int64_t> xs = shape_arg(c, 2), os = shape_arg(c, 3);
  std::vector<int64_t> so = bcast_strides(os, xs, "sumTo");
  int64_t n = numel(xs), no = numel(os);
  const float* x = c.f32(0, n);
  float* out = c.f32(1, no);
  std::vector<double> acc((size_t)no, 0.0);
  if (n > 0) {
    std::vector<int64_t> sx(xs.size());
    int64_t a = 1;
    for (size_t i = xs.size(); i-- > 0;) sx[i] = a, a *= xs[i];
    merge_dims(xs, {&so, &sx});
    int rank = (int)xs.size();
    int64_t inner = xs[rank - 1], outer = n / inner, si = so[rank - 1];
    for (int64_t r = 0; r < outer; r++) {
      int64_t rem = r, o = 0;
      for (int d = rank - 2; d >= 0; d--) o += (rem % xs[d]) * so[d], rem /= xs[d];
      const float* row = x + r * inner;
      double* dst = acc.data() + o;
      if (si == 0) {
        double s = 0;
        for (int64_t j = 0; j < inner; j++) s += row[j];
        dst[0] += s;
      } else {
        for (int64_t j = 0; j < inner; j++) dst[j] += row[j];
      }
    }
  }
  for (int64_t i = 0; i < no; i++) out[i] = (float)acc[(size_t)i];
  return c.undefined();
}

int red_op(Call& c, size_t i) {
  int64_t op = c.size(i);
  if (op > 2) throw std::runtime_error("reduceLast: unknown op");
  return (int)op;
}

// reduceLast(op, x, out, argmax|null, rows, cols)
napi_value js_reduce_last(Call& c) {
  int op = red_op(c, 0);
  int64_t rows = c.size(4), cols = c.size(5);
  int32_t* am = is_null(c, 3) ? nullptr : c.i32(3, rows);
  if (op == RED_MAX && cols == 0) throw std::runtime_error("reduceLast max over an empty axis");
  ops->reduce_last(op, c.f32(1, rows * cols), c.f32(2, rows), am, rows, cols);
  return c.undefined();
}

// reduceLastBwd(op, dout, dx, argmax|null, rows, cols)
napi_value js_reduce_last_bwd(Call& c) {
  int op = red_op(c, 0);
  int64_t rows = c.size(4), cols = c.size(5);
  const int32_t* am = is_null(c, 3) ? nullptr : c.i32(3, rows);
  if (op == RED_MAX && !am) throw std::runtime_error("reduceLastBwd max needs argmax");
  if (am)
    for (int64_t r = 0; r < rows; r++)
      if (am[r] < 0 || am[r] >= cols) throw std::runtime_error("reduceLastBwd: argmax out of range");
  ops->reduce_last_bwd(op, c.f32(1, rows), c.f32(2, rows * cols), am, rows, cols);
  return c.undefined();
}

// embedding(table, ids, out, n, c, v)
napi_value js_embedding(Call& c) {
  int64_t n = c.size(3), ch = c.size(4), v = c.size(5);
  const float* table = c.f32(0, v * ch);
  const int32_t* ids = c.i32(1, n);
  float* out = c.f32(2, n * ch);
  for (int64_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= v)
      throw std::runtime_error("embedding: id " + std::to_string(ids[i]) + " out of range [0, " + std::to_string(v) + ")");
  parallel_for(n, 16384 / (ch + 1) + 1, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) memcpy(out + i * ch, table + ids[i] * ch, sizeof(float) * (size_t)ch);
  });
  return c.undefined();
}

// embeddingBwd(dout, ids, dtable, n, c, v): threads own column ranges, rows in order.
napi_value js_embedding_bwd(Call& c) {
  int64_t n = c.size(3), ch = c.size(4), v = c.size(5);
  const float* dout = c.f32(0, n * ch);
  const int32_t* ids = c.i32(1, n);
  float* dt = c.f32(2, v * ch);
  for (int64_t i = 0; i < n; i++)
    if (ids[i] < 0 || ids[i] >= v)
      throw std::runtime_error("embeddingBwd: id " + std::to_string(ids[i]) + " out of range [0, " + std::to_string(v) + ")");
  int64_t chunks = (ch + 63) / 64;
  parallel_for(chunks, n * 64 > 65536 ? 1 : chunks, [&](int64_t c0, int64_t c1, int) {
    int64_t j0 = c0 * 64, j1 = c1 * 64 < ch ? c1 * 64 : ch;
    for (int64_t i = 0; i < n; i++) {
      float* d = dt + ids[i] * ch;
      const float* s = dout + i * ch;
      for (int64_t j = j0; j < j1; j++) d[j] += s[j];
    }
  });
  return c.undefined();
}

// norm(x, r|null, s|null, w, b|null, out, mean|null, rstd, rows, c, eps): LayerNorm when b is
// given, else RMSNorm; with r and s the residual s = x + r is written and normalized.
napi_value js_norm(Call& c) {
  int64_t rows = c.size(8), ch = c.size(9), n = rows * ch;
  const float* r = opt_f32(c, 1, n);
  float* s = opt_f32(c, 2, n);
  if ((r == nullptr) != (s == nullptr)) throw std::runtime_error("norm: r and s go together");
  const float* b = opt_f32(c, 4, ch);
  float* mean = opt_f32(c, 6, rows);
  if (b && !mean) throw std::runtime_error("layerNorm needs mean");
  ops->norm(c.f32(0, n), r, s, c.f32(3, ch), b, c.f32(5, n), mean, c.f32(7, rows), rows, ch, (float)c.num(10));
  return c.undefined();
}

// normBwd(dout, x, w, mean|null, rstd, dx, dw, db|null, rows, c)
napi_value js_norm_bwd(Call& c) {
  int64_t rows = c.size(8), ch = c.size(9), n = rows * ch;
  const float* mean = opt_f32(c, 3, rows);
  float* db = opt_f32(c, 7, ch);
  if ((mean == nullptr) != (db == nullptr)) throw std::runtime_error("normBwd: mean and db go together (LayerNorm)");
  if (rows == 0) return c.undefined();
  ops->norm_bwd(c.f32(0, n), c.f32(1, n), c.f32(2, ch), mean, c.f32(4, rows), c.f32(5, n), c.f32(6, ch), db, rows, ch);
  return c.undefined();
}

int act_op(Call& c) {
  int64_t op = c.size(0);
  if (op > 1) throw std::runtime_error("activation: unknown op");
  return (int)op;
}

// activation(op, x, bias|null, out, rows, c)
napi_value js_activation(Call& c) {
  int op = act_op(c);
  int64_t rows = c.size(4), ch = c.size(5);
  ops->activation(op, c.f32(1, rows * ch), opt_f32(c, 2, ch), c.f32(3, rows * ch), rows, ch);
  return c.undefined();
}

// activationBwd(op, x, bias|null, dout, dx, rows, c)
napi_value js_activation_bwd(Call& c) {
  int op = act_op(c);
  int64_t rows = c.size(5), ch = c.size(6), n = rows * ch;
  ops->activation_bwd(op, c.f32(1, n), opt_f32(c, 2, ch), c.f32(3, n), c.f32(4, n), rows, ch);
  return c.undefined();
}

// cos/sin of pos * theta^(-2i/D) for pos < maxPos, computed in f64 once per (D, theta).
std::mutex rope_mu;
std::vector<float> rope_cos, rope_sin;
int64_t rope_d = -1, rope_pos = 0;
double rope_theta = 0;

// rope(x, out, b, t, h, d, pos0, theta, inverse)
napi_value js_rope(Call& c) {
  int64_t B = c.size(2), T = c.size(3), H = c.size(4), D = c.size(5), pos0 = c.size(6);
  double theta = c.num(7);
  bool inverse = flag(c, 8);
  if (D % 2) throw std::runtime_error("rope: head dim must be even");
  int64_t n = B * T * H * D, half = D / 2, need = pos0 + T;
  const float* x = c.f32(0, n);
  float* out = c.f32(1, n);
  if (n == 0) return c.undefined();
  std::lock_guard<std::mutex> lk(rope_mu);
  if (rope_d != D || rope_theta != theta || rope_pos < need) {
    int64_t cap = need > 2 * rope_pos || rope_d != D || rope_theta != theta ? need : 2 * rope_pos;
    rope_cos.assign((size_t)(cap * half), 0.f);
    rope_sin.assign((size_t)(cap * half), 0.f);
    for (int64_t p = 0; p < cap; p++)
      for (int64_t i = 0; i < half; i++) {
        double ang = (double)p * std::pow(theta, (-2.0 * (double)i) / (double)D);
        rope_cos[(size_t)(p * half + i)] = (float)std::cos(ang);
        rope_sin[(size_t)(p * half + i)] = (float)std::sin(ang);
      }
    rope_d = D, rope_theta = theta, rope_pos = cap;
  }
  ops->rope(x, out, B, T, H, D, rope_cos.data() + pos0 * half, rope_sin.data() + pos0 * half, inverse ? -1.f : 1.f);
  return c.undefined();
}

AttnArgs attn_args(Call& c, size_t first) {
  AttnArgs a{};
  a.B = c.size(first);
  a.T = c.size(first + 1);
  a.Tk = c.size(first + 2);
  a.H = c.size(first + 3);
  a.Hkv = c.size(first + 4);
  a.D = c.size(first + 5);
  a.scale = (float)c.num(first + 6);
  a.causal = flag(c, first + 7);
  a.pastLen = c.size(first + 8);
  if (a.Hkv == 0 || a.H % a.Hkv) throw std::runtime_error("attention: heads must be a multiple of kv heads");
  if (a.pastLen + a.T > a.Tk) throw std::runtime_error("attention: pastLen + t exceeds the key rows tk");
  return a;
}

// attention(q, k, v, out, lse, b, t, tk, h, hkv, d, scale, causal, pastLen)
napi_value js_attention(Call& c) {
  AttnArgs a = attn_args(c, 5);
  int64_t nq = a.B * a.T * a.H * a.D, nk = a.B * a.Tk * a.Hkv * a.D;
  a.q = c.f32(0, nq);
  a.k = c.f32(1, nk);
  a.v = c.f32(2, nk);
  a.out = c.f32(3, nq);
  a.lse = c.f32(4, a.B * a.H * a.T);
  if (nq) ops->attention(a);
  return c.undefined();
}

// attentionBwd(q, k, v, out, lse, dout, dq, dk, dv, b, t, tk, h, hkv, d, scale, causal, pastLen)
napi_value js_attention_bwd(Call& c) {
  AttnArgs a = attn_args(c, 9);
  int64_t nq = a.B * a.T * a.H * a.D, nk = a.B * a.Tk * a.Hkv * a.D;
  a.q = c.f32(0, nq);
  a.k = c.f32(1, nk);
  a.v = c.f32(2, nk);
  a.out = c.f32(3, nq);
  a.lse = c.f32(4, a.B * a.H * a.T);
  a.dout = c.f32(5, nq);
  a.dq = c.f32(6, nq);
  a.dk = c.f32(7, nk);
  a.dv = c.f32(8, nk);
  if (nq) ops->attention_bwd(a);
  else {
    memset(a.dk, 0, sizeof(float) * (size_t)nk);
    memset(a.dv, 0, sizeof(float) * (size_t)nk);
  }
  return c.undefined();
}

// softmax(x, out, rows, cols)
napi_value js_softmax(Call& c) {
  int64_t rows = c.size(2), cols = c.size(3);
  ops->softmax(c.f32(0, rows * cols), c.f32(1, rows * cols), rows, cols);
  return c.undefined();
}

// softmaxBwd(y, dy, dx, rows, cols)
napi_value js_softmax_bwd(Call& c) {
  int64_t rows = c.size(3), cols = c.size(4), n = rows * cols;
  ops->softmax_bwd(c.f32(0, n), c.f32(1, n), c.f32(2, n), rows, cols);
  return c.undefined();
}

// crossEntropy(logits, targets, loss, lse, rows, v, ignoreIndex)
napi_value js_cross_entropy(Call& c) {
  int64_t rows = c.size(4), v = c.size(5);
  int32_t ignore = (int32_t)c.num(6);
  const int32_t* t = c.i32(1, rows);
  int64_t bad = ops->cross_entropy(c.f32(0, rows * v), t, c.f32(2, 1), c.f32(3, rows), rows, v, ignore);
  if (bad >= 0)
    throw std::runtime_error("crossEntropy: target " + std::to_string(t[bad]) + " out of range [0, " + std::to_string(v) + ")");
  return c.undefined();
}

// crossEntropyBwd(logits, targets, lse, dloss, dlogits, rows, v, ignoreIndex)
napi_value js_cross_entropy_bwd(Call& c) {
  int64_t rows = c.size(5), v = c.size(6);
  ops->cross_entropy_bwd(c.f32(0, rows * v), c.i32(1, rows), c.f32(2, rows), c.f32(3, 1)[0], c.f32(4, rows * v), rows,
                         v, (int32_t)c.num(7));
  return c.undefined();
}

// dropout(x, out, n, p, seed, offset)
napi_value js_dropout(Call& c) {
  int64_t n = c.size(2);
  double p = c.num(3);
  if (!(p >= 0 && p < 1)) throw std::runtime_error("dropout: p must be in [0, 1)");
  ops->dropout(c.f32(0, n), c.f32(1, n), n, (float)p, (uint32_t)(int64_t)c.num(4), (uint32_t)(int64_t)c.num(5));
  return c.undefined();
}

// adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, step)
napi_value js_adamw(Call& c) {
  int64_t n = c.size(4);
  double b1 = c.num(6), b2 = c.num(7), step = c.num(10);
  ops->adamw(c.f32(0, n), c.f32(1, n), c.f32(2, n), c.f32(3, n), n, (float)c.num(5), (float)b1, (float)b2,
             (float)c.num(8), (float)c.num(9), (float)(1 - std::pow(b1, step)), (float)(1 - std::pow(b2, step)));
  return c.undefined();
}

// sumSquares(x, out, n, accumulate)
napi_value js_sum_squares(Call& c) {
  int64_t n = c.size(2);
  float* out = c.f32(1, 1);
  double s = ops->sum_squares(c.f32(0, n), n);
  out[0] = flag(c, 3) ? (float)((double)out[0] + s) : (float)s;
  return c.undefined();
}

}  // namespace

void register_kernels(napi_env env, napi_value exports) {
  export_fn(env, exports, "fill", js_fill);
  export_fn(env, exports, "copy2d", js_copy2d);
  export_fn(env, exports, "cast", js_cast);
  export_fn(env, exports, "binary", js_binary);
  export_fn(env, exports, "affine", js_affine);
  export_fn(env, exports, "sumTo", js_sum_to);
  export_fn(env, exports, "reduceLast", js_reduce_last);
  export_fn(env, exports, "reduceLastBwd", js_reduce_last_bwd);
  export_fn(env, exports, "embedding", js_embedding);
  export_fn(env, exports, "embeddingBwd", js_embedding_bwd);
  export_fn(env, exports, "norm", js_norm);
  export_fn(env, exports, "normBwd", js_norm_bwd);
  export_fn(env, exports, "activation", js_activation);
  export_fn(env, exports, "activationBwd", js_activation_bwd);
  export_fn(env, exports, "rope", js_rope);
  export_fn(env, exports, "attention", js_attention);
  export_fn(env, exports, "attentionBwd", js_attention_bwd);
  export_fn(env, exports, "softmax", js_softmax);
  export_fn(env, exports, "softmaxBwd", js_softmax_bwd);
  export_fn(env, exports, "crossEntropy", js_cross_entropy);
  export_fn(env, exports, "crossEntropyBwd", js_cross_entropy_bwd);
  export_fn(env, exports, "dropout", js_dropout);
  export_fn(env, exports, "adamw", js_adamw);
  export_fn(env, exports, "sumSquares", js_sum_squares);
}

}  // namespace anvil
