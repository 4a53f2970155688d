// Batched matmul C (+)= op(A)·op(B): Goto-style cache blocking (NC columns, KC depth, MC
// rows), A and B packed into contiguous panels, and a 6×8 register tile (12 f32x4
// accumulators; 5×8 in the plain-SIMD build) that fits the vector registers V8 allocates.
// Every C element is summed in the same order whatever the thread split, so the result
// does not depend on the thread count.

import { madd, scratch, firstUnit, nextUnit, WORK0 } from './common';

// 6 rows × 8 columns = 12 accumulators + 2 B vectors + 1 A splat = 15 registers: all that V8
// allocates on x64 (xmm15 is its scratch). Without FMA, mul + add needs one more temporary,
// so the plain-SIMD build uses 5 rows.
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
const NR = 8;
const KC = 256;
const MC: i32 = MR * 12;
const NC = 1024;

// Scratch layout of one thread: packed A (MC×KC), packed B (KC×NC), an edge tile (MR×NR).
@inline function apBase(): usize {
  return scratch();
}
@inline function bpBase(): usize {
  return scratch() + <usize>(MC * KC * 4);
}
@inline function tileBase(): usize {
  return scratch() + <usize>(MC * KC * 4 + KC * NC * 4);
}

/** Pack rows ic..ic+mc, depth pc..pc+kc of op(A) into MR-row strips, zero padded. */
function packA(ap: usize, a: usize, lda: i32, ta: bool, ic: i32, mc: i32, pc: i32, kc: i32): void {
  for (let s = 0; s < mc; s += MR) {
    const dst = ap + <usize>(s * kc * 4);
    const rows = min(MR, mc - s);
    if (!ta) {
      for (let i = 0; i < MR; i++) {
        if (i < rows) {
          const src = a + (<usize>(ic + s + i) * lda + pc) * 4;
          for (let p = 0; p < kc; p++) store<f32>(dst + <usize>((p * MR + i) * 4), load<f32>(src + <usize>(p * 4)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(dst + <usize>((p * MR + i) * 4), 0);
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + (<usize>(pc + p) * lda + ic + s) * 4;
        const d = dst + <usize>(p * MR * 4);
        for (let i = 0; i < MR; i++) store<f32>(d + <usize>(i * 4), i < rows ? load<f32>(src + <usize>(i * 4)) : 0);
      }
    }
  }
}

/** Pack depth pc..pc+kc, columns jc..jc+nc of op(B) into NR-column strips, zero padded. */
function packB(bp: usize, b: usize, ldb: i32, tb: bool, pc: i32, kc: i32, jc: i32, nc: i32): void {
  const full = nc / NR * NR;
  const stripBytes = <usize>(kc * NR * 4);
  if (!tb) {
    // Row by row, so the source is read contiguously.
    for (let p = 0; p < kc; p++) {
      const src = b + (<usize>(pc + p) * ldb + jc) * 4;
      let d = bp + <usize>(p * NR * 4);
      for (let s = 0; s < full; s += NR) {
        v128.store(d, v128.load(src + <usize>(s * 4)));
        v128.store(d, v128.load(src + <usize>(s * 4), 16), 16);
        d += stripBytes;
      }
      if (full < nc) {
        for (let j = 0; j < NR; j++) store<f32>(d + <usize>(j * 4), full + j < nc ? load<f32>(src + <usize>((full + j) * 4)) : 0);
      }
    }
  } else {
    for (let s = 0; s < nc; s += NR) {
      const dst = bp + <usize>(s * kc * 4);
      const cols = min(NR, nc - s);
      for (let j = 0; j < NR; j++) {
        if (j < cols) {
          const src = b + (<usize>(jc + s + j) * ldb + pc) * 4;
          for (let p = 0; p < kc; p++) store<f32>(dst + <usize>((p * NR + j) * 4), load<f32>(src + <usize>(p * 4)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(dst + <usize>((p * NR + j) * 4), 0);
        }
      }
    }
  }
}

/**
 * The MR×8 microkernel: tile = Σ_p a[p, 0..MR] ⊗ b[p, 0..8]; then C = tile (first) or
 * C += tile. Partial tiles (mr < MR or nr < 8) go through the edge buffer.
 */
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, first: bool, mr: i32, nr: i32): void {
  let c00 = v128.splat<f32>(0), c01 = v128.splat<f32>(0);
  let c10 = v128.splat<f32>(0), c11 = v128.splat<f32>(0);
  let c20 = v128.splat<f32>(0), c21 = v128.splat<f32>(0);
  let c30 = v128.splat<f32>(0), c31 = v128.splat<f32>(0);
  let c40 = v128.splat<f32>(0), c41 = v128.splat<f32>(0);
  let c50 = v128.splat<f32>(0), c51 = v128.splat<f32>(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(ap, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    if (MR == 6) {
      a = v128.load32_splat(ap, 20);
      c50 = madd(a, b0, c50);
      c51 = madd(a, b1, c51);
    }
    ap += MR * 4;
    bp += NR * 4;
  }
  const full = mr == MR && nr == NR;
  let t: usize = c;
  let ld: usize = <usize>ldc * 4;
  if (!full) {
    t = tileBase();
    ld = NR * 4;
  }
  if (first || !full) {
    v128.store(t, c00); v128.store(t, c01, 16); t += ld;
    v128.store(t, c10); v128.store(t, c11, 16); t += ld;
    v128.store(t, c20); v128.store(t, c21, 16); t += ld;
    v128.store(t, c30); v128.store(t, c31, 16); t += ld;
    v128.store(t, c40); v128.store(t, c41, 16); t += ld;
    if (MR == 6) { v128.store(t, c50); v128.store(t, c51, 16); }
  } else {
    v128.store(t, f32x4.add(v128.load(t), c00)); v128.store(t, f32x4.add(v128.load(t, 16), c01), 16); t += ld;
    v128.store(t, f32x4.add(v128.load(t), c10)); v128.store(t, f32x4.add(v128.load(t, 16), c11), 16); t += ld;
    v128.store(t, f32x4.add(v128.load(t), c20)); v128.store(t, f32x4.add(v128.load(t, 16), c21), 16); t += ld;
    v128.store(t, f32x4.add(v128.load(t), c30)); v128.store(t, f32x4.add(v128.load(t, 16), c31), 16); t += ld;
    v128.store(t, f32x4.add(v128.load(t), c40)); v128.store(t, f32x4.add(v128.load(t, 16), c41), 16); t += ld;
    if (MR == 6) { v128.store(t, f32x4.add(v128.load(t), c50)); v128.store(t, f32x4.add(v128.load(t, 16), c51), 16); }
  }
  if (!full) {
    const tb = tileBase();
    for (let i = 0; i < mr; i++) {
      const row = c + <usize>(i * ldc * 4);
      for (let j = 0; j < nr; j++) {
        const v = load<f32>(tb + <usize>((i * NR + j) * 4));
        const dst = row + <usize>(j * 4);
        store<f32>(dst, first ? v : load<f32>(dst) + v);
      }
    }
  }
}

/** Bytes of scratch the matmul uses at the start of a thread's region. */
export const MATMUL_SCRATCH: usize = <usize>(MC * KC * 4 + KC * NC * 4 + MR * NR * 4 + 64);

/**
 * One matrix: C[m0..m1, n0..n1] (+)= op(A)·op(B) with blocking and packing. lda, ldb, ldc
 * are row strides in elements (so sub-blocks of bigger matrices work, e.g. attention tiles).
 */
export function gemm(a: usize, lda: i32, ta: bool, b: usize, ldb: i32, tb: bool, c: usize, ldc: i32, m0: i32, m1: i32, n0: i32, n1: i32, k: i32, acc: bool): void {
  if (m1 <= m0 || n1 <= n0) return;
  if (k == 0) {
    if (!acc) for (let i = m0; i < m1; i++) memory.fill(c + (<usize>i * ldc + n0) * 4, 0, <usize>(n1 - n0) * 4);
    return;
  }
  const ap = apBase();
  const bp = bpBase();
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc == 0 && !acc;
      packB(bp, b, ldb, tb, pc, kc, jc, nc);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        packA(ap, a, lda, ta, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bstrip = bp + <usize>(jr * kc * 4);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            micro(kc, ap + <usize>(ir * kc * 4), bstrip, c + (<usize>(ic + ir) * ldc + jc + jr) * 4, ldc, first, mr, nr);
          }
        }
      }
    }
  }
}

/** Rows of C at or below which the matrix-vector path is used (decoding: one token per row). */
const SMALL_M = 2;
const GEMV_COLS = 256;

/**
 * C[0..m, n0..n1] (+)= op(A)·op(B) for tiny m: streams B once instead of packing it (a packed
 * 6-row tile would be mostly padding, and packing would triple the memory traffic).
 */
function gemv(a: usize, lda: i32, ta: bool, b: usize, ldb: i32, tb: bool, c: usize, ldc: i32, m: i32, n0: i32, n1: i32, k: i32, acc: bool): void {
  for (let i = 0; i < m; i++) {
    const crow = c + (<usize>i * ldc << 2);
    if (tb) {
      // C[i, j] = A_i · B_j (B stored N×K): dot products.
      for (let j = n0; j < n1; j++) {
        const brow = b + (<usize>j * ldb << 2);
        let v0 = v128.splat<f32>(0), v1 = v128.splat<f32>(0);
        let s: f32 = 0;
        if (!ta) {
          const arow = a + (<usize>i * lda << 2);
          let p = 0;
          for (; p + 8 <= k; p += 8) {
            v0 = madd(v128.load(arow + (<usize>p << 2)), v128.load(brow + (<usize>p << 2)), v0);
            v1 = madd(v128.load(arow + (<usize>p << 2), 16), v128.load(brow + (<usize>p << 2), 16), v1);
          }
          const v = f32x4.add(v0, v1);
          s = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
          for (; p < k; p++) s += load<f32>(arow + (<usize>p << 2)) * load<f32>(brow + (<usize>p << 2));
        } else {
          for (let p = 0; p < k; p++) s += load<f32>(a + ((<usize>p * lda + i) << 2)) * load<f32>(brow + (<usize>p << 2));
        }
        const dst = crow + (<usize>j << 2);
        store<f32>(dst, acc ? load<f32>(dst) + s : s);
      }
    } else {
      // C[i, :] = Σ_p A[i, p] B[p, :], a block of columns at a time so it stays in L1.
      for (let j0 = n0; j0 < n1; j0 += GEMV_COLS) {
        const j1 = min(n1, j0 + GEMV_COLS);
        if (!acc) memory.fill(crow + (<usize>j0 << 2), 0, <usize>(j1 - j0) << 2);
        for (let p = 0; p < k; p++) {
          const aip = ta ? load<f32>(a + ((<usize>p * lda + i) << 2)) : load<f32>(a + ((<usize>i * lda + p) << 2));
          const va = f32x4.splat(aip);
          const brow = b + (<usize>p * ldb << 2);
          let j = j0;
          for (; j + 4 <= j1; j += 4) {
            const d = crow + (<usize>j << 2);
            v128.store(d, madd(va, v128.load(brow + (<usize>j << 2)), v128.load(d)));
          }
          for (; j < j1; j++) {
            const d = crow + (<usize>j << 2);
            store<f32>(d, load<f32>(d) + aip * load<f32>(brow + (<usize>j << 2)));
          }
        }
      }
    }
  }
}

/** Units of work per thread when a matrix is split (a few, so a slowed thread is covered). */
const UNITS_PER_THREAD = 2;

/**
 * C[bi] (+)= op(A[bi])·op(B[bi]) for bi < batch; sa, sb, sc are element strides between
 * batch items (0 = broadcast; sc == 0 sums all items into one C). Threads take units of work
 * from a shared counter: whole batch items when there are enough, else column blocks (or row
 * blocks when C is taller than wide) of every item. A unit is computed the same way whichever
 * thread takes it, so the result does not depend on the thread count.
 */
export function matmul(a: usize, b: usize, c: usize, m: i32, n: i32, k: i32, batch: i32, sa: i32, sb: i32, sc: i32, ta: i32, tb: i32, acc: i32, tid: i32, nt: i32): void {
  const lda = ta ? m : k;
  const ldb = tb ? k : n;
  const byBatch = sc != 0 && batch >= nt && (batch >= 4 * nt || <i64>m * n < 128 * 128 || batch % nt == 0);
  if (byBatch) {
    for (let bi = firstUnit(WORK0, nt); bi < batch; bi = nextUnit(WORK0, nt, bi)) {
      const ap = a + <usize>bi * sa * 4, bp = b + <usize>bi * sb * 4, cp = c + <usize>bi * sc * 4;
      if (m <= SMALL_M) gemv(ap, lda, ta != 0, bp, ldb, tb != 0, cp, n, m, 0, n, k, acc != 0);
      else gemm(ap, lda, ta != 0, bp, ldb, tb != 0, cp, n, 0, m, 0, n, k, acc != 0);
    }
    return;
  }
  // Split the larger side of C; with sc == 0 a unit walks the batch in order, so the sum
  // over batch items keeps one order.
  const byCols = m <= SMALL_M || n >= m;
  // Each unit packs the other operand again, so units are as few as balance allows: one on
  // one thread (plain Goto order), else about UNITS_PER_THREAD per thread.
  const len = byCols ? n : m;
  const align = m <= SMALL_M ? 16 : byCols ? NR : MR;
  const perUnit = nt == 1 ? len : max(align, (len + nt * UNITS_PER_THREAD - 1) / (nt * UNITS_PER_THREAD));
  const step = (perUnit + align - 1) / align * align;
  const units = (len + step - 1) / step;
  for (let u = firstUnit(WORK0, nt); u < units; u = nextUnit(WORK0, nt, u)) {
    let m0 = 0, m1 = m, n0 = 0, n1 = n;
    if (byCols) {
      n0 = u * step;
      n1 = min(n, n0 + step);
    } else {
      m0 = u * step;
      m1 = min(m, m0 + step);
    }
    for (let bi = 0; bi < batch; bi++) {
      const accumulate = acc != 0 || (sc == 0 && bi > 0);
      const ap = a + <usize>bi * sa * 4, bp = b + <usize>bi * sb * 4, cp = c + <usize>bi * sc * 4;
      if (m <= SMALL_M) gemv(ap, lda, ta != 0, bp, ldb, tb != 0, cp, n, m, n0, n1, k, accumulate);
      else gemm(ap, lda, ta != 0, bp, ldb, tb != 0, cp, n, m0, m1, n0, n1, k, accumulate);
    }
  }
}

/**
 * A register-only multiply-add loop for measuring the machine's SIMD peak: 12 independent
 * f32x4 chains, 96 flops per iteration per thread. The relaxed build accumulates like the
 * microkernel (c += a·b, one fused multiply-add each, which cannot be hoisted or shared);
 * the plain build runs c = c·a + b, a multiply and an add per chain (a·b alone would be
 * computed once and shared).
 */
export function peak(iters: i32, tid: i32, nt: i32): void {
  let x0 = v128.splat<f32>(0), x1 = v128.splat<f32>(0), x2 = v128.splat<f32>(0), x3 = v128.splat<f32>(0);
  let x4 = v128.splat<f32>(0), x5 = v128.splat<f32>(0), x6 = v128.splat<f32>(0), x7 = v128.splat<f32>(0);
  let x8 = v128.splat<f32>(0), x9 = v128.splat<f32>(0), x10 = v128.splat<f32>(0), x11 = v128.splat<f32>(0);
  // Constant factors: measured on x64 (V8 11.3, Zen), this loop runs ~40% faster than the
  // same FMAs on loop-invariant registers, and the microkernel's speed matches it.
  const a = f32x4.splat(<f32>0.999);
  const b = f32x4.splat(<f32>0.001);
  if (ASC_FEATURE_RELAXED_SIMD) {
    for (let i = 0; i < iters; i++) {
      x0 = madd(a, b, x0); x1 = madd(a, b, x1); x2 = madd(a, b, x2); x3 = madd(a, b, x3);
      x4 = madd(a, b, x4); x5 = madd(a, b, x5); x6 = madd(a, b, x6); x7 = madd(a, b, x7);
      x8 = madd(a, b, x8); x9 = madd(a, b, x9); x10 = madd(a, b, x10); x11 = madd(a, b, x11);
    }
  } else {
    for (let i = 0; i < iters; i++) {
      x0 = madd(x0, a, b); x1 = madd(x1, a, b); x2 = madd(x2, a, b); x3 = madd(x3, a, b);
      x4 = madd(x4, a, b); x5 = madd(x5, a, b); x6 = madd(x6, a, b); x7 = madd(x7, a, b);
      x8 = madd(x8, a, b); x9 = madd(x9, a, b); x10 = madd(x10, a, b); x11 = madd(x11, a, b);
    }
  }
  const s = f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)), f32x4.add(f32x4.add(x8, x9), f32x4.add(x10, x11))));
  v128.store(scratch() + <usize>(tid * 64), s);
}
