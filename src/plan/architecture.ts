// Model shapes from one knob (`depth`), exact parameter counts of the Hugging Face
// tensors, and training FLOPs per token. The trainer (src/model/) builds its models
// from `deriveArch`, and the planner sizes runs with the same function, so a plan and
// the model it plans agree.
//
// Names used below: L = layers, C = width (hidden size), H = attention heads,
// Hkv = key/value heads, D = head dimension, F = MLP hidden size, V = vocabulary,
// P = context (positions), T = sequence length of a training step.

import { UsageError } from '../util/errors.js';

export type Family = 'gpt2' | 'llama';

/** The few fields that fix a decoder-only transformer of either family. */
export interface ArchConfig {
  family: Family;
  layers: number;
  width: number;
  heads: number;
  /** Key/value heads; equal to `heads` for gpt2 (no grouped-query attention). */
  kvHeads: number;
  /** Width of one head; width / heads unless a config says otherwise. */
  headDim: number;
  /** gpt2: 4 * width; llama: the SwiGLU hidden size. */
  mlpHidden: number;
  /** Longest sequence the model is built for (gpt2: learned positions). */
  context: number;
  vocabSize: number;
  /** gpt2: always true; llama: tie lm_head to the token embedding or not. */
  tiedEmbeddings: boolean;
  normEps: number;
  /** RoPE base; unused for gpt2. */
  ropeTheta: number;
}

export const FAMILIES: readonly Family[] = ['gpt2', 'llama'];

// The depth rule (nanochat's "one knob"): width grows linearly with depth at a fixed
// aspect ratio, so that depth 12 of the gpt2 family is exactly GPT-2 small (124M).
/** Width per layer of depth (nanochat: model_dim = depth * 64). */
export const ASPECT_RATIO = 64;
/** Head dimension of small models (GPT-2, TinyLlama, SmolLM all use 64). */
export const HEAD_DIM_SMALL = 64;
/** Head dimension from LARGE_WIDTH up (Llama 2/3 use 128 at width 4096). */
export const HEAD_DIM_LARGE = 128;
/** Width from which heads become 128 wide. */
export const LARGE_WIDTH = 2048;
/** SwiGLU hidden size: 8/3 of the width (same parameters as a 4x GELU MLP), rounded up to this multiple. */
export const SWIGLU_MULTIPLE = 64;
/** Default contexts: GPT-2's 1024 positions; 2048 for llama (nanochat's sequence length). */
export const DEFAULT_CONTEXT: Record<Family, number> = { gpt2: 1024, llama: 2048 };
/** Default vocabularies: GPT-2's 50,257 tokens; 2^15 for llama (nanochat's current tokenizer). */
export const DEFAULT_VOCAB: Record<Family, number> = { gpt2: 50257, llama: 32768 };
/** Norm epsilon: GPT-2 layer_norm_epsilon 1e-5; Llama 2 rms_norm_eps 1e-5. */
export const DEFAULT_NORM_EPS: Record<Family, number> = { gpt2: 1e-5, llama: 1e-5 };
/** RoPE base of Llama 1/2. */
export const DEFAULT_ROPE_THETA = 10000;
/** Deepest model the depth rule accepts (width 16,384 at 256 layers is far past any plan). */
export const MAX_DEPTH = 256;

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * Derives a full model shape from `depth` (number of layers). Overrides replace any
 * derived field; derived fields that depend on an overridden one (heads and MLP from
 * width) follow the override.
 * @example deriveArch('gpt2', 12) // GPT-2 small: 12 layers, width 768, 12 heads, 124,439,808 params
 */
export function deriveArch(family: Family, depth: number, overrides: Partial<ArchConfig> = {}): ArchConfig {
  if (!FAMILIES.includes(family)) throw new UsageError(`unknown model family "${family}"; accepted: ${FAMILIES.join(', ')}`);
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) {
    throw new UsageError(`depth must be a whole number from 1 to ${MAX_DEPTH}, got ${depth}`);
  }
  const ruleWidth = overrides.width ?? depth * ASPECT_RATIO;
  const headDimRule = family === 'llama' && ruleWidth >= LARGE_WIDTH ? HEAD_DIM_LARGE : HEAD_DIM_SMALL;
  const width = overrides.width ?? roundUp(depth * ASPECT_RATIO, headDimRule);
  const headDim = overrides.headDim ?? (overrides.heads ? width / overrides.heads : headDimRule);
  const heads = overrides.heads ?? Math.max(1, Math.round(width / headDim));
  const mlpHidden = overrides.mlpHidden ?? (family === 'gpt2' ? 4 * width : roundUp((8 * width) / 3, SWIGLU_MULTIPLE));
  const arch: ArchConfig = {
    family,
    layers: depth,
    width,
    heads,
    kvHeads: overrides.kvHeads ?? heads,
    headDim,
    mlpHidden,
    context: overrides.context ?? DEFAULT_CONTEXT[family],
    vocabSize: overrides.vocabSize ?? DEFAULT_VOCAB[family],
    tiedEmbeddings: family === 'gpt2' ? true : (overrides.tiedEmbeddings ?? false),
    normEps: overrides.normEps ?? DEFAULT_NORM_EPS[family],
    ropeTheta: overrides.ropeTheta ?? DEFAULT_ROPE_THETA,
  };
  if (overrides.layers !== undefined) arch.layers = overrides.layers;
  validateArch(arch);
  return arch;
}

/** Checks the shape is buildable; throws UsageError naming the bad field. */
export function validateArch(a: ArchConfig): void {
  const positive = ['layers', 'width', 'heads', 'kvHeads', 'headDim', 'mlpHidden', 'context', 'vocabSize'] as const;
  for (const k of positive) {
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new UsageError(`model ${k} must be a positive whole number, got ${a[k]}`);
  }
  if (a.heads % a.kvHeads !== 0) throw new UsageError(`model heads (${a.heads}) must be a multiple of kvHeads (${a.kvHeads})`);
  if (a.family === 'gpt2' && (a.kvHeads !== a.heads || a.heads * a.headDim !== a.width)) {
    throw new UsageError(`gpt2 needs kvHeads == heads and heads * headDim == width (got ${a.heads} x ${a.headDim} vs ${a.width})`);
  }
}

/**
 * Counts the parameters of the Hugging Face model exactly (GPT2LMHeadModel or
 * LlamaForCausalLM without biases), tied weights once. Buffers (GPT-2's causal mask,
 * RoPE frequencies) are not parameters.
 * @example countParams(deriveArch('gpt2', 12)) // 124439808
 */
export function countParams(a: ArchConfig): number {
  const { layers: L, width: C, heads: H, kvHeads: Hkv, headDim: D, mlpHidden: F, vocabSize: V } = a;
  const embed = V * C; // wte / embed_tokens (V, C)
  if (a.family === 'gpt2') {
    const perLayer =
      2 * C + //                 ln_1 weight, bias
      C * 3 * C + 3 * C + //     attn.c_attn (C, 3C) + bias
      C * C + C + //             attn.c_proj (C, C) + bias
      2 * C + //                 ln_2
      C * F + F + //             mlp.c_fc (C, F) + bias
      F * C + C; //              mlp.c_proj (F, C) + bias
    return embed + a.context * C + L * perLayer + 2 * C; // + wpe (P, C) + ln_f
  }
  const perLayer =
    C * H * D + //               q_proj (H*D, C)
    2 * C * Hkv * D + //         k_proj, v_proj (Hkv*D, C)
    H * D * C + //               o_proj (C, H*D)
    3 * C * F + //               gate_proj, up_proj (F, C), down_proj (C, F)
    2 * C; //                    input_layernorm, post_attention_layernorm
  return embed + L * perLayer + C + (a.tiedEmbeddings ? 0 : V * C); // + norm + lm_head
}

/** Parameters that are table lookups rather than matmuls: learned positions, and the token table when lm_head is separate. */
export function lookupParams(a: ArchConfig): number {
  const positions = a.family === 'gpt2' ? a.context * a.width : 0;
  const tokenTable = a.tiedEmbeddings ? 0 : a.vocabSize * a.width;
  return positions + tokenTable;
}

/**
 * Training FLOPs per token (forward + backward), convention stated once:
 * - dense = 6 x (parameters that take part in a matmul): every parameter except the
 *   lookup tables (learned positions, and the input embedding when lm_head is untied);
 *   a tied embedding counts once, as the lm_head matmul it is. Norms and biases are
 *   included (they are a rounding error).
 * - attention = 12 x L x (H*D) x T: the QK^T and AV matmuls, 2 x 2 x T x (H*D) FLOPs per
 *   token per layer forward, times 3 for forward + backward, over the full T x T
 *   square as PaLM and nanochat count it (causal masking would halve it).
 * `seqLen` defaults to the model's context.
 * @example flopsPerToken(deriveArch('gpt2', 12), 1024).total // ~8.5e8
 */
export function flopsPerToken(a: ArchConfig, seqLen = a.context): { dense: number; attention: number; total: number } {
  const dense = 6 * (countParams(a) - lookupParams(a));
  const attention = 12 * a.layers * a.heads * a.headDim * seqLen;
  return { dense, attention, total: dense + attention };
}

function num(cfg: Record<string, unknown>, key: string, fallback?: number): number {
  const v = cfg[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`config.json: missing field "${key}"`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`config.json: field "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Model types read as the llama family (same tensors: RoPE, RMSNorm, SwiGLU, GQA, no biases). */
export const LLAMA_LIKE_MODEL_TYPES = ['llama', 'mistral'] as const;

/**
 * Reads a Hugging Face config.json (model_type gpt2, or llama / mistral) into an ArchConfig.
 * @example archFromHfConfig(JSON.parse(readFileSync('config.json', 'utf8')))
 */
export function archFromHfConfig(cfg: Record<string, unknown>): ArchConfig {
  const type = cfg.model_type;
  if (type === 'gpt2') {
    const width = num(cfg, 'n_embd');
    const heads = num(cfg, 'n_head');
    const arch: ArchConfig = {
      family: 'gpt2',
      layers: num(cfg, 'n_layer'),
      width,
      heads,
      kvHeads: heads,
      headDim: width / heads,
      mlpHidden: num(cfg, 'n_inner', 4 * width),
      context: num(cfg, 'n_positions', num(cfg, 'n_ctx', 1024)),
      vocabSize: num(cfg, 'vocab_size'),
      tiedEmbeddings: true,
      normEps: num(cfg, 'layer_norm_epsilon', 1e-5),
      ropeTheta: DEFAULT_ROPE_THETA,
    };
    validateArch(arch);
    return arch;
  }
  if (typeof type === 'string' && (LLAMA_LIKE_MODEL_TYPES as readonly string[]).includes(type)) {
    const width = num(cfg, 'hidden_size');
    const heads = num(cfg, 'num_attention_heads');
    const rope = cfg.rope_parameters as Record<string, unknown> | undefined;
    const ropeTheta = typeof rope?.rope_theta === 'number' ? rope.rope_theta : num(cfg, 'rope_theta', DEFAULT_ROPE_THETA);
    const tie = cfg.tie_word_embeddings;
    if (tie !== undefined && typeof tie !== 'boolean') throw new UsageError(`config.json: field "tie_word_embeddings" must be true or false`);
    const arch: ArchConfig = {
      family: 'llama',
      layers: num(cfg, 'num_hidden_layers'),
      width,
      heads,
      kvHeads: num(cfg, 'num_key_value_heads', heads),
      headDim: num(cfg, 'head_dim', width / heads),
      mlpHidden: num(cfg, 'intermediate_size'),
      context: num(cfg, 'max_position_embeddings', 2048),
      vocabSize: num(cfg, 'vocab_size'),
      tiedEmbeddings: tie ?? false,
      normEps: num(cfg, 'rms_norm_eps', 1e-6),
      ropeTheta,
    };
    validateArch(arch);
    return arch;
  }
  throw new UsageError(`config.json: model_type ${JSON.stringify(type)} is not supported; accepted: gpt2, ${LLAMA_LIKE_MODEL_TYPES.join(', ')}`);
}

/**
 * The depth-rule model whose parameter count is closest to `params` (the shape the
 * trainer would build for that size), with the given overrides (e.g. context).
 * @example archForParams(124e6, 'gpt2').layers // 12
 */
export function archForParams(params: number, family: Family, overrides: Partial<ArchConfig> = {}): ArchConfig {
  let best = deriveArch(family, 1, overrides);
  for (let depth = 2; depth <= MAX_DEPTH; depth++) {
    const a = deriveArch(family, depth, overrides);
    const n = countParams(a);
    if (Math.abs(Math.log(n / params)) < Math.abs(Math.log(countParams(best) / params))) best = a;
    if (n > params * 2) break;
  }
  return best;
}
