// Reference kernels: plain TypeScript written for clarity, the oracle every fast kernel is
// tested against. Float buffers are Float32Array, or Float64Array when the ref backend runs in
// f64 mode (finite-difference gradient checks); sums are accumulated in JS doubles.
//
// Dimensions: B batch, T time (Tk keys), C channels, H heads, Hkv kv heads, D head dim,
// V vocab, N rows.

import type { KernelArgs, KernelTable } from '../types.js';
import { dropoutUniform } from '../cpu/kernels.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';
import { broadcastStrides } from '../strides.js';

/** A ref storage buffer: the typed array itself. */
export type RefBuf = Float32Array | Float64Array | Int32Array | Uint16Array;
type A<K extends keyof KernelArgs<RefBuf>> = KernelArgs<RefBuf>[K];

const ints = (b: RefBuf): Int32Array => b as Int32Array;

function gelu(x: number): number {
  const u = Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1 + Math.tanh(u));
}

function geluGrad(x: number): number {
  const k = Math.sqrt(2 / Math.PI);
  const u = k * (x + 0.044715 * x * x * x);
  const th = Math.tanh(u);
  return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * k * (1 + 3 * 0.044715 * x * x);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function binaryOp(op: A<'binary'>['op']): (x: number, y: number) => number {
  switch (op) {
    case 'add': return (x, y) => x + y;
    case 'sub': return (x, y) => x - y;
    case 'mul': return (x, y) => x * y;
    case 'div': return (x, y) => x / y;
  }
}

export const refKernels: KernelTable<RefBuf> = {
  fill({ out, n, value }) {
    out.fill(value, 0, n);
  },

  copy2d({ src, srcOff, srcStride, dst, dstOff, dstStride, rows, cols, accumulate }) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = src[srcOff + r * srcStride + c];
        dst[dstOff + r * dstStride + c] = accumulate ? dst[dstOff + r * dstStride + c] + v : v;
      }
    }
  },

  cast({ src, srcType, dst, dstType, n }) {
    for (let i = 0; i < n; i++) {
      const s = src[i];
      const v = srcType === 'bf16' ? bf16ToF32(s) : srcType === 'f16' ? f16ToF32(s) : s;
      dst[i] =
        dstType === 'bf16' ? f32ToBf16(v)
        : dstType === 'f16' ? f32ToF16(v)
        : dstType === 'i32' || dstType === 'u16' ? Math.trunc(v)
        : v;
    }
  },

  matmul({ a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate }) {
    // op(A)[i, p] and op(B)[p, j] read through the transposes.
    for (let bi = 0; bi < batch; bi++) {
      const oa = bi * strideA;
      const ob = bi * strideB;
      const oc = bi * strideC;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) {
            const av = transA ? a[oa + p * m + i] : a[oa + i * k + p];
            const bv = transB ? b[ob + j * k + p] : b[ob + p * n + j];
            s += av * bv;
          }
          c[oc + i * n + j] = accumulate ? c[oc + i * n + j] + s : s;
        }
      }
    }
  },

  binary({ op, a, b, out, shape, aShape, bShape }) {
    const fn = binaryOp(op);
    const sa = broadcastStrides(aShape, shape);
    const sb = broadcastStrides(bShape, shape);
    const rank = shape.length;
    const idx = new Array<number>(rank).fill(0);
    const total = size(shape);
    for (let i = 0; i < total; i++) {
      let ia = 0;
      let ib = 0;
      for (let d = 0; d < rank; d++) {
        ia += idx[d] * sa[d];
        ib += idx[d] * sb[d];
      }
      out[i] = fn(a[ia], b[ib]);
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  },

  affine({ a, out, n, mul, add }) {
    for (let i = 0; i < n; i++) out[i] = a[i] * mul + add;
  },

  sumTo({ x, out, xShape, outShape, accumulate }) {
    const so = broadcastStrides(outShape, xShape);
    const rank = xShape.length;
    const acc = new Float64Array(size(outShape));
    const idx = new Array<number>(rank).fill(0);
    const total = size(xShape);
    for (let i = 0; i < total; i++) {
      let io = 0;
      for (let d = 0; d < rank; d++) io += idx[d] * so[d];
      acc[io] += x[i];
      for (let d = rank - 1; d >= 0; d--) {
        if (++idx[d] < xShape[d]) break;
        idx[d] = 0;
      }
    }
    for (let i = 0; i < acc.length; i++) out[i] = accumulate ? out[i] + acc[i] : acc[i];
  },

  reduceLast({ op, x, out, argmax, rows, cols }) {
    for (let r = 0; r < rows; r++) {
      if (op === 'max') {
        let best = -Infinity;
        let at = 0;
        for (let c = 0; c < cols; c++) {
          if (x[r * cols + c] > best) {
            best = x[r * cols + c];
            at = c;
          }
        }
        out[r] = best;
        if (argmax) argmax[r] = at;
      } else {
        let s = 0;
        for (let c = 0; c < cols; c++) s += x[r * cols + c];
        out[r] = op === 'mean' ? s / cols : s;
      }
    }
  },

  reduceLastBwd({ op, dout, dx, argmax, rows, cols }) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        dx[r * cols + c] =
          op === 'sum' ? dout[r]
          : op === 'mean' ? dout[r] / cols
          : ints(argmax!)[r] === c ? dout[r] : 0;
      }
    }
  },

  embedding({ table, ids, out, n, c, v }) {
    for (let i = 0; i < n; i++) {
      const id = ints(ids)[i];
      if (id < 0 || id >= v) throw new RangeError(`embedding: id ${id} out of range [0, ${v})`);
      for (let j = 0; j < c; j++) out[i * c + j] = table[id * c + j];
    }
  },

  embeddingBwd({ dout, ids, dtable, n, c }) {
    for (let i = 0; i < n; i++) {
      const id = ints(ids)[i];
      for (let j = 0; j < c; j++) dtable[id * c + j] += dout[i * c + j];
    }
  },

  layerNorm({ x, w, b, out, mean, rstd, rows, c, eps }) {
    for (let r = 0; r < rows; r++) {
      let m = 0;
      for (let j = 0; j < c; j++) m += x[r * c + j];
      m /= c;
      let v = 0;
      for (let j = 0; j < c; j++) v += (x[r * c + j] - m) ** 2;
      const rs = 1 / Math.sqrt(v / c + eps);
      for (let j = 0; j < c; j++) out[r * c + j] = (x[r * c + j] - m) * rs * w[j] + b[j];
      mean[r] = m;
      rstd[r] = rs;
    }
  },

  layerNormBwd({ dout, x, w, mean, rstd, dx, dw, db, rows, c }) {
    const gw = new Float64Array(c);
    const gb = new Float64Array(c);
    for (let r = 0; r < rows; r++) {
      // xhat = (x - mean) * rstd; dxhat = dout * w
      let sumD = 0;
      let sumDX = 0;
      for (let j = 0; j < c; j++) {
        const xh = (x[r * c + j] - mean[r]) * rstd[r];
        const d = dout[r * c + j] * w[j];
        sumD += d;
        sumDX += d * xh;
        gw[j] += dout[r * c + j] * xh;
        gb[j] += dout[r * c + j];
      }
      for (let j = 0; j < c; j++) {
        const xh = (x[r * c + j] - mean[r]) * rstd[r];
        const d = dout[r * c + j] * w[j];
        dx[r * c + j] = rstd[r] * (d - sumD / c - (xh * sumDX) / c);
      }
    }
    for (let j = 0; j < c; j++) {
      dw[j] += gw[j];
      db[j] += gb[j];
    }
  },

  rmsNorm({ x, w, out, rstd, rows, c, eps }) {
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let j = 0; j < c; j++) ss += x[r * c + j] ** 2;
      const rs = 1 / Math.sqrt(ss / c + eps);
      for (let j = 0; j < c; j++) out[r * c + j] = x[r * c + j] * rs * w[j];
      rstd[r] = rs;
    }
  },

  rmsNormBwd({ dout, x, w, rstd, dx, dw, rows, c }) {
    const gw = new Float64Array(c);
    for (let r = 0; r < rows; r++) {
      const rs = rstd[r];
      let dot = 0; // sum_j dout*w*x
      for (let j = 0; j < c; j++) {
        dot += dout[r * c + j] * w[j] * x[r * c + j];
        gw[j] += dout[r * c + j] * x[r * c + j] * rs;
      }
      for (let j = 0; j < c; j++) {
        dx[r * c + j] = rs * dout[r * c + j] * w[j] - (rs * rs * rs * x[r * c + j] * dot) / c;
      }
    }
    for (let j = 0; j < c; j++) dw[j] += gw[j];
  },

  activation({ op, x, bias, out, rows, c }) {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < c; j++) {
        const v = x[r * c + j] + (bias ? bias[j] : 0);
        out[r * c + j] = op === 'gelu' ? gelu(v) : v * sigmoid(v);
      }
    }
  },

  activationBwd({ op, x, bias, dout, dx, rows, c }) {
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < c; j++) {
        const v = x[r * c + j] + (bias ? bias[j] : 0);
        const s = sigmoid(v);
        const g = op === 'gelu' ? geluGrad(v) : s * (1 + v * (1 - s));
        dx[r * c + j] = dout[r * c + j] * g;
      }
    }
  },

  addLayerNorm({ x, r, s, w, b, out, mean, rstd, rows, c, eps }) {
    for (let i = 0; i < rows * c; i++) s[i] = x[i] + r[i];
    refKernels.layerNorm({ x: s, w, b, out, mean, rstd, rows, c, eps });
  },

  addRmsNorm({ x, r, s, w, out, rstd, rows, c, eps }) {
    for (let i = 0; i < rows * c; i++) s[i] = x[i] + r[i];
    refKernels.rmsNorm({ x: s, w, out, rstd, rows, c, eps });
  },

  rope({ x, out, b, t, h, d, pos0, theta, inverse }) {
    const half = d / 2;
    for (let bi = 0; bi < b; bi++) {
      for (let ti = 0; ti < t; ti++) {
        for (let hi = 0; hi < h; hi++) {
          const o = ((bi * t + ti) * h + hi) * d;
          for (let i = 0; i < half; i++) {
            const angle = (pos0 + ti) * theta ** ((-2 * i) / d);
            const cs = Math.cos(angle);
            const sn = inverse ? -Math.sin(angle) : Math.sin(angle);
            const x1 = x[o + i];
            const x2 = x[o + i + half];
            out[o + i] = x1 * cs - x2 * sn;
            out[o + i + half] = x2 * cs + x1 * sn;
          }
        }
      }
    }
  },

  attention({ q, k, v, out, lse, b, t, tk, h, hkv, d, scale, causal, pastLen }) {
    const group = h / hkv;
    const p = new Float64Array(tk);
    for (let bi = 0; bi < b; bi++) {
      for (let hi = 0; hi < h; hi++) {
        const kh = Math.floor(hi / group);
        for (let ti = 0; ti < t; ti++) {
          const last = causal ? pastLen + ti : pastLen + t - 1;
          const qo = ((bi * t + ti) * h + hi) * d;
          let mx = -Infinity;
          for (let j = 0; j <= last; j++) {
            const ko = ((bi * tk + j) * hkv + kh) * d;
            let s = 0;
            for (let e = 0; e < d; e++) s += q[qo + e] * k[ko + e];
            p[j] = s * scale;
            if (p[j] > mx) mx = p[j];
          }
          let z = 0;
          for (let j = 0; j <= last; j++) z += Math.exp(p[j] - mx);
          const l = mx + Math.log(z);
          lse[(bi * h + hi) * t + ti] = l;
          for (let e = 0; e < d; e++) {
            let s = 0;
            for (let j = 0; j <= last; j++) s += Math.exp(p[j] - l) * v[((bi * tk + j) * hkv + kh) * d + e];
            out[qo + e] = s;
          }
        }
      }
    }
  },

  attentionBwd({ q, k, v, out, lse, dout, dq, dk, dv, b, t, tk, h, hkv, d, scale, causal, pastLen }) {
    const group = h / hkv;
    dq.fill(0, 0, b * t * h * d);
    dk.fill(0, 0, b * tk * hkv * d);
    dv.fill(0, 0, b * tk * hkv * d);
    for (let bi = 0; bi < b; bi++) {
      for (let hi = 0; hi < h; hi++) {
        const kh = Math.floor(hi / group);
        for (let ti = 0; ti < t; ti++) {
          const last = causal ? pastLen + ti : pastLen + t - 1;
          const qo = ((bi * t + ti) * h + hi) * d;
          const l = lse[(bi * h + hi) * t + ti];
          let delta = 0; // sum_e dout * out
          for (let e = 0; e < d; e++) delta += dout[qo + e] * out[qo + e];
          for (let j = 0; j <= last; j++) {
            const ko = ((bi * tk + j) * hkv + kh) * d;
            let s = 0;
            for (let e = 0; e < d; e++) s += q[qo + e] * k[ko + e];
            const pj = Math.exp(s * scale - l);
            let dp = 0;
            for (let e = 0; e < d; e++) {
              dv[ko + e] += pj * dout[qo + e];
              dp += dout[qo + e] * v[ko + e];
            }
            const ds = pj * (dp - delta) * scale;
            for (let e = 0; e < d; e++) {
              dq[qo + e] += ds * k[ko + e];
              dk[ko + e] += ds * q[qo + e];
            }
          }
        }
      }
    }
  },

  softmax({ x, out, rows, cols }) {
    for (let r = 0; r < rows; r++) {
      let mx = -Infinity;
      for (let c = 0; c < cols; c++) mx = Math.max(mx, x[r * cols + c]);
      let z = 0;
      for (let c = 0; c < cols; c++) z += Math.exp(x[r * cols + c] - mx);
      for (let c = 0; c < cols; c++) out[r * cols + c] = Math.exp(x[r * cols + c] - mx) / z;
    }
  },

  softmaxBwd({ y, dy, dx, rows, cols }) {
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += dy[r * cols + c] * y[r * cols + c];
      for (let c = 0; c < cols; c++) dx[r * cols + c] = y[r * cols + c] * (dy[r * cols + c] - dot);
    }
  },

  crossEntropy({ logits, targets, loss, lse, rows, v, ignoreIndex }) {
    let total = 0;
    let count = 0;
    for (let r = 0; r < rows; r++) {
      let mx = -Infinity;
      for (let c = 0; c < v; c++) mx = Math.max(mx, logits[r * v + c]);
      let z = 0;
      for (let c = 0; c < v; c++) z += Math.exp(logits[r * v + c] - mx);
      const l = mx + Math.log(z);
      lse[r] = l;
      const target = ints(targets)[r];
      if (target === ignoreIndex) continue;
      if (target < 0 || target >= v) throw new RangeError(`crossEntropy: target ${target} out of range [0, ${v})`);
      total += l - logits[r * v + target];
      count++;
    }
    loss[0] = count ? total / count : 0;
  },

  crossEntropyBwd({ logits, targets, lse, dloss, dlogits, rows, v, ignoreIndex }) {
    let count = 0;
    for (let r = 0; r < rows; r++) if (ints(targets)[r] !== ignoreIndex) count++;
    const scale = count ? dloss[0] / count : 0;
    for (let r = 0; r < rows; r++) {
      const target = ints(targets)[r];
      for (let c = 0; c < v; c++) {
        dlogits[r * v + c] =
          target === ignoreIndex ? 0 : (Math.exp(logits[r * v + c] - lse[r]) - (c === target ? 1 : 0)) * scale;
      }
    }
  },

  dropout({ x, out, n, p, seed, offset }) {
    const s = 1 / (1 - p);
    for (let i = 0; i < n; i++) out[i] = dropoutUniform(seed, offset + i) >= p ? x[i] * s : 0;
  },

  adamw({ p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, step }) {
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    for (let i = 0; i < n; i++) {
      m[i] = beta1 * m[i] + (1 - beta1) * g[i];
      v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
      p[i] -= lr * (m[i] / c1 / (Math.sqrt(v[i] / c2) + eps) + weightDecay * p[i]);
    }
  },

  sumSquares({ x, out, n, accumulate }) {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * x[i];
    out[0] = accumulate ? out[0] + s : s;
  },
};
