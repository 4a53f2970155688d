// Fused causal attention with grouped-query heads, flash style: no (T, Tk) matrix is ever
// stored. Forward: a workgroup of WG threads (a pipeline constant: 64 on GPUs, fewer on
// software adapters) per query row streams over blocks of WG keys with a running max and
// sum (online softmax); each thread owns up to 16 of the D output dimensions. Backward: delta = rowsum(dout * out); dq per query row; dk, dv per
// key row, looping over the queries (of every head in the group) that see that key.
// Dimensions: B batch, T query time, Tk key rows per batch item (a KV cache's capacity),
// H heads, Hkv kv heads, D head dim. q, out, dout (B, T, H, D); k, v (B, Tk, Hkv, D);
// lse (B, H, T); delta (B, T, H).
// Parameters of every kernel: rows, T, Tk, H, Hkv, D, scale, causal, pastLen.

import { elementwise, rowReduce, type ShaderDef } from './prelude.js';

/** The largest head dimension the kernels hold with WG threads (16 registers each). */
export const attentionMaxD = (wg: number): number => wg * 16;

const COMMON = /* wgsl */ `${rowReduce(64)}
const PER = 16u; // registers per thread for output dimensions: D <= WG * PER
var<workgroup> ps: array<f32, WG>;
var<workgroup> ps2: array<f32, WG>;
var<workgroup> rowA: array<f32, 256>;
var<workgroup> rowB: array<f32, 256>;
// Keys read by query row ti: 0 .. lastKey(ti).
fn lastKey(ti: u32) -> u32 {
  if (pu(7) != 0u) { return pu(8) + ti; }
  return pu(8) + pu(1) - 1u;
}`;

const ENTRY = /* wgsl */ `@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32)`;

/** Attention kernels by name. */
// The query row of a per-row kernel (one workgroup per row of B*T*H): its indices and
// the shared parameters [rows, T, Tk, H, Hkv, D, scale].
const QUERY_ROW = /* wgsl */ `  let row = flatGroup(wid, nwg);
  if (row >= pu(0)) { return; }
  let T = pu(1); let Tk = pu(2); let H = pu(3); let Hkv = pu(4); let D = pu(5); let scale = pf(6);
  let hi = row % H;
  let ti = (row / H) % T;
  let bi = row / (H * T);
  let kh = hi / (H / Hkv);
`;

export const ATTENTION: Record<string, ShaderDef> = {
  attention: {
    group: 'attention',
    bufs: [['q', 'f32', 'read'], ['k', 'f32', 'read'], ['v', 'f32', 'read'], ['out', 'f32', 'read_write'], ['lse', 'f32', 'read_write']],
    code: /* wgsl */ `${COMMON}
${ENTRY} {
${QUERY_ROW}  for (var e = lid; e < D; e = e + WG) { rowA[e] = q[row * D + e]; }
  workgroupBarrier();
  let nk = lastKey(ti) + 1u;
  var m = -BIG;
  var l = 0.0;
  var acc: array<f32, 16>;
  for (var j0 = 0u; j0 < nk; j0 = j0 + WG) {
    let j = j0 + lid;
    var s = -BIG;
    if (j < nk) {
      let ko = ((bi * Tk + j) * Hkv + kh) * D;
      var dot = 0.0;
      for (var e = 0u; e < D; e = e + 1u) { dot = fma(rowA[e], k[ko + e], dot); }
      s = dot * scale;
    }
    let mNew = max(m, wgMax(s, lid));
    var p = 0.0;
    if (j < nk) { p = exp(s - mNew); }
    ps[lid] = p;
    let corr = exp(m - mNew);
    l = l * corr + wgSum(p, lid);
    let cnt = min(WG, nk - j0);
    for (var r = 0u; r < PER; r = r + 1u) {
      let e = lid + WG * r;
      if (e >= D) { break; }
      var a = acc[r] * corr;
      for (var jj = 0u; jj < cnt; jj = jj + 1u) { a = fma(ps[jj], v[((bi * Tk + j0 + jj) * Hkv + kh) * D + e], a); }
      acc[r] = a;
    }
    m = mNew;
    workgroupBarrier();
  }
  for (var r = 0u; r < PER; r = r + 1u) {
    let e = lid + WG * r;
    if (e < D) { out[row * D + e] = acc[r] / l; }
  }
  if (lid == 0u) { lse[(bi * H + hi) * T + ti] = m + log(l); }
}`,
  },

  // n = B*T*H query rows: delta[row] = sum_e dout * out.
  attentionDelta: elementwise(
    [['out', 'f32', 'read'], ['dout', 'f32', 'read'], ['delta', 'f32', 'read_write']],
    /* wgsl */ `
  let D = pu(5);
  var s = 0.0;
  for (var e = 0u; e < D; e = e + 1u) { s = fma(out[i * D + e], dout[i * D + e], s); }
  delta[i] = s;`,
  ),

  attentionDq: {
    group: 'attention',
    bufs: [
      ['q', 'f32', 'read'], ['k', 'f32', 'read'], ['v', 'f32', 'read'], ['lse', 'f32', 'read'],
      ['dout', 'f32', 'read'], ['delta', 'f32', 'read'], ['dq', 'f32', 'read_write'],
    ],
    code: /* wgsl */ `${COMMON}
${ENTRY} {
${QUERY_ROW}  for (var e = lid; e < D; e = e + WG) { rowA[e] = q[row * D + e]; rowB[e] = dout[row * D + e]; }
  workgroupBarrier();
  let L = lse[(bi * H + hi) * T + ti];
  let dl = delta[row];
  let nk = lastKey(ti) + 1u;
  var acc: array<f32, 16>;
  for (var j0 = 0u; j0 < nk; j0 = j0 + WG) {
    let j = j0 + lid;
    var ds = 0.0;
    if (j < nk) {
      let ko = ((bi * Tk + j) * Hkv + kh) * D;
      var dot = 0.0;
      var dp = 0.0;
      for (var e = 0u; e < D; e = e + 1u) { dot = fma(rowA[e], k[ko + e], dot); dp = fma(rowB[e], v[ko + e], dp); }
      let p = exp(dot * scale - L);
      ds = p * (dp - dl) * scale;
    }
    ps[lid] = ds;
    workgroupBarrier();
    let cnt = min(WG, nk - j0);
    for (var r = 0u; r < PER; r = r + 1u) {
      let e = lid + WG * r;
      if (e >= D) { break; }
      var a = acc[r];
      for (var jj = 0u; jj < cnt; jj = jj + 1u) { a = fma(ps[jj], k[((bi * Tk + j0 + jj) * Hkv + kh) * D + e], a); }
      acc[r] = a;
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < PER; r = r + 1u) {
    let e = lid + WG * r;
    if (e < D) { dq[row * D + e] = acc[r]; }
  }
}`,
  },

  // rows = B*Tk*Hkv key rows; rows past pastLen + T (never read) get zero gradients.
  attentionDkv: {
    group: 'attention',
    bufs: [
      ['q', 'f32', 'read'], ['k', 'f32', 'read'], ['v', 'f32', 'read'], ['lse', 'f32', 'read'],
      ['dout', 'f32', 'read'], ['delta', 'f32', 'read'], ['dk', 'f32', 'read_write'], ['dv', 'f32', 'read_write'],
    ],
    code: /* wgsl */ `${COMMON}
${ENTRY} {
  let krow = flatGroup(wid, nwg);
  if (krow >= pu(0)) { return; }
  let T = pu(1); let Tk = pu(2); let H = pu(3); let Hkv = pu(4); let D = pu(5); let scale = pf(6);
  let kh = krow % Hkv;
  let j = (krow / Hkv) % Tk;
  let bi = krow / (Hkv * Tk);
  let group = H / Hkv;
  for (var e = lid; e < D; e = e + WG) { rowA[e] = k[krow * D + e]; rowB[e] = v[krow * D + e]; }
  workgroupBarrier();
  var dka: array<f32, 16>;
  var dva: array<f32, 16>;
  // The first query row that sees key j (all rows when not causal; none when j is never read).
  var t0 = T;
  if (j < pu(8) + T) {
    t0 = 0u;
    if (pu(7) != 0u && j > pu(8)) { t0 = j - pu(8); }
  }
  for (var g = 0u; g < group; g = g + 1u) {
    let hi = kh * group + g;
    for (var tb = t0; tb < T; tb = tb + WG) {
      let ti = tb + lid;
      var p = 0.0;
      var ds = 0.0;
      if (ti < T) {
        let qrow = (bi * T + ti) * H + hi;
        var dot = 0.0;
        var dp = 0.0;
        for (var e = 0u; e < D; e = e + 1u) { dot = fma(q[qrow * D + e], rowA[e], dot); dp = fma(dout[qrow * D + e], rowB[e], dp); }
        p = exp(dot * scale - lse[(bi * H + hi) * T + ti]);
        ds = p * (dp - delta[qrow]) * scale;
      }
      ps[lid] = p;
      ps2[lid] = ds;
      workgroupBarrier();
      let cnt = min(WG, T - tb);
      for (var r = 0u; r < PER; r = r + 1u) {
        let e = lid + WG * r;
        if (e >= D) { break; }
        var a = dva[r];
        var b = dka[r];
        for (var tt = 0u; tt < cnt; tt = tt + 1u) {
          let o = ((bi * T + tb + tt) * H + hi) * D + e;
          a = fma(ps[tt], dout[o], a);
          b = fma(ps2[tt], q[o], b);
        }
        dva[r] = a;
        dka[r] = b;
      }
      workgroupBarrier();
    }
  }
  for (var r = 0u; r < PER; r = r + 1u) {
    let e = lid + WG * r;
    if (e < D) { dk[krow * D + e] = dka[r]; dv[krow * D + e] = dva[r]; }
  }
}`,
  },
};
