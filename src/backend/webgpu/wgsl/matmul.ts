// Matmul: C[b] = op(A[b]) · op(B[b]) (+ C[b]), register-tiled. A workgroup of 256 threads
// computes a 64x64 tile of C; each thread holds a 4x4 block in registers (rows tr + 16x,
// columns tc + 16y, so that threads of a row read shared memory without bank conflicts).
// Tiles of op(A) (64 x 16) and op(B) (16 x 64) are staged in workgroup memory, loaded so that
// neighbouring threads read neighbouring addresses whatever the transposes.
// Dimensions: M rows of C, N columns of C, K the shared dimension.

import type { ShaderDef } from './prelude.js';

/** Rows / columns of C per workgroup (the dispatch grid is ceil(N/64) x ceil(M/64) x batch). */
export const MATMUL_TILE = 64;

/** Parameters: M, N, K, transA, transB, strideA, strideB, strideC, accumulate. */
export const MATMUL: ShaderDef = {
  bufs: [['a', 'f32', 'read'], ['b', 'f32', 'read'], ['c', 'f32', 'read_write']],
  code: /* wgsl */ `
const TM = 64u;
const TN = 64u;
const TK = 16u;
var<workgroup> As: array<f32, 1024>; // (TK, TM): As[p * TM + i] = op(A)[row0 + i, k0 + p]
var<workgroup> Bs: array<f32, 1024>; // (TK, TN): Bs[p * TN + j] = op(B)[k0 + p, col0 + j]

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let M = pu(0);
  let N = pu(1);
  let K = pu(2);
  let tA = pu(3);
  let tB = pu(4);
  let oa = wid.z * pu(5);
  let ob = wid.z * pu(6);
  let oc = wid.z * pu(7);
  let row0 = wid.y * TM;
  let col0 = wid.x * TN;
  let tr = lid / 16u;
  let tc = lid % 16u;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < K; k0 = k0 + TK) {
    for (var l = 0u; l < 4u; l = l + 1u) {
      let e = lid + l * 256u;
      var i = e / TK;
      var p = e % TK;
      if (tA != 0u) { p = e / TM; i = e % TM; }
      let gi = row0 + i;
      let gp = k0 + p;
      var av = 0.0;
      if (gi < M && gp < K) {
        if (tA == 0u) { av = a[oa + gi * K + gp]; } else { av = a[oa + gp * M + gi]; }
      }
      As[p * TM + i] = av;
      var q = e / TN;
      var j = e % TN;
      if (tB != 0u) { j = e / TK; q = e % TK; }
      let gj = col0 + j;
      let gq = k0 + q;
      var bv = 0.0;
      if (gj < N && gq < K) {
        if (tB == 0u) { bv = b[ob + gq * N + gj]; } else { bv = b[ob + gj * K + gq]; }
      }
      Bs[q * TN + j] = bv;
    }
    workgroupBarrier();
    for (var p = 0u; p < TK; p = p + 1u) {
      let a0 = As[p * TM + tr];
      let a1 = As[p * TM + tr + 16u];
      let a2 = As[p * TM + tr + 32u];
      let a3 = As[p * TM + tr + 48u];
      let b0 = Bs[p * TN + tc];
      let b1 = Bs[p * TN + tc + 16u];
      let b2 = Bs[p * TN + tc + 32u];
      let b3 = Bs[p * TN + tc + 48u];
      acc[0] = fma(a0, b0, acc[0]); acc[1] = fma(a0, b1, acc[1]); acc[2] = fma(a0, b2, acc[2]); acc[3] = fma(a0, b3, acc[3]);
      acc[4] = fma(a1, b0, acc[4]); acc[5] = fma(a1, b1, acc[5]); acc[6] = fma(a1, b2, acc[6]); acc[7] = fma(a1, b3, acc[7]);
      acc[8] = fma(a2, b0, acc[8]); acc[9] = fma(a2, b1, acc[9]); acc[10] = fma(a2, b2, acc[10]); acc[11] = fma(a2, b3, acc[11]);
      acc[12] = fma(a3, b0, acc[12]); acc[13] = fma(a3, b1, acc[13]); acc[14] = fma(a3, b2, acc[14]); acc[15] = fma(a3, b3, acc[15]);
    }
    workgroupBarrier();
  }
  for (var x = 0u; x < 4u; x = x + 1u) {
    let gi = row0 + tr + 16u * x;
    if (gi >= M) { continue; }
    for (var y = 0u; y < 4u; y = y + 1u) {
      let gj = col0 + tc + 16u * y;
      if (gj >= N) { continue; }
      let at = oc + gi * N + gj;
      var v = acc[x * 4u + y];
      if (pu(8) != 0u) { v = v + c[at]; }
      c[at] = v;
    }
  }
}`,
};

