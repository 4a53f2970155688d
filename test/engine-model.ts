// A two-layer GPT-2-style Transformer written on the engine's public API, used by the
// 1,000-step memory test and the bad-use tests. Dimensions: B batch, T time, C channels,
// H heads, D head dim (C / H), V vocab.

import type { Engine, Tensor } from '../src/tensor/index.js';
import { rng } from './engine-cases.js';

export interface TinyConfig {
  vocab: number;
  context: number;
  width: number;
  heads: number;
  layers: number;
  dropout: number;
}

/** Parameters by name, HF GPT-2 style. */
export type TinyParams = Map<string, Tensor>;

export function initTiny(e: Engine, cfg: TinyConfig, seed = 1): TinyParams {
  const r = rng(seed);
  const p: TinyParams = new Map();
  const normal = (name: string, shape: number[], std = 0.02) => {
    const n = shape.reduce((a, b) => a * b, 1);
    p.set(name, e.param(Float32Array.from({ length: n }, () => (r() + r() + r() - 1.5) * 2 * std), shape, name));
  };
  const C = cfg.width;
  normal('wte', [cfg.vocab, C]);
  normal('wpe', [cfg.context, C], 0.01);
  for (let l = 0; l < cfg.layers; l++) {
    for (const ln of ['ln_1', 'ln_2']) {
      p.set(`h.${l}.${ln}.weight`, e.param(1, [C], `h.${l}.${ln}.weight`));
      p.set(`h.${l}.${ln}.bias`, e.param(0, [C], `h.${l}.${ln}.bias`));
    }
    normal(`h.${l}.attn.c_attn.weight`, [C, 3 * C]);
    p.set(`h.${l}.attn.c_attn.bias`, e.param(0, [3 * C], `h.${l}.attn.c_attn.bias`));
    normal(`h.${l}.attn.c_proj.weight`, [C, C]);
    p.set(`h.${l}.attn.c_proj.bias`, e.param(0, [C], `h.${l}.attn.c_proj.bias`));
    normal(`h.${l}.mlp.c_fc.weight`, [C, 4 * C]);
    p.set(`h.${l}.mlp.c_fc.bias`, e.param(0, [4 * C], `h.${l}.mlp.c_fc.bias`));
    normal(`h.${l}.mlp.c_proj.weight`, [4 * C, C]);
    p.set(`h.${l}.mlp.c_proj.bias`, e.param(0, [C], `h.${l}.mlp.c_proj.bias`));
  }
  p.set('ln_f.weight', e.param(1, [C], 'ln_f.weight'));
  p.set('ln_f.bias', e.param(0, [C], 'ln_f.bias'));
  return p;
}

/** Mean cross-entropy of the model on ids (B, T) against targets (B, T). */
export function tinyLoss(e: Engine, cfg: TinyConfig, p: TinyParams, ids: Tensor, targets: Tensor, positions: Tensor): Tensor {
  const [B, T] = ids.shape;
  const C = cfg.width;
  const H = cfg.heads;
  const D = C / H;
  const w = (name: string): Tensor => p.get(name)!;
  let x = e.add(e.embedding(w('wte'), ids), e.embedding(w('wpe'), positions)); // (B, T, C)
  let h = e.layerNorm(x, w('h.0.ln_1.weight'), w('h.0.ln_1.bias'));
  for (let l = 0; l < cfg.layers; l++) {
    const qkv = e.add(e.matmul(h, w(`h.${l}.attn.c_attn.weight`)), w(`h.${l}.attn.c_attn.bias`)); // (B, T, 3C)
    const q = e.reshape(e.slice(qkv, 0, C), [B, T, H, D]);
    const k = e.reshape(e.slice(qkv, C, 2 * C), [B, T, H, D]);
    const v = e.reshape(e.slice(qkv, 2 * C, 3 * C), [B, T, H, D]);
    const a = e.reshape(e.attention(q, k, v), [B, T, C]);
    const y = e.dropout(e.add(e.matmul(a, w(`h.${l}.attn.c_proj.weight`)), w(`h.${l}.attn.c_proj.bias`)), cfg.dropout);
    const [x2, h2] = e.addLayerNorm(x, y, w(`h.${l}.ln_2.weight`), w(`h.${l}.ln_2.bias`));
    const m = e.biasGelu(e.matmul(h2, w(`h.${l}.mlp.c_fc.weight`)), w(`h.${l}.mlp.c_fc.bias`));
    const y2 = e.add(e.matmul(m, w(`h.${l}.mlp.c_proj.weight`)), w(`h.${l}.mlp.c_proj.bias`));
    const next = l + 1 < cfg.layers ? [w(`h.${l + 1}.ln_1.weight`), w(`h.${l + 1}.ln_1.bias`)] : [w('ln_f.weight'), w('ln_f.bias')];
    [x, h] = e.addLayerNorm(x2, y2, next[0], next[1]);
  }
  const logits = e.matmul(h, w('wte'), { transB: true }); // (B, T, V), tied embeddings
  return e.crossEntropy(logits, targets);
}
