// Fused causal attention with grouped-query heads, flash-style: forward and backward.
// q, o, dO, dq: (B, T, H, D); k, v, dk, dv: (B, kvCap, Hkv, D) with rows 0..S-1 used,
// S = pastLen + T; lse: (B, H, T). Query row t sits at position pastLen + t and (causal)
// sees keys 0..pastLen+t. Query head h reads kv head h / (H / Hkv).
//
// Forward: for a tile of BR query rows, key tiles of BC keys stream through: scores by the
// packed matmul (Q·Kᵀ), an online softmax (running max m and sum l per row, rescaling the
// output accumulator), then O += P·V by the matmul. Only o and lse = m + log l are kept;
// the BR×BC score tile lives in this thread's scratch, never a T×S matrix.
// Backward recomputes P from lse, in two phases that write disjoint outputs: dk, dv by key
// tiles of one kv head (all its query heads), then dq by query tiles. No two threads write
// the same element and every sum runs in a fixed order, so the thread count does not
// change the result.

import { gemm, MATMUL_SCRATCH } from './matmul';
import { splat, hsum, vexp, sexp, slog, scratch, firstUnit, nextUnit, WORK0, WORK1 } from './common';

const BR = 64;
const BC = 64;

@inline function at(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

// Scratch after the matmul's panels: score/probability tile, dP tile, output tile, per-row m, l, Δ.
@inline function sBuf(): usize {
  return scratch() + MATMUL_SCRATCH;
}
@inline function dpBuf(): usize {
  return sBuf() + <usize>(BR * BC * 4);
}
@inline function mBuf(): usize {
  return dpBuf() + <usize>(BR * BC * 4);
}
@inline function lBuf(): usize {
  return mBuf() + <usize>(BR * 4);
}
@inline function oBuf(): usize {
  return lBuf() + <usize>(BR * 4);
}

/** Σ a[i] b[i] over n floats. */
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let v = splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v = f32x4.add(v, f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  let s = hsum(v);
  for (; i < n; i++) s += load<f32>(at(a, i)) * load<f32>(at(b, i));
  return s;
}

/** Keys of tile row r visible to query position pos: min(bc, pos - j0 + 1), at most bc, maybe <= 0. */
@inline function visible(causal: i32, pos: i32, j0: i32, bc: i32): i32 {
  return causal != 0 ? min(bc, pos - j0 + 1) : bc;
}

export function attention(q: usize, k: usize, v: usize, o: usize, lse: usize, B: i32, T: i32, H: i32, Hkv: i32, D: i32, pastLen: i32, kvCap: i32, scale: f32, causal: i32, tid: i32, nt: i32): void {
  const S = pastLen + T;
  const G = H / Hkv;
  const qRow = H * D;
  const kvRow = Hkv * D;
  const sb = sBuf(), mb = mBuf(), lb = lBuf(), ob = oBuf();
  const qBlocks = (T + BR - 1) / BR;
  const units = B * H * qBlocks;
  // Threads take query tiles from a shared counter (the causal triangle makes them uneven).
  for (let u = firstUnit(WORK0, nt); u < units; u = nextUnit(WORK0, nt, u)) {
    // Last (longest) query tiles first, so the short ones fill in at the end.
    const qb = qBlocks - 1 - (u % qBlocks);
    const bh = u / qBlocks;
    const h = bh % H;
    const b = bh / H;
    const g = h / G;
    const t0 = qb * BR;
    const br = min(BR, T - t0);
    const qp = q + ((<usize>(b * T + t0) * qRow + <usize>h * D) << 2);
    const kb = k + ((<usize>b * kvCap * kvRow + <usize>g * D) << 2);
    const vb = v + ((<usize>b * kvCap * kvRow + <usize>g * D) << 2);
    memory.fill(ob, 0, <usize>(br * D) << 2);
    for (let r = 0; r < br; r++) {
      store<f32>(at(mb, r), -Infinity);
      store<f32>(at(lb, r), 0);
    }
    const nk = causal != 0 ? pastLen + t0 + br : S;
    for (let j0 = 0; j0 < nk; j0 += BC) {
      const bc = min(BC, nk - j0);
      // Scores (br × bc) = Q_tile · K_tileᵀ.
      gemm(qp, qRow, false, kb + (<usize>j0 * kvRow << 2), kvRow, true, sb, BC, 0, br, 0, bc, D, false);
      for (let r = 0; r < br; r++) {
        const row = sb + (<usize>(r * BC) << 2);
        const lim = visible(causal, pastLen + t0 + r, j0, bc);
        if (lim <= 0) {
          memory.fill(row, 0, <usize>bc << 2);
          continue;
        }
        let mx: f32 = -Infinity;
        const vs = splat(scale);
        let vmx = splat(-Infinity);
        let jj = 0;
        for (; jj + 4 <= lim; jj += 4) {
          const s4 = f32x4.mul(v128.load(at(row, jj)), vs);
          v128.store(at(row, jj), s4);
          vmx = f32x4.max(vmx, s4);
        }
        mx = max(max(f32x4.extract_lane(vmx, 0), f32x4.extract_lane(vmx, 1)), max(f32x4.extract_lane(vmx, 2), f32x4.extract_lane(vmx, 3)));
        for (; jj < lim; jj++) {
          const s = load<f32>(at(row, jj)) * scale;
          store<f32>(at(row, jj), s);
          mx = max(mx, s);
        }
        const mOld = load<f32>(at(mb, r));
        const mNew = max(mOld, mx);
        const vm = splat(mNew);
        let acc = splat(0);
        let j = 0;
        for (; j + 4 <= lim; j += 4) {
          const e = vexp(f32x4.sub(v128.load(at(row, j)), vm));
          v128.store(at(row, j), e);
          acc = f32x4.add(acc, e);
        }
        let sum = hsum(acc);
        for (; j < lim; j++) {
          const e = sexp(load<f32>(at(row, j)) - mNew);
          store<f32>(at(row, j), e);
          sum += e;
        }
        for (; j < bc; j++) store<f32>(at(row, j), 0);
        const alpha = mOld == -Infinity ? <f32>0 : sexp(mOld - mNew);
        store<f32>(at(lb, r), load<f32>(at(lb, r)) * alpha + sum);
        store<f32>(at(mb, r), mNew);
        if (alpha != 1) {
          const orow = ob + (<usize>(r * D) << 2);
          const va = splat(alpha);
          let i = 0;
          for (; i + 4 <= D; i += 4) v128.store(at(orow, i), f32x4.mul(v128.load(at(orow, i)), va));
          for (; i < D; i++) store<f32>(at(orow, i), load<f32>(at(orow, i)) * alpha);
        }
      }
      // O_tile += P · V_tile.
      gemm(sb, BC, false, vb + (<usize>j0 * kvRow << 2), kvRow, false, ob, D, 0, br, 0, D, bc, true);
    }
    for (let r = 0; r < br; r++) {
      const l = load<f32>(at(lb, r));
      const inv = <f32>1 / l;
      const orow = ob + (<usize>(r * D) << 2);
      const dst = o + ((<usize>(b * T + t0 + r) * qRow + <usize>h * D) << 2);
      const vi = splat(inv);
      let i = 0;
      for (; i + 4 <= D; i += 4) v128.store(at(dst, i), f32x4.mul(v128.load(at(orow, i)), vi));
      for (; i < D; i++) store<f32>(at(dst, i), load<f32>(at(orow, i)) * inv);
      store<f32>(at(lse, (b * H + h) * T + t0 + r), <f32>(<f64>load<f32>(at(mb, r)) + slog(<f64>l)));
    }
  }
}

/**
 * For query tile rows t0..t0+br of head h against key tile j0..j0+bc: P = exp(scale S - lse)
 * into sBuf and dS = P (dP - Δ) scale into dpBuf (both br × bc, ld BC; masked entries 0).
 */
function probsAndGrads(
  qp: usize, dOp: usize, op: usize, qRow: i32, kp: usize, vp: usize, kvRow: i32, lseRow: usize,
  t0: i32, br: i32, j0: i32, bc: i32, D: i32, pastLen: i32, scale: f32, causal: i32,
): void {
  const sb = sBuf(), db = dpBuf();
  gemm(qp, qRow, false, kp, kvRow, true, sb, BC, 0, br, 0, bc, D, false);
  gemm(dOp, qRow, false, vp, kvRow, true, db, BC, 0, br, 0, bc, D, false);
  for (let r = 0; r < br; r++) {
    const srow = sb + (<usize>(r * BC) << 2);
    const drow = db + (<usize>(r * BC) << 2);
    const lim = max(0, visible(causal, pastLen + t0 + r, j0, bc));
    const l = load<f32>(at(lseRow, t0 + r));
    const delta = dot(dOp + (<usize>(r * qRow) << 2), op + (<usize>(r * qRow) << 2), D);
    const vs = splat(scale), vl = splat(l), vd = splat(delta);
    let j = 0;
    for (; j + 4 <= lim; j += 4) {
      const p = vexp(f32x4.sub(f32x4.mul(v128.load(at(srow, j)), vs), vl));
      v128.store(at(srow, j), p);
      v128.store(at(drow, j), f32x4.mul(f32x4.mul(p, f32x4.sub(v128.load(at(drow, j)), vd)), vs));
    }
    for (; j < lim; j++) {
      const p = sexp(load<f32>(at(srow, j)) * scale - l);
      store<f32>(at(srow, j), p);
      store<f32>(at(drow, j), p * (load<f32>(at(drow, j)) - delta) * scale);
    }
    for (let j = lim; j < bc; j++) {
      store<f32>(at(srow, j), 0);
      store<f32>(at(drow, j), 0);
    }
  }
}

export function attentionBackward(
  q: usize, k: usize, v: usize, o: usize, lse: usize,
  B: i32, T: i32, H: i32, Hkv: i32, D: i32, pastLen: i32, kvCap: i32, scale: f32, causal: i32,
  dO: usize, dq: usize, dk: usize, dv: usize, tid: i32, nt: i32,
): void {
  const S = pastLen + T;
  const G = H / Hkv;
  const qRow = H * D;
  const kvRow = Hkv * D;
  const sb = sBuf(), db = dpBuf();

  // Phase A: dk, dv for a tile of keys of one (b, kv head), over all its query heads.
  const kBlocks = (S + BC - 1) / BC;
  const unitsA = B * Hkv * kBlocks;
  for (let u = firstUnit(WORK0, nt); u < unitsA; u = nextUnit(WORK0, nt, u)) {
    const kbIdx = u % kBlocks;
    const bg = u / kBlocks;
    const g = bg % Hkv;
    const b = bg / Hkv;
    const j0 = kbIdx * BC;
    const bc = min(BC, S - j0);
    const kvOff = (<usize>b * kvCap * kvRow + <usize>j0 * kvRow + <usize>g * D) << 2;
    for (let j = 0; j < bc; j++) {
      memory.fill(dk + kvOff + (<usize>(j * kvRow) << 2), 0, <usize>D << 2);
      memory.fill(dv + kvOff + (<usize>(j * kvRow) << 2), 0, <usize>D << 2);
    }
    // The first query row that sees key j0.
    const tStart = causal != 0 ? max(0, j0 - pastLen) : 0;
    for (let hh = 0; hh < G; hh++) {
      const h = g * G + hh;
      const lseRow = lse + (<usize>((b * H + h) * T) << 2);
      for (let t0 = tStart; t0 < T; t0 += BR) {
        const br = min(BR, T - t0);
        const off = (<usize>(b * T + t0) * qRow + <usize>h * D) << 2;
        probsAndGrads(q + off, dO + off, o + off, qRow, k + kvOff, v + kvOff, kvRow, lseRow, t0, br, j0, bc, D, pastLen, scale, causal);
        // dV_tile += Pᵀ · dO_tile; dK_tile += dSᵀ · Q_tile.
        gemm(sb, BC, true, dO + off, qRow, false, dv + kvOff, kvRow, 0, bc, 0, D, br, true);
        gemm(db, BC, true, q + off, qRow, false, dk + kvOff, kvRow, 0, bc, 0, D, br, true);
      }
    }
  }

  // Phase B: dq for a tile of query rows of one (b, head).
  const qBlocks = (T + BR - 1) / BR;
  const unitsB = B * H * qBlocks;
  for (let u = firstUnit(WORK1, nt); u < unitsB; u = nextUnit(WORK1, nt, u)) {
    const qb = qBlocks - 1 - (u % qBlocks);
    const bh = u / qBlocks;
    const h = bh % H;
    const b = bh / H;
    const g = h / G;
    const t0 = qb * BR;
    const br = min(BR, T - t0);
    const off = (<usize>(b * T + t0) * qRow + <usize>h * D) << 2;
    const lseRow = lse + (<usize>((b * H + h) * T) << 2);
    for (let r = 0; r < br; r++) memory.fill(dq + off + (<usize>(r * qRow) << 2), 0, <usize>D << 2);
    const nk = causal != 0 ? pastLen + t0 + br : S;
    for (let j0 = 0; j0 < nk; j0 += BC) {
      const bc = min(BC, nk - j0);
      const kvOff = (<usize>b * kvCap * kvRow + <usize>j0 * kvRow + <usize>g * D) << 2;
      probsAndGrads(q + off, dO + off, o + off, qRow, k + kvOff, v + kvOff, kvRow, lseRow, t0, br, j0, bc, D, pastLen, scale, causal);
      // dQ_tile += dS · K_tile.
      gemm(db, BC, false, k + kvOff, kvRow, false, dq + off, qRow, 0, br, 0, D, bc, true);
    }
  }
}
