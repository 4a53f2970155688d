// Matmul: C[b] = op(A[b]) · op(B[b]) (+ C[b]), register-tiled. A workgroup of 256 threads
// computes a 64x64 tile of C; each thread holds a 4x4 block in registers (rows tr + 16x,
// columns tc + 16y, so that threads of a row read shared memory without bank conflicts).
// Tiles of op(A) (64 x 16) and op(B) (16 x 64) are staged in workgroup memory, loaded so that
// neighbouring threads read neighbouring addresses whatever the transposes.
// The pieces shared with the subgroup variant (matmul-subgroup.ts) are in MATMUL_COMMON.
// Dimensions: M rows of C, N columns of C, K the shared dimension.

import type { ShaderDef } from './prelude.js';

/** Rows / columns of C per workgroup (the dispatch grid is ceil(N/64) x ceil(M/64) x batch). */
export const MATMUL_TILE = 64;

/**
 * Tile sizes, the staged tiles, the parameters (M, N, K, transA, transB, strideA, strideB,
 * strideC, accumulate at words 0-8), tile loads and the store of a thread's 4x4 block.
 */
export const MATMUL_COMMON = /* wgsl */ `
const TM = 64u;
const TN = 64u;
const TK = 16u;
var<workgroup> As: array<f32, 1024>; // (TK, TM): As[p * TM + i] = op(A)[row0 + i, k0 + p]
var<workgroup> Bs: array<f32, 1024>; // (TK, TN): Bs[p * TN + j] = op(B)[k0 + p, col0 + j]

struct Mm { M: u32, N: u32, K: u32, tA: u32, tB: u32, oa: u32, ob: u32, oc: u32, row0: u32, col0: u32 }

fn mmArgs(wid: vec3<u32>) -> Mm {
  return Mm(pu(0), pu(1), pu(2), pu(3), pu(4), wid.z * pu(5), wid.z * pu(6), wid.z * pu(7), wid.y * TM, wid.x * TN);
}

// op(A)[gi, gp] of this batch item, 0 outside (M, K).
fn opA(m: Mm, gi: u32, gp: u32) -> f32 {
  if (gi >= m.M || gp >= m.K) { return 0.0; }
  if (m.tA == 0u) { return a[m.oa + gi * m.K + gp]; }
  return a[m.oa + gp * m.M + gi];
}

// Stages the (TM, TK) tile of op(A) at k0: thread lid loads 4 elements, neighbours adjacent in memory.
fn loadAs(m: Mm, k0: u32, lid: u32) {
  for (var l = 0u; l < 4u; l = l + 1u) {
    let e = lid + l * 256u;
    var i = e / TK;
    var p = e % TK;
    if (m.tA != 0u) { p = e / TM; i = e % TM; }
    As[p * TM + i] = opA(m, m.row0 + i, k0 + p);
  }
}

// Stages the (TK, TN) tile of op(B) at k0 the same way.
fn loadBs(m: Mm, k0: u32, lid: u32) {
  for (var l = 0u; l < 4u; l = l + 1u) {
    let e = lid + l * 256u;
    var q = e / TN;
    var j = e % TN;
    if (m.tB != 0u) { j = e / TK; q = e % TK; }
    let gj = m.col0 + j;
    let gq = k0 + q;
    var bv = 0.0;
    if (gj < m.N && gq < m.K) {
      if (m.tB == 0u) { bv = b[m.ob + gq * m.N + gj]; } else { bv = b[m.ob + gj * m.K + gq]; }
    }
    Bs[q * TN + j] = bv;
  }
}

// Writes (or adds) the block of thread (tr, tc): rows tr + 16x, columns tc + 16y.
fn storeC(m: Mm, tr: u32, tc: u32, acc: array<f32, 16>) {
  for (var x = 0u; x < 4u; x = x + 1u) {
    let gi = m.row0 + tr + 16u * x;
    if (gi >= m.M) { continue; }
    for (var y = 0u; y < 4u; y = y + 1u) {
      let gj = m.col0 + tc + 16u * y;
      if (gj >= m.N) { continue; }
      let at = m.oc + gi * m.N + gj;
      var v = acc[x * 4u + y];
      if (pu(8) != 0u) { v = v + c[at]; }
      c[at] = v;
    }
  }
}`;

/** WGSL: the 16 products of a thread's 4x4 block for one p, from a0..a3 and b0..b3. */
export const FMA_4X4 = /* wgsl */ `
      acc[0] = fma(a0, b0, acc[0]); acc[1] = fma(a0, b1, acc[1]); acc[2] = fma(a0, b2, acc[2]); acc[3] = fma(a0, b3, acc[3]);
      acc[4] = fma(a1, b0, acc[4]); acc[5] = fma(a1, b1, acc[5]); acc[6] = fma(a1, b2, acc[6]); acc[7] = fma(a1, b3, acc[7]);
      acc[8] = fma(a2, b0, acc[8]); acc[9] = fma(a2, b1, acc[9]); acc[10] = fma(a2, b2, acc[10]); acc[11] = fma(a2, b3, acc[11]);
      acc[12] = fma(a3, b0, acc[12]); acc[13] = fma(a3, b1, acc[13]); acc[14] = fma(a3, b2, acc[14]); acc[15] = fma(a3, b3, acc[15]);`;

/** WGSL: b0..b3 of thread column tc at step p from the staged op(B) tile. */
export const READ_BS = /* wgsl */ `
      let b0 = Bs[p * TN + tc];
      let b1 = Bs[p * TN + tc + 16u];
      let b2 = Bs[p * TN + tc + 32u];
      let b3 = Bs[p * TN + tc + 48u];`;

/** WGSL: the k loop with both tiles staged in workgroup memory, accumulating into `acc`. */
export const SHARED_K_LOOP = /* wgsl */ `
  for (var k0 = 0u; k0 < m.K; k0 = k0 + TK) {
    loadAs(m, k0, lid);
    loadBs(m, k0, lid);
    workgroupBarrier();
    for (var p = 0u; p < TK; p = p + 1u) {
      let a0 = As[p * TM + tr];
      let a1 = As[p * TM + tr + 16u];
      let a2 = As[p * TM + tr + 32u];
      let a3 = As[p * TM + tr + 48u];${READ_BS}${FMA_4X4}
    }
    workgroupBarrier();
  }`;

/** The bindings of both matmul kernels. */
export const MATMUL_BUFS: ShaderDef['bufs'] = [['a', 'f32', 'read'], ['b', 'f32', 'read'], ['c', 'f32', 'read_write']];

/** Parameters: M, N, K, transA, transB, strideA, strideB, strideC, accumulate. */
export const MATMUL: ShaderDef = {
  bufs: MATMUL_BUFS,
  code: /* wgsl */ `${MATMUL_COMMON}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = mmArgs(wid);
  let tr = lid / 16u;
  let tc = lid % 16u;
  var acc: array<f32, 16>;${SHARED_K_LOOP}
  storeC(m, tr, tc, acc);
}`,
};
