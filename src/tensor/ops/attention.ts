// RoPE and fused attention over (B, T, H, D) activations — the layout the q/k/v matmuls
// produce, so no transposes are needed. Attention keeps only its output and the per-row
// logsumexp (B, H, T) for the backward pass, never a T×T matrix.

import type { Tensor } from '../tensor.js';
import { requireF32, shapeFail, type OpDef } from './def.js';

export interface RopeAttrs {
  pos0: number;
  theta: number;
}

export const rope: OpDef<RopeAttrs> = {
  shape([x], { pos0 }) {
    requireF32('rope', [x]);
    if (x.shape.length !== 4 || x.shape[3] % 2 !== 0) shapeFail('rope', [x], 'x must be (B, T, H, D) with D even');
    if (!Number.isInteger(pos0) || pos0 < 0) shapeFail('rope', [x], `pos0 must be a non-negative integer, got ${pos0}`);
    return [{ shape: [...x.shape], dtype: 'f32' }];
  },
  forward(e, [x], [out], { pos0, theta }) {
    const [b, t, h, d] = x.shape;
    e.k.rope({ x: x.handle, out: out.handle, b, t, h, d, pos0, theta, inverse: false });
    return [];
  },
  backward(e, [g], [x], _out, { pos0, theta }) {
    if (!g) return [null];
    const [b, t, h, d] = x.shape;
    const dx = e.empty(x.shape);
    e.k.rope({ x: g.handle, out: dx.handle, b, t, h, d, pos0, theta, inverse: true });
    return [dx];
  },
};

export interface AttentionAttrs {
  causal: boolean;
  pastLen: number;
  scale: number;
}

function dims(q: Tensor, k: Tensor, v: Tensor, pastLen: number) {
  const inputs = [q, k, v];
  requireF32('attention', inputs);
  if (q.shape.length !== 4 || k.shape.length !== 4 || v.shape.length !== 4) shapeFail('attention', inputs, 'q must be (B, T, H, D), k and v (B, Tk, Hkv, D)');
  const [b, t, h, d] = q.shape;
  const [kb, tk, hkv, kd] = k.shape;
  if (k.shape.some((x, i) => x !== v.shape[i])) shapeFail('attention', inputs, 'k and v shapes differ');
  if (kb !== b || kd !== d) shapeFail('attention', inputs, 'batch and head dim of q and k must match');
  if (hkv === 0 || h % hkv !== 0) shapeFail('attention', inputs, `query heads ${h} are not a multiple of kv heads ${hkv}`);
  if (!Number.isInteger(pastLen) || pastLen < 0 || pastLen + t > tk) shapeFail('attention', inputs, `pastLen ${pastLen} + T ${t} exceeds the ${tk} key rows`);
  return { b, t, tk, h, hkv, d };
}

export const attention: OpDef<AttentionAttrs> = {
  shape([q, k, v], { pastLen }) {
    dims(q, k, v, pastLen);
    return [{ shape: [...q.shape], dtype: 'f32' }];
  },
  forward(e, [q, k, v], [out], { causal, pastLen, scale }) {
    const s = dims(q, k, v, pastLen);
    const lse = e.empty([s.b, s.h, s.t]);
    e.k.attention({ q: q.handle, k: k.handle, v: v.handle, out: out.handle, lse: lse.handle, ...s, scale, causal, pastLen });
    return [lse];
  },
  backward(e, [g], [q, k, v], [out], { causal, pastLen, scale }, [lse]) {
    if (!g) return [null, null, null];
    const s = dims(q, k, v, pastLen);
    const dq = e.empty(q.shape);
    // Key rows past pastLen + T get no gradient; the kernel writes only the rows it reads.
    const partial = pastLen + s.t < s.tk;
    const dk = partial ? e.zeros(k.shape) : e.empty(k.shape);
    const dv = partial ? e.zeros(v.shape) : e.empty(v.shape);
    e.k.attentionBwd({
      q: q.handle, k: k.handle, v: v.handle, out: out.handle, lse: lse.handle, dout: g.handle,
      dq: dq.handle, dk: dk.handle, dv: dv.handle, ...s, scale, causal, pastLen,
    });
    return [dq, dk, dv];
  },
};
