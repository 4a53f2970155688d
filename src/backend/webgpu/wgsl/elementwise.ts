// Elementwise WGSL kernels: one thread per element. Parameter word 0 is always the element
// count; the others are listed per kernel. Dimensions: N rows, C channels, V vocab,
// B batch, T time, H heads, D head dim.

import { elementwise, type ShaderDef } from './prelude.js';

const GELU = /* wgsl */ `
fn gelu(x: f32) -> f32 {
  let u = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
  return 0.5 * x * (1.0 + tanh(u));
}
fn geluGrad(x: f32) -> f32 {
  let k = 0.7978845608028654;
  let th = tanh(clamp(k * (x + 0.044715 * x * x * x), -15.0, 15.0));
  return 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * k * (1.0 + 3.0 * 0.044715 * x * x);
}
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-clamp(x, -80.0, 80.0))); }
fn actInput(i: u32) -> f32 {
  var v = x[i];
  if (pu(3) != 0u) { v = v + bias[i % pu(1)]; }
  return v;
}`;

// 16-bit float conversions, bit-exact with src/backend/ref/half.ts (round to nearest even).
const HALF = /* wgsl */ `
fn bf16ToF32(h: u32) -> f32 { return bitcast<f32>(h << 16u); }
fn f32ToBf16(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  if ((x & 0x7fffffffu) > 0x7f800000u) { return ((x >> 16u) | 0x40u) & 0xffffu; }
  return ((x + 0x7fffu + ((x >> 16u) & 1u)) >> 16u) & 0xffffu;
}
fn f16ToF32(h: u32) -> f32 {
  let sgn = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { return bitcast<f32>(sgn | bitcast<u32>(f32(m) * 5.960464477539063e-8)); }
  if (e == 31u) { return bitcast<f32>(sgn | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(sgn | ((e + 112u) << 23u) | (m << 13u));
}
fn f32ToF16(v: f32) -> u32 {
  let x = bitcast<u32>(v);
  let sgn = (x >> 16u) & 0x8000u;
  let ex = (x >> 23u) & 0xffu;
  var mant = x & 0x7fffffu;
  if (ex == 0xffu) { return sgn | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  let e = i32(ex) - 112;
  if (e >= 31) { return sgn | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sgn; }
    mant = mant | 0x800000u;
    let shift = u32(14 - e);
    var h = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (h & 1u) == 1u)) { h = h + 1u; }
    return sgn | h;
  }
  var h = (u32(e) << 10u) | (mant >> 13u);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u) == 1u)) { h = h + 1u; }
  return sgn | h;
}
// dtype codes: 0 f32, 1 bf16, 2 f16, 3 i32, 4 u16.
fn isInt(t: u32) -> bool { return t >= 3u; }
fn half16(j: u32) -> u32 { return (src[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu; }
fn loadF(j: u32, t: u32) -> f32 {
  switch t {
    case 0u: { return bitcast<f32>(src[j]); }
    case 1u: { return bf16ToF32(half16(j)); }
    case 2u: { return f16ToF32(half16(j)); }
    case 3u: { return f32(bitcast<i32>(src[j])); }
    default: { return f32(half16(j)); }
  }
}
fn loadI(j: u32, t: u32) -> i32 {
  if (t == 3u) { return bitcast<i32>(src[j]); }
  if (t == 4u) { return i32(half16(j)); }
  return i32(trunc(loadF(j, t)));
}
// The value of element j converted to dtype t, as bits (16-bit types in the low half).
fn convert(j: u32, s: u32, t: u32) -> u32 {
  if (isInt(t)) {
    let v = loadI(j, s);
    if (t == 3u) { return bitcast<u32>(v); }
    return u32(v) & 0xffffu;
  }
  let f = loadF(j, s);
  switch t {
    case 0u: { return bitcast<u32>(f); }
    case 1u: { return f32ToBf16(f); }
    default: { return f32ToF16(f); }
  }
}`;

/** Elementwise kernels by name. */
export const ELEMENTWISE: Record<string, ShaderDef> = {
  // n, value
  fill: elementwise([['out', 'f32', 'read_write']], 'out[i] = pf(1);'),

  // n, mul, add
  affine: elementwise([['a', 'f32', 'read'], ['out', 'f32', 'read_write']], 'out[i] = a[i] * pf(1) + pf(2);'),

  // n, op (0 add 1 sub 2 mul 3 div), rank, shape[8] at 3, a strides[8] at 11, b strides[8] at 19
  binary: elementwise(
    [['a', 'f32', 'read'], ['b', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  var rem = i;
  var ia = 0u;
  var ib = 0u;
  for (var d = i32(pu(2)) - 1; d >= 0; d = d - 1) {
    let s = pu(3u + u32(d));
    let c = rem % s;
    rem = rem / s;
    ia = ia + c * pu(11u + u32(d));
    ib = ib + c * pu(19u + u32(d));
  }
  let x = a[ia];
  let y = b[ib];
  switch pu(1) {
    case 0u: { out[i] = x + y; }
    case 1u: { out[i] = x - y; }
    case 2u: { out[i] = x * y; }
    default: { out[i] = x / y; }
  }`,
  ),

  // n = rows * cols, op (0 sum 1 mean 2 max), cols
  reduceLastBwd: elementwise(
    [['dout', 'f32', 'read'], ['argmax', 'i32', 'read'], ['dx', 'f32', 'read_write']],
    /* wgsl */ `
  let r = i / pu(2);
  let c = i % pu(2);
  switch pu(1) {
    case 0u: { dx[i] = dout[r]; }
    case 1u: { dx[i] = dout[r] / f32(pu(2)); }
    default: { dx[i] = select(0.0, dout[r], argmax[r] == i32(c)); }
  }`,
  ),

  // n = rows * C, C, V. An id outside [0, V) gives a row of NaN (the loss then reports it).
  embedding: elementwise(
    [['table', 'f32', 'read'], ['ids', 'i32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  let id = ids[i / pu(1)];
  if (id < 0 || u32(id) >= pu(2)) { out[i] = nan(); return; }
  out[i] = table[u32(id) * pu(1) + i % pu(1)];`,
  ),

  // n = rows * C, C, V: dtable[ids[r], c] += dout[r, c], a compare-and-swap float add.
  embeddingBwd: elementwise(
    [['dout', 'f32', 'read'], ['ids', 'i32', 'read'], ['dtable', 'atomic<u32>', 'read_write']],
    /* wgsl */ `
  let id = ids[i / pu(1)];
  if (id < 0 || u32(id) >= pu(2)) { return; }
  let at = u32(id) * pu(1) + i % pu(1);
  let add = dout[i];
  var old = atomicLoad(&dtable[at]);
  loop {
    let r = atomicCompareExchangeWeak(&dtable[at], old, bitcast<u32>(bitcast<f32>(old) + add));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`,
  ),

  // n, C, op (0 gelu 1 silu), has bias
  activation: elementwise(
    [['x', 'f32', 'read'], ['bias', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  let v = actInput(i);
  if (pu(2) == 0u) { out[i] = gelu(v); } else { out[i] = v * sigmoid(v); }`,
    GELU,
  ),

  // n, C, op, has bias
  activationBwd: elementwise(
    [['x', 'f32', 'read'], ['bias', 'f32', 'read'], ['dout', 'f32', 'read'], ['dx', 'f32', 'read_write']],
    /* wgsl */ `
  let v = actInput(i);
  var g: f32;
  if (pu(2) == 0u) { g = geluGrad(v); } else { let s = sigmoid(v); g = s * (1.0 + v * (1.0 - s)); }
  dx[i] = dout[i] * g;`,
    GELU,
  ),

  // n = B*T*H*(D/2), T, H, D, pos0, inverse; cosT / sinT are (positions, D/2) tables.
  rope: elementwise(
    [['x', 'f32', 'read'], ['cosT', 'f32', 'read'], ['sinT', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  let hd = pu(3) / 2u;
  let k = i % hd;
  let row = i / hd;
  let pos = pu(4) + (row / pu(2)) % pu(1);
  let cs = cosT[pos * hd + k];
  var sn = sinT[pos * hd + k];
  if (pu(5) != 0u) { sn = -sn; }
  let o = row * pu(3);
  let x1 = x[o + k];
  let x2 = x[o + k + hd];
  out[o + k] = x1 * cs - x2 * sn;
  out[o + k + hd] = x2 * cs + x1 * sn;`,
  ),

  // n, threshold = ceil(p * 2^24), scale = 1 / (1 - p), seed, offset. Same hash as
  // dropoutUniform in src/backend/cpu/kernels.ts: keep when (h >> 8) / 2^24 >= p.
  dropout: elementwise(
    [['x', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  var h = ((pu(4) + i) * 0x9e3779b1u) ^ (pu(3) * 0x85ebca77u);
  h = h ^ (h >> 16u);
  h = h * 0x7feb352du;
  h = h ^ (h >> 15u);
  h = h * 0x846ca68bu;
  h = h ^ (h >> 16u);
  out[i] = select(0.0, x[i] * pf(2), (h >> 8u) >= pu(1));`,
  ),

  // n, lr, beta1, beta2, eps, weight decay, 1 - beta1^step, 1 - beta2^step
  adamw: elementwise(
    [['p', 'f32', 'read_write'], ['g', 'f32', 'read'], ['m', 'f32', 'read_write'], ['v', 'f32', 'read_write']],
    /* wgsl */ `
  let gi = g[i];
  let mi = pf(2) * m[i] + (1.0 - pf(2)) * gi;
  let vi = pf(3) * v[i] + (1.0 - pf(3)) * gi * gi;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] - pf(1) * (mi / pf(6) / (sqrt(vi / pf(7)) + pf(4)) + pf(5) * p[i]);`,
  ),

  // n = rows * cols, cols, srcOff, srcStride, dstOff, dstStride, accumulate (f32 add)
  copy2d: elementwise(
    [['src', 'u32', 'read'], ['dst', 'u32', 'read_write']],
    /* wgsl */ `
  let r = i / pu(1);
  let c = i % pu(1);
  let s = src[pu(2) + r * pu(3) + c];
  let at = pu(4) + r * pu(5) + c;
  if (pu(6) != 0u) { dst[at] = bitcast<u32>(bitcast<f32>(dst[at]) + bitcast<f32>(s)); } else { dst[at] = s; }`,
  ),

  // 16-bit elements, one thread per destination word so that no two threads write one word.
  // n = words in the span, first word, cols, srcOff, srcStride, dstOff, dstStride, rows
  copy2d16: elementwise(
    [['src', 'u32', 'read'], ['dst', 'u32', 'read_write']],
    /* wgsl */ `
  let w = pu(1) + i;
  var word = dst[w];
  for (var hh = 0u; hh < 2u; hh = hh + 1u) {
    let e = w * 2u + hh;
    if (e < pu(5)) { continue; }
    let r = (e - pu(5)) / pu(6);
    let c = (e - pu(5)) % pu(6);
    if (r >= pu(7) || c >= pu(2)) { continue; }
    let j = pu(3) + r * pu(4) + c;
    let v = (src[j >> 1u] >> ((j & 1u) * 16u)) & 0xffffu;
    let sh = hh * 16u;
    word = (word & ~(0xffffu << sh)) | (v << sh);
  }
  dst[w] = word;`,
  ),

  // n = number of element pairs, count, src dtype, dst dtype (codes in HALF)
  cast: elementwise(
    [['src', 'u32', 'read'], ['dst', 'u32', 'read_write']],
    /* wgsl */ `
  let n = pu(1);
  let j0 = i * 2u;
  let j1 = j0 + 1u;
  let s = pu(2);
  let t = pu(3);
  if (t == 0u || t == 3u) {
    dst[j0] = convert(j0, s, t);
    if (j1 < n) { dst[j1] = convert(j1, s, t); }
  } else {
    var hi = 0u;
    if (j1 < n) { hi = convert(j1, s, t); }
    dst[i] = convert(j0, s, t) | (hi << 16u);
  }`,
    HALF,
  ),
};
