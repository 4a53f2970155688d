// Elementwise kernels: binary arithmetic with broadcasting, scalar ops, activations and
// their gradients, dropout, fill/copy/scale and casts. Each thread takes a contiguous range
// of elements (boundaries on multiples of 16); tails run the vector code on a splat so a
// result never depends on where a thread boundary fell.

import { part, madd, splat, vexp } from './common';

const MAX_RANK = 6;

@inline function vbin(op: i32, x: v128, y: v128): v128 {
  if (op == 0) return f32x4.add(x, y);
  if (op == 1) return f32x4.sub(x, y);
  if (op == 2) return f32x4.mul(x, y);
  return f32x4.div(x, y);
}

@inline function sbin(op: i32, x: f32, y: f32): f32 {
  if (op == 0) return x + y;
  if (op == 1) return x - y;
  if (op == 2) return x * y;
  return x / y;
}

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** out[i] = a[i] op b[i]. */
export function binarySame(op: i32, a: usize, b: usize, out: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), vbin(op, v128.load(at(a, i)), v128.load(at(b, i))));
  for (; i < e; i++) store<f32>(at(out, i), sbin(op, load<f32>(at(a, i)), load<f32>(at(b, i))));
}

/** One side has n elements, the other m (n % m == 0) repeated; rep = 1 when a is the repeated one. */
export function binaryRepeat(op: i32, a: usize, b: usize, out: usize, n: i32, m: i32, rep: i32, tid: i32, nt: i32): void {
  const rows = n / m;
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const o = r * m;
    let j = 0;
    if (rep == 0) {
      for (; j + 4 <= m; j += 4) v128.store(at(out, o + j), vbin(op, v128.load(at(a, o + j)), v128.load(at(b, j))));
      for (; j < m; j++) store<f32>(at(out, o + j), sbin(op, load<f32>(at(a, o + j)), load<f32>(at(b, j))));
    } else {
      for (; j + 4 <= m; j += 4) v128.store(at(out, o + j), vbin(op, v128.load(at(a, j)), v128.load(at(b, o + j))));
      for (; j < m; j++) store<f32>(at(out, o + j), sbin(op, load<f32>(at(a, j)), load<f32>(at(b, o + j))));
    }
  }
}

/** out[i] = a[i] op s (or s op a[i] when first). */
export function binaryScalar(op: i32, a: usize, sc: f32, out: usize, n: i32, first: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  const v = splat(sc);
  let i = s;
  if (first == 0) {
    for (; i + 4 <= e; i += 4) v128.store(at(out, i), vbin(op, v128.load(at(a, i)), v));
    for (; i < e; i++) store<f32>(at(out, i), sbin(op, load<f32>(at(a, i)), sc));
  } else {
    for (; i + 4 <= e; i += 4) v128.store(at(out, i), vbin(op, v, v128.load(at(a, i))));
    for (; i < e; i++) store<f32>(at(out, i), sbin(op, sc, load<f32>(at(a, i))));
  }
}

/** General broadcast: out (contiguous, dims d0..d5) = a op b read through element strides. */
export function binaryStrided(
  op: i32, a: usize, b: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32,
  b0: i32, b1: i32, b2: i32, b3: i32, b4: i32, b5: i32,
  tid: i32, nt: i32,
): void {
  // Threads split the outer rows (all dims but the last).
  const rows = d0 * d1 * d2 * d3 * d4;
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    let q = r;
    const i4 = q % d4; q /= d4;
    const i3 = q % d3; q /= d3;
    const i2 = q % d2; q /= d2;
    const i1 = q % d1; q /= d1;
    const i0 = q;
    const ao = i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4;
    const bo = i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4;
    const oo = r * d5;
    for (let j = 0; j < d5; j++) {
      store<f32>(at(out, oo + j), sbin(op, load<f32>(at(a, ao + j * a5)), load<f32>(at(b, bo + j * b5))));
    }
  }
}

/** out[c] (+)= Σ_r x[r, c]; threads split the columns. */
export function sumRows(x: usize, out: usize, rows: i32, cols: i32, acc: i32, tid: i32, nt: i32): void {
  const c0 = part(cols, tid, nt, 16);
  const c1 = part(cols, tid + 1, nt, 16);
  if (acc == 0) for (let c = c0; c < c1; c++) store<f32>(at(out, c), 0);
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>r * cols << 2);
    let c = c0;
    for (; c + 4 <= c1; c += 4) v128.store(at(out, c), f32x4.add(v128.load(at(out, c)), v128.load(at(row, c))));
    for (; c < c1; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + load<f32>(at(row, c)));
  }
}

/** Sum-to-shape over a contiguous x (dims d0..d5) into out addressed by strides (0 = reduced). */
export function reduceStrided(
  x: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32,
  o0: i32, o1: i32, o2: i32, o3: i32, o4: i32, o5: i32,
  acc: i32, tid: i32, nt: i32,
): void {
  if (tid != 0) return;
  for (let pass = acc != 0 ? 1 : 0; pass < 2; pass++) {
    let idx = 0;
    for (let i0 = 0; i0 < d0; i0++)
      for (let i1 = 0; i1 < d1; i1++)
        for (let i2 = 0; i2 < d2; i2++)
          for (let i3 = 0; i3 < d3; i3++)
            for (let i4 = 0; i4 < d4; i4++) {
              const base = i0 * o0 + i1 * o1 + i2 * o2 + i3 * o3 + i4 * o4;
              for (let i5 = 0; i5 < d5; i5++) {
                const o = at(out, base + i5 * o5);
                if (pass == 0) store<f32>(o, 0);
                else store<f32>(o, load<f32>(o) + load<f32>(at(x, idx)));
                idx++;
              }
            }
  }
}

/** out[r] = scale * Σ_c x[r, c]. */
export function sumLast(x: usize, out: usize, rows: i32, cols: i32, scale: f32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const row = x + (<usize>r * cols << 2);
    let v = splat(0);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v = f32x4.add(v, v128.load(at(row, c)));
    let s: f32 = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
    for (; c < cols; c++) s += load<f32>(at(row, c));
    store<f32>(at(out, r), s * scale);
  }
}

/** out[r] = max_c x[r, c], argmax[r] = first index of it (NaN propagates as the max). */
export function maxLast(x: usize, out: usize, arg: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const row = x + (<usize>r * cols << 2);
    let best = load<f32>(row);
    let bi = 0;
    for (let c = 1; c < cols; c++) {
      const v = load<f32>(at(row, c));
      if (v > best || (isNaN(v) && !isNaN(best))) {
        best = v;
        bi = c;
      }
    }
    store<f32>(at(out, r), best);
    store<i32>(at(arg, r), bi);
  }
}

/** dx = 0 except dx[r, argmax[r]] = dy[r]. */
export function maxLastBackward(dy: usize, arg: usize, dx: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const row = dx + (<usize>r * cols << 2);
    memory.fill(row, 0, <usize>cols << 2);
    const j = load<i32>(at(arg, r));
    if (j < 0 || j >= cols) unreachable();
    store<f32>(at(row, j), load<f32>(at(dy, r)));
  }
}

/** dx[r, c] = scale * dy[r]. */
export function broadcastLast(dy: usize, dx: usize, rows: i32, cols: i32, scale: f32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const row = dx + (<usize>r * cols << 2);
    const s = load<f32>(at(dy, r)) * scale;
    const v = splat(s);
    let c = 0;
    for (; c + 4 <= cols; c += 4) v128.store(at(row, c), v);
    for (; c < cols; c++) store<f32>(at(row, c), s);
  }
}

@inline function loadId(ids: usize, i: i32, u16: i32, v: i32): i32 {
  const id = u16 != 0 ? <i32>load<u16>(ids + (<usize>i << 1)) : load<i32>(at(ids, i));
  if (id < 0 || id >= v) unreachable();
  return id;
}

/** out[i, :] = weight[ids[i], :]. */
export function embedding(w: usize, ids: usize, out: usize, n: i32, c: i32, v: i32, u16: i32, tid: i32, nt: i32): void {
  const r0 = part(n, tid, nt, 1);
  const r1 = part(n, tid + 1, nt, 1);
  const bytes = <usize>c << 2;
  for (let i = r0; i < r1; i++) memory.copy(out + <usize>i * bytes, w + <usize>loadId(ids, i, u16, v) * bytes, bytes);
}

/** dweight[ids[i], :] += dout[i, :]; threads split the columns so no two touch one element. */
export function embeddingBackward(dout: usize, ids: usize, dw: usize, n: i32, c: i32, v: i32, u16: i32, tid: i32, nt: i32): void {
  const c0 = part(c, tid, nt, 16);
  const c1 = part(c, tid + 1, nt, 16);
  for (let i = 0; i < n; i++) {
    const src = dout + (<usize>i * c << 2);
    const dst = dw + (<usize>loadId(ids, i, u16, v) * c << 2);
    let j = c0;
    for (; j + 4 <= c1; j += 4) v128.store(at(dst, j), f32x4.add(v128.load(at(dst, j)), v128.load(at(src, j))));
    for (; j < c1; j++) store<f32>(at(dst, j), load<f32>(at(dst, j)) + load<f32>(at(src, j)));
  }
}

// GELU (tanh form): 0.5x(1 + tanh(u)) = x·σ(2u), u = √(2/π)(x + 0.044715x³).
const GELU_K: f32 = 0.7978845608;
const GELU_C: f32 = 0.044715;

@inline function vgelu(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.mul(x, splat(GELU_K)), madd(x2, splat(GELU_C), splat(1)));
  const e = vexp(f32x4.mul(u, splat(-2)));
  return f32x4.div(x, f32x4.add(splat(1), e));
}

@inline function vgeluGrad(x: v128, dy: v128): v128 {
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.mul(x, splat(GELU_K)), madd(x2, splat(GELU_C), splat(1)));
  const s = f32x4.div(splat(1), f32x4.add(splat(1), vexp(f32x4.mul(u, splat(-2)))));
  const t = f32x4.sub(f32x4.mul(s, splat(2)), splat(1)); // tanh(u)
  const du = f32x4.mul(splat(GELU_K), madd(x2, splat(3 * GELU_C), splat(1)));
  const g = f32x4.add(f32x4.mul(splat(0.5), f32x4.add(splat(1), t)), f32x4.mul(f32x4.mul(f32x4.mul(splat(0.5), x), f32x4.sub(splat(1), f32x4.mul(t, t))), du));
  return f32x4.mul(g, dy);
}

@inline function vsilu(x: v128): v128 {
  return f32x4.div(x, f32x4.add(splat(1), vexp(f32x4.neg(x))));
}

@inline function vsiluGrad(x: v128, dy: v128): v128 {
  const s = f32x4.div(splat(1), f32x4.add(splat(1), vexp(f32x4.neg(x))));
  // d/dx x·σ(x) = σ(x)(1 + x(1 - σ(x)))
  return f32x4.mul(dy, f32x4.mul(s, f32x4.add(splat(1), f32x4.mul(x, f32x4.sub(splat(1), s)))));
}

@inline function ld1(p: usize, i: i32): v128 {
  return f32x4.splat(load<f32>(at(p, i)));
}

export function gelu(x: usize, y: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(y, i), vgelu(v128.load(at(x, i))));
  for (; i < e; i++) store<f32>(at(y, i), f32x4.extract_lane(vgelu(ld1(x, i)), 0));
}

export function geluBackward(x: usize, dy: usize, dx: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(dx, i), vgeluGrad(v128.load(at(x, i)), v128.load(at(dy, i))));
  for (; i < e; i++) store<f32>(at(dx, i), f32x4.extract_lane(vgeluGrad(ld1(x, i), ld1(dy, i)), 0));
}

export function silu(x: usize, y: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(y, i), vsilu(v128.load(at(x, i))));
  for (; i < e; i++) store<f32>(at(y, i), f32x4.extract_lane(vsilu(ld1(x, i)), 0));
}

export function siluBackward(x: usize, dy: usize, dx: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(dx, i), vsiluGrad(v128.load(at(x, i)), v128.load(at(dy, i))));
  for (; i < e; i++) store<f32>(at(dx, i), f32x4.extract_lane(vsiluGrad(ld1(x, i), ld1(dy, i)), 0));
}

/** y = gelu(x + bias) over rows of C. */
export function biasGelu(x: usize, bias: usize, y: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const o = r * cols;
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(y, o + j), vgelu(f32x4.add(v128.load(at(x, o + j)), v128.load(at(bias, j)))));
    for (; j < cols; j++) store<f32>(at(y, o + j), f32x4.extract_lane(vgelu(f32x4.splat(load<f32>(at(x, o + j)) + load<f32>(at(bias, j)))), 0));
  }
}

/** dx = gelu'(x + bias) · dy. */
export function biasGeluBackward(x: usize, bias: usize, dy: usize, dx: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const o = r * cols;
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(dx, o + j), vgeluGrad(f32x4.add(v128.load(at(x, o + j)), v128.load(at(bias, j))), v128.load(at(dy, o + j))));
    for (; j < cols; j++) store<f32>(at(dx, o + j), f32x4.extract_lane(vgeluGrad(f32x4.splat(load<f32>(at(x, o + j)) + load<f32>(at(bias, j))), ld1(dy, o + j)), 0));
  }
}

// Dropout's counter-based hash; the same bits as dropoutUniform in ../kernels.ts.
@inline function hashUniform(seed: u32, counter: u32): f64 {
  let h: u32 = (counter * 0x9e3779b1) ^ (seed * 0x85ebca77);
  h ^= h >>> 16;
  h *= 0x7feb352d;
  h ^= h >>> 15;
  h *= 0x846ca68b;
  h ^= h >>> 16;
  return <f64>(h >>> 8) / 16777216.0;
}

/** y[i] = x[i] / (1 - p) where hash(seed, offset + i) >= p, else 0. */
export function dropout(x: usize, y: usize, n: i32, p: f64, seed: u32, offset: u32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  const scale = <f32>(1.0 / (1.0 - p));
  for (let i = s; i < e; i++) {
    const keep = hashUniform(seed, offset + <u32>i) >= p;
    store<f32>(at(y, i), keep ? load<f32>(at(x, i)) * scale : 0);
  }
}

/** Fused AdamW step in place on param, m, v (see kernels.ts for the formula). */
export function adamw(param: usize, grad: usize, m: usize, v: usize, n: i32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, gs: f32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  const vb1 = splat(b1), vb2 = splat(b2), v1b1 = splat(1 - b1), v1b2 = splat(1 - b2);
  const vlr = splat(lr), veps = splat(eps), vwd = splat(wd), vgs = splat(gs);
  const ibc1 = splat(1 / bc1), ibc2 = splat(1 / bc2);
  let i = s;
  for (; i < e; i += 4) {
    const tail = i + 4 > e;
    const g = f32x4.mul(tail ? ld1(grad, i) : v128.load(at(grad, i)), vgs);
    const mm = f32x4.add(f32x4.mul(vb1, tail ? ld1(m, i) : v128.load(at(m, i))), f32x4.mul(v1b1, g));
    const vv = f32x4.add(f32x4.mul(vb2, tail ? ld1(v, i) : v128.load(at(v, i))), f32x4.mul(v1b2, f32x4.mul(g, g)));
    const p = tail ? ld1(param, i) : v128.load(at(param, i));
    const upd = f32x4.add(f32x4.mul(vwd, p), f32x4.div(f32x4.mul(mm, ibc1), f32x4.add(f32x4.sqrt(f32x4.mul(vv, ibc2)), veps)));
    const np = f32x4.sub(p, f32x4.mul(vlr, upd));
    if (!tail) {
      v128.store(at(m, i), mm);
      v128.store(at(v, i), vv);
      v128.store(at(param, i), np);
    } else {
      // The last 1..3 elements, one at a time, with the same lane arithmetic.
      for (let j = i; j < e; j++) {
        const gj = f32x4.mul(ld1(grad, j), vgs);
        const mj = f32x4.add(f32x4.mul(vb1, ld1(m, j)), f32x4.mul(v1b1, gj));
        const vj = f32x4.add(f32x4.mul(vb2, ld1(v, j)), f32x4.mul(v1b2, f32x4.mul(gj, gj)));
        const pj = ld1(param, j);
        const uj = f32x4.add(f32x4.mul(vwd, pj), f32x4.div(f32x4.mul(mj, ibc1), f32x4.add(f32x4.sqrt(f32x4.mul(vj, ibc2)), veps)));
        store<f32>(at(m, j), f32x4.extract_lane(mj, 0));
        store<f32>(at(v, j), f32x4.extract_lane(vj, 0));
        store<f32>(at(param, j), f32x4.extract_lane(f32x4.sub(pj, f32x4.mul(vlr, uj)), 0));
      }
      break;
    }
  }
}

/** partials[c] = Σ x² over chunk c of 8192 elements (f64); threads split the chunks. */
export function sumSquares(x: usize, n: i32, partials: usize, tid: i32, nt: i32): void {
  const CH = 8192;
  const chunks = (n + CH - 1) / CH;
  const c0 = part(chunks, tid, nt, 1);
  const c1 = part(chunks, tid + 1, nt, 1);
  for (let c = c0; c < c1; c++) {
    const s = c * CH;
    const e = min(n, s + CH);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let i = s;
    for (; i + 4 <= e; i += 4) {
      const v = v128.load(at(x, i));
      const sq = f32x4.mul(v, v);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(sq));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(sq, sq, 2, 3, 0, 1)));
    }
    let t = (f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1)) + (f64x2.extract_lane(hi, 0) + f64x2.extract_lane(hi, 1));
    for (; i < e; i++) {
      const v = <f64>load<f32>(at(x, i));
      t += v * v;
    }
    store<f64>(partials + (<usize>c << 3), t);
  }
}

export function scale(x: usize, n: i32, sc: f32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  const v = splat(sc);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(x, i), f32x4.mul(v128.load(at(x, i)), v));
  for (; i < e; i++) store<f32>(at(x, i), load<f32>(at(x, i)) * sc);
}

export function fill(dst: usize, n: i32, value: f32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  const v = splat(value);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(dst, i), v);
  for (; i < e; i++) store<f32>(at(dst, i), value);
}

export function copy(dst: usize, src: usize, bytes: i32, tid: i32, nt: i32): void {
  if (tid == 0) memory.copy(dst, src, <usize>bytes);
}

// ---- casts ----

export function castF32ToBf16(src: usize, dst: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  for (let i = s; i < e; i++) {
    const b = load<u32>(at(src, i));
    let h: u32;
    if ((b & 0x7fffffff) > 0x7f800000) h = (b >>> 16) | 0x40; // NaN stays a (quiet) NaN
    else h = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16; // round to nearest even
    store<u16>(dst + (<usize>i << 1), <u16>h);
  }
}

export function castBf16ToF32(src: usize, dst: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  for (let i = s; i < e; i++) store<u32>(at(dst, i), (<u32>load<u16>(src + (<usize>i << 1))) << 16);
}

@inline function f32ToF16(b: u32): u32 {
  const sign = (b >>> 16) & 0x8000;
  const abs = b & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00; // NaN
  if (abs >= 0x477ff000) return sign | 0x7c00; // rounds to >= 65520: Inf
  if (abs < 0x38800000) {
    // f16 subnormal (or zero): value = abs * 2^24 in units of 2^-24, rounded to nearest even.
    if (abs < 0x33000000) return sign; // < 2^-25: rounds to 0
    const e = abs >>> 23;
    const mant = (abs & 0x7fffff) | 0x800000;
    const shift = 126 - e; // 14 + (113 - e) - 1 ... bits to drop: (126 - e)
    const q = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half: u32 = 1 << (shift - 1);
    let r = q;
    if (rem > half || (rem == half && (q & 1) != 0)) r++;
    return sign | r;
  }
  // Normal: rebias the exponent (127 -> 15) and round 23 -> 10 mantissa bits.
  const v = abs - 0x38000000;
  const r = (v + 0xfff + ((v >>> 13) & 1)) >>> 13;
  return sign | r;
}

@inline function f16ToF32(h: u32): u32 {
  const sign = (h & 0x8000) << 16;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e == 0) {
    if (m == 0) return sign;
    // Subnormal: value = m * 2^-24, exact in f32.
    return sign | reinterpret<u32>(<f32>m * <f32>5.9604644775390625e-8);
  }
  if (e == 31) return sign | 0x7f800000 | (m << 13);
  return sign | ((e + 112) << 23) | (m << 13);
}

export function castF32ToF16(src: usize, dst: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  for (let i = s; i < e; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToF16(load<u32>(at(src, i))));
}

export function castF16ToF32(src: usize, dst: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  for (let i = s; i < e; i++) store<u32>(at(dst, i), f16ToF32(<u32>load<u16>(src + (<usize>i << 1))));
}

export function castI32ToF32(src: usize, dst: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  for (let i = s; i < e; i++) store<f32>(at(dst, i), <f32>load<i32>(at(src, i)));
}

export function castU16ToI32(src: usize, dst: usize, n: i32, tid: i32, nt: i32): void {
  const s = part(n, tid, nt, 16);
  const e = part(n, tid + 1, nt, 16);
  for (let i = s; i < e; i++) store<i32>(at(dst, i), <i32>load<u16>(src + (<usize>i << 1)));
}

/** dst[r*dstStride + c] (+)= src[r*srcStride + c] for r < rows, c < cols (f32 elements). */
export function copy2d(src: usize, srcStride: i32, dst: usize, dstStride: i32, rows: i32, cols: i32, acc: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const s = src + (<usize>r * srcStride << 2);
    const d = dst + (<usize>r * dstStride << 2);
    if (acc == 0) {
      memory.copy(d, s, <usize>cols << 2);
      continue;
    }
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(d, j), f32x4.add(v128.load(at(d, j)), v128.load(at(s, j))));
    for (; j < cols; j++) store<f32>(at(d, j), load<f32>(at(d, j)) + load<f32>(at(s, j)));
  }
}
