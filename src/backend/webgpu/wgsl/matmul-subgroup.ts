// Matmul, subgroup variant: the same 64x64 tile per workgroup of 256 threads and the same
// 4x4 register block per thread as the tiled kernel (matmul.ts), but op(A) is not staged in
// workgroup memory. Threads of one block row (the 16 with the same tr) need the same op(A)
// values; each loads a 1/G share of them (G = min(subgroup size, 16) lanes of one subgroup
// share a block row) straight into registers, and the others take them with subgroupShuffle.
// op(B) stays staged in workgroup memory. The op(A) staging stores and workgroup-memory reads
// go (half of each kernel's total); shuffles take the reads' place.
//
// Correct for any subgroup size: lane groups are derived from the size reported at run time.
// WGSL does not promise how invocations map to subgroups, so each workgroup first checks that
// every subgroup is full and holds consecutive local indices aligned to its lane groups (the
// usual layout of a 1D workgroup). Where that fails, the workgroup runs the
// tiled kernel's shared-memory loop instead; where the subgroup size is 4 or 8 (G = size), a
// k-stage takes 16 / G rounds of loads and shuffles.
// Dimensions: M rows of C, N columns of C, K the shared dimension; G lanes per lane group.

import { MATMUL_BUFS, MATMUL_COMMON, FMA_4X4, READ_BS, SHARED_K_LOOP } from './matmul.js';
import type { ShaderDef } from './prelude.js';

/** Parameter 9 of the subgroup matmul: which path workgroups take. */
export const SUBGROUP_PATH_CODE = {
  /** Subgroup fragments where the lane layout check passes, the shared-memory loop elsewhere. */
  auto: 0,
  /** Subgroup fragments; a workgroup whose layout check fails writes NaN (tests: proves the path ran). */
  required: 1,
  /** Always the shared-memory loop (tests of the fallback). */
  shared: 2,
} as const;

/** Parameters: M, N, K, transA, transB, strideA, strideB, strideC, accumulate, path. */
export const MATMUL_SUBGROUP: ShaderDef = {
  bufs: MATMUL_BUFS,
  enable: ['subgroups'],
  code: /* wgsl */ `${MATMUL_COMMON}

// Set when some subgroup of the workgroup fails the lane layout check.
var<workgroup> layoutBad: atomic<u32>;
var<workgroup> layoutBadAll: u32;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32,
        @builtin(subgroup_invocation_id) ln: u32, @builtin(subgroup_size) S: u32) {
  let m = mmArgs(wid);
  let tr = lid / 16u;
  let tc = lid % 16u;
  // The lane layout check (each subgroup operation in uniform control flow, so no && chains).
  let G = min(S, 16u);
  let d = lid - ln;
  let count = subgroupAdd(1u);
  let dMin = subgroupMin(d);
  let dMax = subgroupMax(d);
  let sizeOk = S >= 4u && (S & (S - 1u)) == 0u;
  if (!(sizeOk && count == S && dMin == dMax && d % G == 0u)) { atomicOr(&layoutBad, 1u); }
  workgroupBarrier();
  if (lid == 0u) { layoutBadAll = atomicLoad(&layoutBad); }
  let bad = workgroupUniformLoad(&layoutBadAll) != 0u;
  let path = pu(9);

  var acc: array<f32, 16>;
  if (path == ${SUBGROUP_PATH_CODE.shared}u || (bad && path == ${SUBGROUP_PATH_CODE.auto}u)) {${SHARED_K_LOOP}
  } else if (bad) {
    for (var i = 0u; i < 16u; i = i + 1u) { acc[i] = nan(); }
  } else {
    let g = lid % G;      // this lane's place in its lane group (the lanes of block row tr)
    let first = ln - g;   // the group's first lane
    let per = TK / G;     // rounds per k-stage: op(A) columns per row each lane loads (1 for G = 16)
    for (var k0 = 0u; k0 < m.K; k0 = k0 + TK) {
      loadBs(m, k0, lid);
      // f0..f3 = op(A)[row0 + tr + 16x, k0 + g + G j] for x = 0..3 in round j (one round
      // when G = 16); round 0 is loaded before the barrier, so that it overlaps the staging.
      var f0 = opA(m, m.row0 + tr, k0 + g);
      var f1 = opA(m, m.row0 + tr + 16u, k0 + g);
      var f2 = opA(m, m.row0 + tr + 32u, k0 + g);
      var f3 = opA(m, m.row0 + tr + 48u, k0 + g);
      workgroupBarrier();
      for (var j = 0u; j < per; j = j + 1u) {
        if (j > 0u) {
          let gp = k0 + g + G * j;
          f0 = opA(m, m.row0 + tr, gp);
          f1 = opA(m, m.row0 + tr + 16u, gp);
          f2 = opA(m, m.row0 + tr + 32u, gp);
          f3 = opA(m, m.row0 + tr + 48u, gp);
        }
        for (var q = 0u; q < G; q = q + 1u) {
          let p = j * G + q;
          let a0 = subgroupShuffle(f0, first + q);
          let a1 = subgroupShuffle(f1, first + q);
          let a2 = subgroupShuffle(f2, first + q);
          let a3 = subgroupShuffle(f3, first + q);${READ_BS}${FMA_4X4}
        }
      }
      workgroupBarrier();
    }
  }
  storeC(m, tr, tc, acc);
}`,
};
