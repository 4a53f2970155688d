// Shared helpers of the kernels: this thread's scratch region, work partitioning, the
// multiply-add that becomes an FMA in the relaxed-SIMD build, and vector exp.
// No static data and no allocation: every instance (one per thread) shares the memory.

// Per-instance globals (each thread has its own instance), set once by `init`.
let scratchBase: usize = 0;
let scratchSize: usize = 0;

/** Tell this instance where its private scratch region is. */
export function init(base: usize, size: usize): void {
  scratchBase = base;
  scratchSize = size;
}

@inline export function scratch(): usize {
  return scratchBase;
}

@inline export function scratchBytes(): usize {
  return scratchSize;
}

// Byte addresses of the work counters in the control block (CTL.work0/work1 in ../protocol.ts).
export const WORK0: usize = 32;
export const WORK1: usize = 36;

/**
 * Dynamic scheduling: the first unit this thread takes from counter `ctr` (0 for a single
 * thread, which walks all units itself). Pass the previous unit to `nextUnit`.
 */
@inline export function firstUnit(ctr: usize, nt: i32): i32 {
  return nt == 1 ? 0 : atomic.add<i32>(ctr, 1);
}
@inline export function nextUnit(ctr: usize, nt: i32, u: i32): i32 {
  return nt == 1 ? u + 1 : atomic.add<i32>(ctr, 1);
}

/** Start of thread tid's share of n items, boundaries rounded to multiples of `align`. */
@inline export function part(n: i32, tid: i32, nt: i32, align: i32): i32 {
  if (tid >= nt) return n;
  const units = (n + align - 1) / align;
  const s = <i32>((<i64>units * tid) / nt) * align;
  return s < n ? s : n;
}

/** a*b + c: fused in the relaxed build, mul then add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline export function splat(x: f32): v128 {
  return f32x4.splat(x);
}

/** Horizontal sum of the four lanes, in a fixed order. */
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * e^x on four lanes: x = n ln2 + r, |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n through
 * the exponent bits. Inputs are clamped to [-87.3, 88.7] (e^-87.3 ~ 1e-38); -Inf gives ~0.
 */
@inline export function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, splat(-87.3)), splat(88.7));
  const n = f32x4.nearest(f32x4.mul(x, splat(1.44269504)));
  let r = f32x4.sub(x, f32x4.mul(n, splat(0.693145752)));
  r = f32x4.sub(r, f32x4.mul(n, splat(1.42860677e-6)));
  let p = splat(1.0 / 720.0);
  p = f32x4.add(f32x4.mul(p, r), splat(1.0 / 120.0));
  p = f32x4.add(f32x4.mul(p, r), splat(1.0 / 24.0));
  p = f32x4.add(f32x4.mul(p, r), splat(1.0 / 6.0));
  p = f32x4.add(f32x4.mul(p, r), splat(0.5));
  p = f32x4.add(f32x4.mul(p, r), splat(1.0));
  p = f32x4.add(f32x4.mul(p, r), splat(1.0));
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, e);
}

/** Scalar e^x, computed by the vector code so both give the same bits. */
@inline export function sexp(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0);
}

/** Natural log in f64 without lookup tables: x = m·2^e, m in [√½, √2), log m = 2 atanh(s). */
export function slog(x: f64): f64 {
  if (!(x > 0)) return x == 0 ? -Infinity : NaN;
  if (x == Infinity) return x;
  let bits = reinterpret<u64>(x);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  if (e == -1023) {
    // Subnormal: normalize first.
    x *= 18014398509481984.0; // 2^54
    bits = reinterpret<u64>(x);
    e = <i32>((bits >> 52) & 0x7ff) - 1023 - 54;
  }
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e++;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  // 2(s + s³/3 + ... + s^15/15): |s| <= 0.1716, so the error is below 1e-14.
  let p = 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  p = p * s2 + 1.0;
  return 2 * s * p + <f64>e * 0.6931471805599453;
}
