// Row kernels: one workgroup of WG threads per row (norms, softmax, reductions, the
// cross-entropy rows), plus the column sums of the norms' weight gradients and the small
// single-workgroup finishing passes. Dimensions: N rows, C channels (cols), V vocab.

import { elementwise, ROW_ENTRY, ROW_REDUCE, type ShaderDef } from './prelude.js';

/** A row kernel: `body` runs with `row` < pu(0) and `lid` the thread in the row. */
function rowKernel(bufs: ShaderDef['bufs'], body: string, helpers = ''): ShaderDef {
  return {
    bufs,
    group: 'row',
    code: `${ROW_REDUCE}\n${helpers}\n${ROW_ENTRY} {
  let row = flatGroup(wid, nwg);
  if (row >= pu(0)) { return; }
  ${body}
}`,
  };
}

/** Row kernels by name. */
export const ROWS: Record<string, ShaderDef> = {
  // rows, cols, op (0 sum 1 mean 2 max), has argmax. Max keeps the first largest (as ref).
  reduceLast: rowKernel(
    [['x', 'f32', 'read'], ['out', 'f32', 'read_write'], ['argmax', 'i32', 'read_write']],
    /* wgsl */ `
  let cols = pu(1);
  let base = row * cols;
  if (pu(2) == 2u) {
    var best = -BIG;
    var at = 0u;
    for (var c = lid; c < cols; c = c + WG) {
      let v = x[base + c];
      if (v > best) { best = v; at = c; }
    }
    red[lid] = best;
    redi[lid] = at;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
      if (lid < s) {
        let v = red[lid + s];
        if (v > red[lid] || (v == red[lid] && redi[lid + s] < redi[lid])) { red[lid] = v; redi[lid] = redi[lid + s]; }
      }
      workgroupBarrier();
    }
    if (lid == 0u) {
      out[row] = red[0];
      if (pu(3) != 0u) { argmax[row] = i32(redi[0]); }
    }
  } else {
    var acc = 0.0;
    for (var c = lid; c < cols; c = c + WG) { acc = acc + x[base + c]; }
    let total = wgSum(acc, lid);
    if (lid == 0u) { out[row] = select(total, total / f32(cols), pu(2) == 1u); }
  }`,
    'var<workgroup> redi: array<u32, WG>;',
  ),

  // rows, cols
  softmax: rowKernel(
    [['x', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  let cols = pu(1);
  let base = row * cols;
  var mx = -BIG;
  for (var c = lid; c < cols; c = c + WG) { mx = max(mx, x[base + c]); }
  mx = wgMax(mx, lid);
  var z = 0.0;
  for (var c = lid; c < cols; c = c + WG) { z = z + exp(x[base + c] - mx); }
  z = wgSum(z, lid);
  for (var c = lid; c < cols; c = c + WG) { out[base + c] = exp(x[base + c] - mx) / z; }`,
  ),

  // rows, cols
  softmaxBwd: rowKernel(
    [['y', 'f32', 'read'], ['dy', 'f32', 'read'], ['dx', 'f32', 'read_write']],
    /* wgsl */ `
  let cols = pu(1);
  let base = row * cols;
  var dot = 0.0;
  for (var c = lid; c < cols; c = c + WG) { dot = dot + dy[base + c] * y[base + c]; }
  dot = wgSum(dot, lid);
  for (var c = lid; c < cols; c = c + WG) { dx[base + c] = y[base + c] * (dy[base + c] - dot); }`,
  ),

  // rows, C, eps, residual: with a residual, s = x + r is written and normalised.
  layerNorm: rowKernel(
    [
      ['x', 'f32', 'read'], ['r', 'f32', 'read'], ['w', 'f32', 'read'], ['b', 'f32', 'read'],
      ['out', 'f32', 'read_write'], ['mean', 'f32', 'read_write'], ['rstd', 'f32', 'read_write'], ['s', 'f32', 'read_write'],
    ],
    /* wgsl */ `
  let c = pu(1);
  let base = row * c;
  var acc = 0.0;
  for (var j = lid; j < c; j = j + WG) { acc = acc + val(base + j); }
  let m = wgSum(acc, lid) / f32(c);
  var sq = 0.0;
  for (var j = lid; j < c; j = j + WG) { let d = val(base + j) - m; sq = sq + d * d; }
  let rs = 1.0 / sqrt(wgSum(sq, lid) / f32(c) + pf(2));
  for (var j = lid; j < c; j = j + WG) {
    let v = val(base + j);
    if (pu(3) != 0u) { s[base + j] = v; }
    out[base + j] = (v - m) * rs * w[j] + b[j];
  }
  if (lid == 0u) { mean[row] = m; rstd[row] = rs; }`,
    'fn val(j: u32) -> f32 { if (pu(3) != 0u) { return x[j] + r[j]; } return x[j]; }',
  ),

  // rows, C, eps, residual
  rmsNorm: rowKernel(
    [
      ['x', 'f32', 'read'], ['r', 'f32', 'read'], ['w', 'f32', 'read'],
      ['out', 'f32', 'read_write'], ['rstd', 'f32', 'read_write'], ['s', 'f32', 'read_write'],
    ],
    /* wgsl */ `
  let c = pu(1);
  let base = row * c;
  var sq = 0.0;
  for (var j = lid; j < c; j = j + WG) { let v = val(base + j); sq = sq + v * v; }
  let rs = 1.0 / sqrt(wgSum(sq, lid) / f32(c) + pf(2));
  for (var j = lid; j < c; j = j + WG) {
    let v = val(base + j);
    if (pu(3) != 0u) { s[base + j] = v; }
    out[base + j] = v * rs * w[j];
  }
  if (lid == 0u) { rstd[row] = rs; }`,
    'fn val(j: u32) -> f32 { if (pu(3) != 0u) { return x[j] + r[j]; } return x[j]; }',
  ),

  // rows, C: dx of LayerNorm (dw, db come from normBwdCols).
  layerNormBwd: rowKernel(
    [['dout', 'f32', 'read'], ['x', 'f32', 'read'], ['w', 'f32', 'read'], ['mean', 'f32', 'read'], ['rstd', 'f32', 'read'], ['dx', 'f32', 'read_write']],
    /* wgsl */ `
  let c = pu(1);
  let base = row * c;
  let m = mean[row];
  let rs = rstd[row];
  var sd = 0.0;
  var sdx = 0.0;
  for (var j = lid; j < c; j = j + WG) {
    let d = dout[base + j] * w[j];
    sd = sd + d;
    sdx = sdx + d * (x[base + j] - m) * rs;
  }
  sd = wgSum(sd, lid) / f32(c);
  sdx = wgSum(sdx, lid) / f32(c);
  for (var j = lid; j < c; j = j + WG) {
    let xh = (x[base + j] - m) * rs;
    dx[base + j] = rs * (dout[base + j] * w[j] - sd - xh * sdx);
  }`,
  ),

  // rows, C: dx of RMSNorm.
  rmsNormBwd: rowKernel(
    [['dout', 'f32', 'read'], ['x', 'f32', 'read'], ['w', 'f32', 'read'], ['rstd', 'f32', 'read'], ['dx', 'f32', 'read_write']],
    /* wgsl */ `
  let c = pu(1);
  let base = row * c;
  let rs = rstd[row];
  var dot = 0.0;
  for (var j = lid; j < c; j = j + WG) { dot = dot + dout[base + j] * w[j] * x[base + j]; }
  dot = wgSum(dot, lid) / f32(c);
  for (var j = lid; j < c; j = j + WG) {
    dx[base + j] = rs * dout[base + j] * w[j] - rs * rs * rs * x[base + j] * dot;
  }`,
  ),

  // rows, V, ignore index (i32 bits): lse per row and the row's loss term (NaN for a target
  // outside [0, V), so that the loss reports it).
  crossEntropy: rowKernel(
    [['logits', 'f32', 'read'], ['targets', 'i32', 'read'], ['lse', 'f32', 'read_write'], ['rowLoss', 'f32', 'read_write']],
    /* wgsl */ `
  let v = pu(1);
  let base = row * v;
  var mx = -BIG;
  for (var c = lid; c < v; c = c + WG) { mx = max(mx, logits[base + c]); }
  mx = wgMax(mx, lid);
  var z = 0.0;
  for (var c = lid; c < v; c = c + WG) { z = z + exp(logits[base + c] - mx); }
  let l = mx + log(wgSum(z, lid));
  if (lid == 0u) {
    lse[row] = l;
    let t = targets[row];
    if (t == bitcast<i32>(pu(2))) { rowLoss[row] = 0.0; }
    else if (t < 0 || u32(t) >= v) { rowLoss[row] = nan(); }
    else { rowLoss[row] = l - logits[base + u32(t)]; }
  }`,
  ),
};

/** Single-workgroup passes (pu(0) = 1 workgroup) and column sums. */
export const FINISH: Record<string, ShaderDef> = {
  // 1, rows, ignore: loss[0] = sum(rowLoss) / (rows not ignored).
  ceLoss: rowKernel(
    [['targets', 'i32', 'read'], ['rowLoss', 'f32', 'read'], ['loss', 'f32', 'read_write']],
    /* wgsl */ `
  var total = 0.0;
  var count = 0.0;
  for (var r = lid; r < pu(1); r = r + WG) {
    total = total + rowLoss[r];
    if (targets[r] != bitcast<i32>(pu(2))) { count = count + 1.0; }
  }
  total = wgSum(total, lid);
  count = wgSum(count, lid);
  if (lid == 0u) { loss[0] = select(0.0, total / count, count > 0.0); }`,
  ),

  // 1, rows, ignore: scale[0] = dloss[0] / (rows not ignored).
  ceScale: rowKernel(
    [['targets', 'i32', 'read'], ['dloss', 'f32', 'read'], ['scale', 'f32', 'read_write']],
    /* wgsl */ `
  var count = 0.0;
  for (var r = lid; r < pu(1); r = r + WG) {
    if (targets[r] != bitcast<i32>(pu(2))) { count = count + 1.0; }
  }
  count = wgSum(count, lid);
  if (lid == 0u) { scale[0] = select(0.0, dloss[0] / count, count > 0.0); }`,
  ),

  // n = rows * V, V, ignore
  crossEntropyBwd: elementwise(
    [['logits', 'f32', 'read'], ['targets', 'i32', 'read'], ['lse', 'f32', 'read'], ['scale', 'f32', 'read'], ['dlogits', 'f32', 'read_write']],
    /* wgsl */ `
  let r = i / pu(1);
  let t = targets[r];
  if (t == bitcast<i32>(pu(2))) { dlogits[i] = 0.0; return; }
  let hot = select(0.0, 1.0, i32(i % pu(1)) == t);
  dlogits[i] = (exp(logits[i] - lse[r]) - hot) * scale[0];`,
  ),

  // n = C, rows, kind (0 LayerNorm: dw and db; 1 RMSNorm: dw): column sums added into dw, db.
  normBwdCols: elementwise(
    [['dout', 'f32', 'read'], ['x', 'f32', 'read'], ['mean', 'f32', 'read'], ['rstd', 'f32', 'read'], ['dw', 'f32', 'read_write'], ['db', 'f32', 'read_write']],
    /* wgsl */ `
  let c = pu(0);
  var gw = 0.0;
  var gb = 0.0;
  for (var r = 0u; r < pu(1); r = r + 1u) {
    let d = dout[r * c + i];
    if (pu(2) == 0u) {
      gw = gw + d * (x[r * c + i] - mean[r]) * rstd[r];
      gb = gb + d;
    } else {
      gw = gw + d * x[r * c + i] * rstd[r];
    }
  }
  dw[i] = dw[i] + gw;
  if (pu(2) == 0u) { db[i] = db[i] + gb; }`,
  ),

  // nOut, rank, accumulate, R (elements summed per output), xShape[8] at 4, outShape[8] at
  // 12, x strides[8] at 20: out[o] (+)= sum of x over the axes where outShape is 1.
  sumTo: rowKernel(
    [['x', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  let rank = i32(pu(1));
  var rem = row;
  var base = 0u;
  for (var d = rank - 1; d >= 0; d = d - 1) {
    let s = pu(12u + u32(d));
    base = base + (rem % s) * pu(20u + u32(d));
    rem = rem / s;
  }
  var acc = 0.0;
  for (var q0 = lid; q0 < pu(3); q0 = q0 + WG) {
    var q = q0;
    var off = base;
    for (var d = rank - 1; d >= 0; d = d - 1) {
      let xs = pu(4u + u32(d));
      if (pu(12u + u32(d)) == 1u && xs != 1u) {
        off = off + (q % xs) * pu(20u + u32(d));
        q = q / xs;
      }
    }
    acc = acc + x[off];
  }
  let t = wgSum(acc, lid);
  if (lid == 0u) { out[row] = select(t, out[row] + t, pu(2) != 0u); }`,
  ),

  // groups, n: partial[g] = sum of x^2 over a grid stride.
  sumSquaresPartial: rowKernel(
    [['x', 'f32', 'read'], ['partial', 'f32', 'read_write']],
    /* wgsl */ `
  var acc = 0.0;
  for (var j = row * WG + lid; j < pu(1); j = j + pu(0) * WG) { let v = x[j]; acc = acc + v * v; }
  let t = wgSum(acc, lid);
  if (lid == 0u) { partial[row] = t; }`,
  ),

  // 1, groups (<= 256), accumulate
  sumSquaresFinal: rowKernel(
    [['partial', 'f32', 'read'], ['out', 'f32', 'read_write']],
    /* wgsl */ `
  var v = 0.0;
  for (var g = lid; g < pu(1); g = g + WG) { v = v + partial[g]; }
  let t = wgSum(v, lid);
  if (lid == 0u) { out[0] = select(t, out[0] + t, pu(2) != 0u); }`,
  ),
};
