// Row kernels over the last axis: LayerNorm and RMSNorm (forward, backward, fused with the
// residual add), softmax, softmax cross-entropy and RoPE. A row is always handled by one
// thread, so its sums run in one fixed order whatever the thread count.

import { part, splat, hsum, hmax, vexp, sexp, slog } from './common';

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}
@inline function row(p: usize, r: i32, cols: i32): usize {
  return p + (<usize>r * cols << 2);
}

/** Σ x over a row. */
@inline function rowSum(x: usize, n: i32): f32 {
  let v = splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v = f32x4.add(v, v128.load(at(x, j)));
  let s = hsum(v);
  for (; j < n; j++) s += load<f32>(at(x, j));
  return s;
}

/** Σ (x - c)² over a row. */
@inline function rowSqDev(x: usize, n: i32, c: f32): f32 {
  let v = splat(0);
  const vc = splat(c);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const d = f32x4.sub(v128.load(at(x, j)), vc);
    v = f32x4.add(v, f32x4.mul(d, d));
  }
  let s = hsum(v);
  for (; j < n; j++) {
    const d = load<f32>(at(x, j)) - c;
    s += d * d;
  }
  return s;
}

/** y = (x - mean) * rstd * w + b on one row; b may be 0. */
@inline function lnRow(x: usize, w: usize, b: usize, y: usize, n: i32, mu: f32, rs: f32): void {
  const vm = splat(mu), vr = splat(rs);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    let t = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(at(x, j)), vm), vr), v128.load(at(w, j)));
    if (b != 0) t = f32x4.add(t, v128.load(at(b, j)));
    v128.store(at(y, j), t);
  }
  for (; j < n; j++) {
    let t = (load<f32>(at(x, j)) - mu) * rs * load<f32>(at(w, j));
    if (b != 0) t += load<f32>(at(b, j));
    store<f32>(at(y, j), t);
  }
}

export function layerNorm(x: usize, w: usize, b: usize, y: usize, mean: usize, rstd: usize, rows: i32, cols: i32, eps: f32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(x, r, cols);
    const mu = rowSum(xr, cols) / <f32>cols;
    const rs = <f32>1 / Mathf.sqrt(rowSqDev(xr, cols, mu) / <f32>cols + eps);
    store<f32>(at(mean, r), mu);
    store<f32>(at(rstd, r), rs);
    lnRow(xr, w, b, row(y, r, cols), cols, mu, rs);
  }
}

/** s = x + r (written), then LayerNorm of s. */
export function addLayerNorm(x: usize, res: usize, s: usize, w: usize, b: usize, y: usize, mean: usize, rstd: usize, rows: i32, cols: i32, eps: f32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(x, r, cols), rr = row(res, r, cols), sr = row(s, r, cols);
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(sr, j), f32x4.add(v128.load(at(xr, j)), v128.load(at(rr, j))));
    for (; j < cols; j++) store<f32>(at(sr, j), load<f32>(at(xr, j)) + load<f32>(at(rr, j)));
    const mu = rowSum(sr, cols) / <f32>cols;
    const rs = <f32>1 / Mathf.sqrt(rowSqDev(sr, cols, mu) / <f32>cols + eps);
    store<f32>(at(mean, r), mu);
    store<f32>(at(rstd, r), rs);
    lnRow(sr, w, b, row(y, r, cols), cols, mu, rs);
  }
}

/** dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)) (+ dAdd), dxhat = dy w. */
export function layerNormBackwardX(dy: usize, x: usize, w: usize, mean: usize, rstd: usize, dx: usize, dAdd: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const dyr = row(dy, r, cols), xr = row(x, r, cols), dxr = row(dx, r, cols);
    const mu = load<f32>(at(mean, r)), rs = load<f32>(at(rstd, r));
    const vm = splat(mu), vr = splat(rs);
    let a = splat(0), bb = splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const g = f32x4.mul(v128.load(at(dyr, j)), v128.load(at(w, j)));
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vr);
      a = f32x4.add(a, g);
      bb = f32x4.add(bb, f32x4.mul(g, xh));
    }
    let sg = hsum(a), sgx = hsum(bb);
    for (; j < cols; j++) {
      const g = load<f32>(at(dyr, j)) * load<f32>(at(w, j));
      sg += g;
      sgx += g * (load<f32>(at(xr, j)) - mu) * rs;
    }
    const mg = sg / <f32>cols, mgx = sgx / <f32>cols;
    const vmg = splat(mg), vmgx = splat(mgx);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const g = f32x4.mul(v128.load(at(dyr, j)), v128.load(at(w, j)));
      const xh = f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vr);
      let d = f32x4.mul(vr, f32x4.sub(f32x4.sub(g, vmg), f32x4.mul(xh, vmgx)));
      if (dAdd != 0) d = f32x4.add(d, v128.load(at(row(dAdd, r, cols), j)));
      v128.store(at(dxr, j), d);
    }
    for (; j < cols; j++) {
      const g = load<f32>(at(dyr, j)) * load<f32>(at(w, j));
      const xh = (load<f32>(at(xr, j)) - mu) * rs;
      let d = rs * (g - mg - xh * mgx);
      if (dAdd != 0) d += load<f32>(at(row(dAdd, r, cols), j));
      store<f32>(at(dxr, j), d);
    }
  }
}

/** dw[c] += Σ_r dy·xhat, db[c] += Σ_r dy; threads split the columns. */
export function layerNormBackwardW(dy: usize, x: usize, mean: usize, rstd: usize, dw: usize, db: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const c0 = part(cols, tid, nt, 16);
  const c1 = part(cols, tid + 1, nt, 16);
  for (let r = 0; r < rows; r++) {
    const dyr = row(dy, r, cols), xr = row(x, r, cols);
    const mu = load<f32>(at(mean, r)), rs = load<f32>(at(rstd, r));
    const vm = splat(mu), vr = splat(rs);
    let j = c0;
    for (; j + 4 <= c1; j += 4) {
      const g = v128.load(at(dyr, j));
      if (dw != 0) v128.store(at(dw, j), f32x4.add(v128.load(at(dw, j)), f32x4.mul(g, f32x4.mul(f32x4.sub(v128.load(at(xr, j)), vm), vr))));
      if (db != 0) v128.store(at(db, j), f32x4.add(v128.load(at(db, j)), g));
    }
    for (; j < c1; j++) {
      const g = load<f32>(at(dyr, j));
      if (dw != 0) store<f32>(at(dw, j), load<f32>(at(dw, j)) + g * ((load<f32>(at(xr, j)) - mu) * rs));
      if (db != 0) store<f32>(at(db, j), load<f32>(at(db, j)) + g);
    }
  }
}

@inline function rmsRow(x: usize, w: usize, y: usize, n: i32, rs: f32): void {
  const vr = splat(rs);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at(y, j), f32x4.mul(f32x4.mul(v128.load(at(x, j)), vr), v128.load(at(w, j))));
  for (; j < n; j++) store<f32>(at(y, j), load<f32>(at(x, j)) * rs * load<f32>(at(w, j)));
}

export function rmsNorm(x: usize, w: usize, y: usize, rstd: usize, rows: i32, cols: i32, eps: f32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(x, r, cols);
    const rs = <f32>1 / Mathf.sqrt(rowSqDev(xr, cols, 0) / <f32>cols + eps);
    store<f32>(at(rstd, r), rs);
    rmsRow(xr, w, row(y, r, cols), cols, rs);
  }
}

export function addRmsNorm(x: usize, res: usize, s: usize, w: usize, y: usize, rstd: usize, rows: i32, cols: i32, eps: f32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(x, r, cols), rr = row(res, r, cols), sr = row(s, r, cols);
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(sr, j), f32x4.add(v128.load(at(xr, j)), v128.load(at(rr, j))));
    for (; j < cols; j++) store<f32>(at(sr, j), load<f32>(at(xr, j)) + load<f32>(at(rr, j)));
    const rs = <f32>1 / Mathf.sqrt(rowSqDev(sr, cols, 0) / <f32>cols + eps);
    store<f32>(at(rstd, r), rs);
    rmsRow(sr, w, row(y, r, cols), cols, rs);
  }
}

/** dx = rstd (dxhat - xhat mean(dxhat xhat)) (+ dAdd), dxhat = dy w, xhat = x rstd. */
export function rmsNormBackwardX(dy: usize, x: usize, w: usize, rstd: usize, dx: usize, dAdd: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const dyr = row(dy, r, cols), xr = row(x, r, cols), dxr = row(dx, r, cols);
    const rs = load<f32>(at(rstd, r));
    const vr = splat(rs);
    let a = splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) a = f32x4.add(a, f32x4.mul(f32x4.mul(v128.load(at(dyr, j)), v128.load(at(w, j))), f32x4.mul(v128.load(at(xr, j)), vr)));
    let sgx = hsum(a);
    for (; j < cols; j++) sgx += load<f32>(at(dyr, j)) * load<f32>(at(w, j)) * (load<f32>(at(xr, j)) * rs);
    const mgx = sgx / <f32>cols;
    const vmgx = splat(mgx);
    j = 0;
    for (; j + 4 <= cols; j += 4) {
      const g = f32x4.mul(v128.load(at(dyr, j)), v128.load(at(w, j)));
      const xh = f32x4.mul(v128.load(at(xr, j)), vr);
      let d = f32x4.mul(vr, f32x4.sub(g, f32x4.mul(xh, vmgx)));
      if (dAdd != 0) d = f32x4.add(d, v128.load(at(row(dAdd, r, cols), j)));
      v128.store(at(dxr, j), d);
    }
    for (; j < cols; j++) {
      const g = load<f32>(at(dyr, j)) * load<f32>(at(w, j));
      const xh = load<f32>(at(xr, j)) * rs;
      let d = rs * (g - xh * mgx);
      if (dAdd != 0) d += load<f32>(at(row(dAdd, r, cols), j));
      store<f32>(at(dxr, j), d);
    }
  }
}

/** dw[c] += Σ_r dy x rstd; threads split the columns. */
export function rmsNormBackwardW(dy: usize, x: usize, rstd: usize, dw: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const c0 = part(cols, tid, nt, 16);
  const c1 = part(cols, tid + 1, nt, 16);
  for (let r = 0; r < rows; r++) {
    const dyr = row(dy, r, cols), xr = row(x, r, cols);
    const rs = load<f32>(at(rstd, r));
    const vr = splat(rs);
    let j = c0;
    for (; j + 4 <= c1; j += 4) v128.store(at(dw, j), f32x4.add(v128.load(at(dw, j)), f32x4.mul(v128.load(at(dyr, j)), f32x4.mul(v128.load(at(xr, j)), vr))));
    for (; j < c1; j++) store<f32>(at(dw, j), load<f32>(at(dw, j)) + load<f32>(at(dyr, j)) * (load<f32>(at(xr, j)) * rs));
  }
}

/** Max of a row. */
@inline function rowMax(x: usize, n: i32): f32 {
  let j = 0;
  let m: f32 = -Infinity;
  if (n >= 4) {
    let v = v128.load(x);
    for (j = 4; j + 4 <= n; j += 4) v = f32x4.max(v, v128.load(at(x, j)));
    m = hmax(v);
  }
  for (; j < n; j++) m = max(m, load<f32>(at(x, j)));
  return m;
}

/** y = exp(x - m) on a row (y may be x); returns Σ y. */
@inline function rowExp(x: usize, y: usize, n: i32, m: f32): f32 {
  const vm = splat(m);
  let acc = splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const e = vexp(f32x4.sub(v128.load(at(x, j)), vm));
    v128.store(at(y, j), e);
    acc = f32x4.add(acc, e);
  }
  let s = hsum(acc);
  for (; j < n; j++) {
    const e = sexp(load<f32>(at(x, j)) - m);
    store<f32>(at(y, j), e);
    s += e;
  }
  return s;
}

export function softmax(x: usize, y: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(x, r, cols), yr = row(y, r, cols);
    const s = rowExp(xr, yr, cols, rowMax(xr, cols));
    const inv = <f32>1 / s;
    const vi = splat(inv);
    let j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(yr, j), f32x4.mul(v128.load(at(yr, j)), vi));
    for (; j < cols; j++) store<f32>(at(yr, j), load<f32>(at(yr, j)) * inv);
  }
}

export function softmaxBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const yr = row(y, r, cols), dyr = row(dy, r, cols), dxr = row(dx, r, cols);
    let a = splat(0);
    let j = 0;
    for (; j + 4 <= cols; j += 4) a = f32x4.add(a, f32x4.mul(v128.load(at(yr, j)), v128.load(at(dyr, j))));
    let d = hsum(a);
    for (; j < cols; j++) d += load<f32>(at(yr, j)) * load<f32>(at(dyr, j));
    const vd = splat(d);
    j = 0;
    for (; j + 4 <= cols; j += 4) v128.store(at(dxr, j), f32x4.mul(v128.load(at(yr, j)), f32x4.sub(v128.load(at(dyr, j)), vd)));
    for (; j < cols; j++) store<f32>(at(dxr, j), load<f32>(at(yr, j)) * (load<f32>(at(dyr, j)) - d));
  }
}

/** Σ exp(x - m) on a row without writing. */
@inline function rowExpSum(x: usize, n: i32, m: f32): f32 {
  const vm = splat(m);
  let acc = splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) acc = f32x4.add(acc, vexp(f32x4.sub(v128.load(at(x, j)), vm)));
  let s = hsum(acc);
  for (; j < n; j++) s += sexp(load<f32>(at(x, j)) - m);
  return s;
}

/** rowLoss[r] = lse[r] - logits[r, target[r]] (0 when ignored); lse saved. */
export function crossEntropy(logits: usize, targets: usize, rowLoss: usize, lse: usize, rows: i32, v: i32, ignore: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(logits, r, v);
    const m = rowMax(xr, v);
    const l = <f32>(<f64>m + slog(<f64>rowExpSum(xr, v, m)));
    store<f32>(at(lse, r), l);
    const t = load<i32>(at(targets, r));
    if (t == ignore) {
      store<f32>(at(rowLoss, r), 0);
    } else {
      if (t < 0 || t >= v) unreachable();
      store<f32>(at(rowLoss, r), l - load<f32>(at(xr, t)));
    }
  }
}

/** dlogits = (exp(x - lse) - onehot(target)) * scale; 0 on ignored rows. */
export function crossEntropyBackward(logits: usize, targets: usize, lse: usize, dl: usize, rows: i32, v: i32, scale: f32, ignore: i32, tid: i32, nt: i32): void {
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  for (let r = r0; r < r1; r++) {
    const xr = row(logits, r, v), dr = row(dl, r, v);
    const t = load<i32>(at(targets, r));
    if (t == ignore) {
      memory.fill(dr, 0, <usize>v << 2);
      continue;
    }
    if (t < 0 || t >= v) unreachable();
    const l = load<f32>(at(lse, r));
    const vl = splat(l), vs = splat(scale);
    let j = 0;
    for (; j + 4 <= v; j += 4) v128.store(at(dr, j), f32x4.mul(vexp(f32x4.sub(v128.load(at(xr, j)), vl)), vs));
    for (; j < v; j++) store<f32>(at(dr, j), sexp(load<f32>(at(xr, j)) - l) * scale);
    store<f32>(at(dr, t), load<f32>(at(dr, t)) - scale);
  }
}

/**
 * RoPE (rotate-half) on x (B, T, H, D) with tables (maxPos, D/2); row t at position pos0 + t.
 * inv = 1 rotates by the negative angle (the backward pass).
 */
export function rope(x: usize, y: usize, cos: usize, sin: usize, B: i32, T: i32, H: i32, D: i32, pos0: i32, inv: i32, tid: i32, nt: i32): void {
  const rows = B * T * H;
  const half = D >> 1;
  const r0 = part(rows, tid, nt, 1);
  const r1 = part(rows, tid + 1, nt, 1);
  const sgn = splat(inv != 0 ? -1 : 1);
  for (let r = r0; r < r1; r++) {
    const t = (r / H) % T;
    const cr = row(cos, pos0 + t, half), sr = row(sin, pos0 + t, half);
    const xr = row(x, r, D), yr = row(y, r, D);
    let i = 0;
    for (; i + 4 <= half; i += 4) {
      const c = v128.load(at(cr, i));
      const s = f32x4.mul(v128.load(at(sr, i)), sgn);
      const a = v128.load(at(xr, i));
      const b = v128.load(at(xr, i + half));
      v128.store(at(yr, i), f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
      v128.store(at(yr, i + half), f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
    }
    const sg: f32 = inv != 0 ? -1 : 1;
    for (; i < half; i++) {
      const c = load<f32>(at(cr, i));
      const s = load<f32>(at(sr, i)) * sg;
      const a = load<f32>(at(xr, i));
      const b = load<f32>(at(xr, i + half));
      store<f32>(at(yr, i), a * c - b * s);
      store<f32>(at(yr, i + half), b * c + a * s);
    }
  }
}
