// The decoder-only transformer of both families on the tensor engine: gpt2 (learned
// positions, LayerNorm with bias, tanh GELU, tied embeddings) and llama (RoPE, RMSNorm,
// SwiGLU, grouped-query attention). Parameters carry their Hugging Face names and
// shapes, so a model folder loads and saves without conversion. A KV cache serves
// generation.
//
// Shapes: B batch, T time, C width, H heads, K kv heads, D head width, F MLP hidden,
// V vocab, P positions (context).

import type { Engine, Tensor } from '../tensor/index.js';
import { canonicalName, hfTensorShapes } from '../io/hf.js';
import type { NamedTensor } from '../io/safetensors.js';
import { InputError } from '../util/errors.js';
import { headDim, type TransformerConfig } from './config.js';
import { Rng } from './rng.js';

/** Per-layer key/value buffers (B, P, K, D) and how many positions they hold. */
export interface KVCache {
  k: Tensor[];
  v: Tensor[];
  length: number;
  batch: number;
}

/** Standard deviation of weight initialisation in both families (GPT-2 and Llama use 0.02). */
const INIT_STD = 0.02;

/** Whether a parameter is a residual-stream output projection, scaled by 1/sqrt(2L) at init. */
function isResidualProjection(name: string): boolean {
  return /(attn\.c_proj|mlp\.c_proj|self_attn\.o_proj|mlp\.down_proj)\.weight$/.test(name);
}

/** Whether AdamW's weight decay applies: matrices only, never norms, biases or embeddings. */
export function decays(name: string, shape: readonly number[]): boolean {
  return shape.length >= 2 && !/(wte|wpe|embed_tokens)\.weight$/.test(name);
}

/**
 * Initial values as the families do it: normal(0, 0.02) for matrices and embeddings,
 * 0.02/sqrt(2L) for residual output projections, zero biases, unit norm gains.
 */
export function initialWeights(c: TransformerConfig, seed: number): Map<string, NamedTensor> {
  const rng = new Rng(seed);
  const out = new Map<string, NamedTensor>();
  const residualStd = INIT_STD / Math.sqrt(2 * c.layers);
  for (const [name, shape] of hfTensorShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (/(ln_\d|ln_f|layernorm|norm)\.weight$/.test(name)) data.fill(1);
    else if (name.endsWith('.bias')) data.fill(0);
    else {
      const std = isResidualProjection(name) ? residualStd : INIT_STD;
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** A transformer whose parameters live on an engine. */
export class Transformer {
  /** Parameters by HF name, in hfTensorShapes order. */
  readonly params = new Map<string, Tensor>();

  constructor(readonly e: Engine, readonly config: TransformerConfig, weights: Map<string, NamedTensor>, where = 'weights') {
    const want = hfTensorShapes(config);
    const byName = new Map<string, NamedTensor>();
    for (const [raw, t] of weights) {
      const name = canonicalName(config, raw);
      if (name !== undefined) byName.set(name, t);
    }
    for (const [name, shape] of want) {
      const t = byName.get(name);
      if (!t) throw new InputError(`tensor "${name}" is missing (does the checkpoint match config.json?)`, where);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new InputError(`tensor "${name}" has shape [${t.shape.join(', ')}] but the config needs [${shape.join(', ')}] (a checkpoint from a different config?)`, where);
      }
      this.params.set(name, e.param(t.data, shape, name));
    }
  }

  /** A freshly initialised model. */
  static init(e: Engine, config: TransformerConfig, seed: number): Transformer {
    return new Transformer(e, config, initialWeights(config, seed));
  }

  /** Parameter tensors in a stable order. */
  get parameters(): Tensor[] {
    return [...this.params.values()];
  }

  /** Total parameter count. */
  get size(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  /** Current weights as host arrays under their HF names (for safetensors). */
  exportWeights(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, p] of this.params) out.set(name, { shape: [...p.shape], data: p.toArray() });
    return out;
  }

  private p(name: string): Tensor {
    return this.params.get(name)!;
  }

  /** An empty KV cache for `batch` sequences of up to `context` positions (kept outside scopes). */
  createCache(batch: number): KVCache {
    const c = this.config;
    const D = headDim(c);
    const k: Tensor[] = [];
    const v: Tensor[] = [];
    for (let l = 0; l < c.layers; l++) {
      k.push(this.e.keep(this.e.zeros([batch, c.context, c.kvHeads, D])));
      v.push(this.e.keep(this.e.zeros([batch, c.context, c.kvHeads, D])));
    }
    return { k, v, length: 0, batch };
  }

  /** Frees a cache's buffers. */
  disposeCache(cache: KVCache): void {
    for (const t of [...cache.k, ...cache.v]) t.dispose();
  }

  /**
   * Logits for token ids (B, T): (B, T, V), or (B, V) for the last position only.
   * With a cache, the ids continue the cached positions and are appended to it.
   */
  forward(ids: Int32Array, B: number, T: number, opts: { cache?: KVCache; lastOnly?: boolean } = {}): Tensor {
    const { e, config: c } = this;
    const C = c.width;
    const H = c.heads;
    const K = c.kvHeads;
    const D = headDim(c);
    const cache = opts.cache;
    const pos0 = cache ? cache.length : 0;
    if (pos0 + T > c.context) throw new RangeError(`sequence of ${pos0 + T} positions exceeds the model's context of ${c.context}`);
    const idsT = e.tensor(ids, [B, T]);
    const gpt2 = c.family === 'gpt2';
    let x: Tensor; // (B, T, C)
    if (gpt2) {
      const pos = new Int32Array(T).map((_, i) => pos0 + i);
      x = e.add(e.embedding(this.p('transformer.wte.weight'), idsT), e.embedding(this.p('transformer.wpe.weight'), e.tensor(pos, [T])));
    } else {
      x = e.embedding(this.p('model.embed_tokens.weight'), idsT);
    }
    const attend = (l: number, q: Tensor, k: Tensor, v: Tensor): Tensor => {
      // q (B, T, H, D), k/v (B, T, K, D) -> (B, T, C)
      if (!cache) return e.reshape(e.attention(q, k, v, { causal: true }), [B, T, C]);
      e.copyInto(cache.k[l]!, k, pos0);
      e.copyInto(cache.v[l]!, v, pos0);
      const Tk = pos0 + T;
      const view = (t: Tensor) => e.reshape(e.slice(e.reshape(t, [B, c.context * K * D]), 0, Tk * K * D), [B, Tk, K, D]);
      return e.reshape(e.attention(q, view(cache.k[l]!), view(cache.v[l]!), { causal: true, pastLen: pos0 }), [B, T, C]);
    };
    let h: Tensor | undefined; // normed input of the next sublayer (B, T, C)
    for (let l = 0; l < c.layers; l++) {
      if (gpt2) {
        const p = `transformer.h.${l}.`;
        if (!h) h = e.layerNorm(x, this.p(p + 'ln_1.weight'), this.p(p + 'ln_1.bias'), c.normEps);
        const qkv = e.add(e.matmul(h, this.p(p + 'attn.c_attn.weight')), this.p(p + 'attn.c_attn.bias')); // (B, T, 3C)
        const q = e.reshape(e.slice(qkv, 0, C), [B, T, H, D]);
        const k = e.reshape(e.slice(qkv, C, 2 * C), [B, T, H, D]);
        const v = e.reshape(e.slice(qkv, 2 * C, 3 * C), [B, T, H, D]);
        const a = e.add(e.matmul(attend(l, q, k, v), this.p(p + 'attn.c_proj.weight')), this.p(p + 'attn.c_proj.bias'));
        [x, h] = e.addLayerNorm(x, a, this.p(p + 'ln_2.weight'), this.p(p + 'ln_2.bias'), c.normEps);
        const m = e.biasGelu(e.matmul(h, this.p(p + 'mlp.c_fc.weight')), this.p(p + 'mlp.c_fc.bias')); // (B, T, F)
        const out = e.add(e.matmul(m, this.p(p + 'mlp.c_proj.weight')), this.p(p + 'mlp.c_proj.bias'));
        const next = l + 1 < c.layers ? `transformer.h.${l + 1}.ln_1` : 'transformer.ln_f';
        [x, h] = e.addLayerNorm(x, out, this.p(next + '.weight'), this.p(next + '.bias'), c.normEps);
      } else {
        const p = `model.layers.${l}.`;
        if (!h) h = e.rmsNorm(x, this.p(p + 'input_layernorm.weight'), c.normEps);
        const tb = { transB: true };
        const q = e.rope(e.reshape(e.matmul(h, this.p(p + 'self_attn.q_proj.weight'), tb), [B, T, H, D]), { pos0, theta: c.ropeTheta });
        const k = e.rope(e.reshape(e.matmul(h, this.p(p + 'self_attn.k_proj.weight'), tb), [B, T, K, D]), { pos0, theta: c.ropeTheta });
        const v = e.reshape(e.matmul(h, this.p(p + 'self_attn.v_proj.weight'), tb), [B, T, K, D]);
        const a = e.matmul(attend(l, q, k, v), this.p(p + 'self_attn.o_proj.weight'), tb);
        [x, h] = e.addRmsNorm(x, a, this.p(p + 'post_attention_layernorm.weight'), c.normEps);
        const g = e.matmul(h, this.p(p + 'mlp.gate_proj.weight'), tb); // (B, T, F)
        const u = e.matmul(h, this.p(p + 'mlp.up_proj.weight'), tb);
        const out = e.matmul(e.mul(e.silu(g), u), this.p(p + 'mlp.down_proj.weight'), tb);
        const next = l + 1 < c.layers ? `model.layers.${l + 1}.input_layernorm` : 'model.norm';
        [x, h] = e.addRmsNorm(x, out, this.p(next + '.weight'), c.normEps);
      }
    }
    if (c.layers === 0 || !h) throw new RangeError('a model needs at least one layer');
    if (cache) cache.length = pos0 + T;
    let final = h; // (B, T, C), already through the final norm
    if (opts.lastOnly) final = e.slice(e.reshape(h, [B, T * C]), (T - 1) * C, T * C); // (B, C)
    const head = gpt2 ? this.p('transformer.wte.weight') : c.tieEmbeddings ? this.p('model.embed_tokens.weight') : this.p('lm_head.weight');
    return e.matmul(final, head, { transB: true });
  }

  /** Mean next-token cross-entropy of inputs/targets (B, T), a scalar tensor. */
  loss(inputs: Int32Array, targets: Int32Array, B: number, T: number): Tensor {
    const logits = this.forward(inputs, B, T);
    return this.e.crossEntropy(logits, this.e.tensor(targets, [B, T]));
  }
}
