// Hugging Face model-folder mapping for the gpt2 and llama families: config.json with the
// keys `transformers` expects (GPT2LMHeadModel, LlamaForCausalLM), generation_config.json,
// and the HF tensor names and shapes of each family. anvil's parameters carry these names
// and shapes, so export and import are at most a rename (GPT-2 hub files lack the
// "transformer." prefix).
//
// Shapes: V = vocab, P = positions, C = width, F = MLP hidden, H = heads, K = kv heads,
// D = head width. GPT-2 uses Conv1D weights stored (in, out); Llama uses nn.Linear
// weights stored (out, in).

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { headDim, validateConfig, type TransformerConfig } from '../model/config.js';

/** The `transformers` version anvil's files declare they match. */
const TRANSFORMERS_VERSION = '4.46.0';

/** Token ids written into config.json and generation_config.json. */
export interface SpecialIds {
  bosId: number;
  eosId: number;
  padId?: number;
}

/** config.json for a model of this config, as transformers' save_pretrained writes it. */
export function hfConfigJson(c: TransformerConfig, ids: SpecialIds): Record<string, unknown> {
  if (c.family === 'gpt2') {
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: c.vocabSize,
      n_positions: c.context,
      n_ctx: c.context,
      n_embd: c.width,
      n_layer: c.layers,
      n_head: c.heads,
      n_inner: c.hidden === 4 * c.width ? null : c.hidden,
      activation_function: 'gelu_new',
      resid_pdrop: 0.0,
      embd_pdrop: 0.0,
      attn_pdrop: 0.0,
      layer_norm_epsilon: c.normEps,
      initializer_range: 0.02,
      summary_type: 'cls_index',
      summary_use_proj: true,
      summary_activation: null,
      summary_proj_to_labels: true,
      summary_first_dropout: 0.1,
      scale_attn_weights: true,
      scale_attn_by_inverse_layer_idx: false,
      reorder_and_upcast_attn: false,
      use_cache: true,
      bos_token_id: ids.bosId,
      eos_token_id: ids.eosId,
      tie_word_embeddings: true,
      torch_dtype: 'float32',
      transformers_version: TRANSFORMERS_VERSION,
    };
  }
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: c.vocabSize,
    hidden_size: c.width,
    intermediate_size: c.hidden,
    num_hidden_layers: c.layers,
    num_attention_heads: c.heads,
    num_key_value_heads: c.kvHeads,
    head_dim: headDim(c),
    hidden_act: 'silu',
    max_position_embeddings: c.context,
    initializer_range: 0.02,
    rms_norm_eps: c.normEps,
    use_cache: true,
    pad_token_id: ids.padId ?? null,
    bos_token_id: ids.bosId,
    eos_token_id: ids.eosId,
    pretraining_tp: 1,
    tie_word_embeddings: c.tieEmbeddings,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    torch_dtype: 'float32',
    transformers_version: TRANSFORMERS_VERSION,
  };
}

/** generation_config.json as transformers writes it. */
export function generationConfigJson(ids: SpecialIds, sampling: { temperature?: number; topK?: number; topP?: number } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { _from_model_config: true, bos_token_id: ids.bosId, eos_token_id: ids.eosId };
  if (ids.padId !== undefined) out.pad_token_id = ids.padId;
  if (sampling.temperature !== undefined) {
    out.do_sample = true;
    out.temperature = sampling.temperature;
    if (sampling.topK !== undefined) out.top_k = sampling.topK;
    if (sampling.topP !== undefined) out.top_p = sampling.topP;
  }
  out.transformers_version = TRANSFORMERS_VERSION;
  return out;
}

/** Reads a config.json (GPT2LMHeadModel, LlamaForCausalLM and llama-compatible types) into a TransformerConfig. */
export function configFromHf(json: Record<string, unknown>, file?: string): TransformerConfig {
  const num = (key: string, fallback?: number): number => {
    const v = json[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`field "${key}" is missing or not a number`, file);
    return v;
  };
  const type = String(json.model_type ?? '');
  const arch = Array.isArray(json.architectures) ? String(json.architectures[0]) : '';
  if (type === 'gpt2' || arch === 'GPT2LMHeadModel') {
    const width = num('n_embd');
    const act = json.activation_function ?? 'gelu_new';
    if (act !== 'gelu_new' && act !== 'gelu_pytorch_tanh' && act !== 'gelu') {
      throw new InputError(`field "activation_function": "${String(act)}" is not supported (anvil's gpt2 uses the tanh GELU)`, file);
    }
    const inner = json.n_inner;
    return validateConfig({
      family: 'gpt2',
      vocabSize: num('vocab_size'),
      context: num('n_positions', typeof json.n_ctx === 'number' ? json.n_ctx : undefined),
      layers: num('n_layer'),
      heads: num('n_head'),
      kvHeads: num('n_head'),
      width,
      hidden: typeof inner === 'number' ? inner : 4 * width,
      normEps: num('layer_norm_epsilon', 1e-5),
      ropeTheta: 10000,
      tieEmbeddings: true,
    }, file);
  }
  if (type === 'llama' || type === 'mistral' || type === 'qwen2' || arch === 'LlamaForCausalLM') {
    if (json.hidden_act !== undefined && json.hidden_act !== 'silu') {
      throw new InputError(`field "hidden_act": "${String(json.hidden_act)}" is not supported (llama uses silu)`, file);
    }
    if (json.attention_bias === true || json.mlp_bias === true) {
      throw new InputError('fields "attention_bias"/"mlp_bias": biased llama projections are not supported', file);
    }
    const scaling = json.rope_scaling as Record<string, unknown> | null | undefined;
    if (scaling && scaling.rope_type !== 'default' && scaling.type !== 'default') {
      throw new InputError(`field "rope_scaling": ${JSON.stringify(scaling)} is not supported`, file);
    }
    const heads = num('num_attention_heads');
    const width = num('hidden_size');
    if (typeof json.head_dim === 'number' && json.head_dim * heads !== width) {
      throw new InputError(`field "head_dim": ${json.head_dim} × ${heads} heads differs from hidden_size ${width}; anvil needs head_dim = hidden_size / heads`, file);
    }
    const rope = (json.rope_parameters as Record<string, unknown> | undefined)?.rope_theta;
    return validateConfig({
      family: 'llama',
      vocabSize: num('vocab_size'),
      context: num('max_position_embeddings', 2048),
      layers: num('num_hidden_layers'),
      heads,
      kvHeads: num('num_key_value_heads', heads),
      width,
      hidden: num('intermediate_size'),
      normEps: num('rms_norm_eps', 1e-6),
      ropeTheta: typeof rope === 'number' ? rope : num('rope_theta', 10000),
      tieEmbeddings: json.tie_word_embeddings === true,
    }, file);
  }
  throw new InputError(`model_type "${type}" / architecture "${arch}" is not supported; anvil reads gpt2 and llama-family models`, file);
}

/** Reads DIR/config.json into a TransformerConfig. */
export function readHfConfig(dir: string): TransformerConfig {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) throw new InputError('not a model folder: config.json is missing', dir);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`invalid JSON: ${(e as Error).message}`, file);
  }
  if (typeof json !== 'object' || json === null) throw new InputError('not a JSON object', file);
  return configFromHf(json as Record<string, unknown>, file);
}

/** The HF parameter names and shapes of a model, in a stable order (tied lm_head omitted). */
export function hfTensorShapes(c: TransformerConfig): [string, number[]][] {
  const C = c.width;
  const F = c.hidden;
  const out: [string, number[]][] = [];
  if (c.family === 'gpt2') {
    out.push(['transformer.wte.weight', [c.vocabSize, C]], ['transformer.wpe.weight', [c.context, C]]);
    for (let l = 0; l < c.layers; l++) {
      const p = `transformer.h.${l}.`;
      out.push(
        [p + 'ln_1.weight', [C]], [p + 'ln_1.bias', [C]],
        [p + 'attn.c_attn.weight', [C, 3 * C]], [p + 'attn.c_attn.bias', [3 * C]],
        [p + 'attn.c_proj.weight', [C, C]], [p + 'attn.c_proj.bias', [C]],
        [p + 'ln_2.weight', [C]], [p + 'ln_2.bias', [C]],
        [p + 'mlp.c_fc.weight', [C, F]], [p + 'mlp.c_fc.bias', [F]],
        [p + 'mlp.c_proj.weight', [F, C]], [p + 'mlp.c_proj.bias', [C]],
      );
    }
    out.push(['transformer.ln_f.weight', [C]], ['transformer.ln_f.bias', [C]]);
    return out;
  }
  const D = headDim(c);
  out.push(['model.embed_tokens.weight', [c.vocabSize, C]]);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      [p + 'input_layernorm.weight', [C]],
      [p + 'self_attn.q_proj.weight', [c.heads * D, C]],
      [p + 'self_attn.k_proj.weight', [c.kvHeads * D, C]],
      [p + 'self_attn.v_proj.weight', [c.kvHeads * D, C]],
      [p + 'self_attn.o_proj.weight', [C, c.heads * D]],
      [p + 'post_attention_layernorm.weight', [C]],
      [p + 'mlp.gate_proj.weight', [F, C]],
      [p + 'mlp.up_proj.weight', [F, C]],
      [p + 'mlp.down_proj.weight', [C, F]],
    );
  }
  out.push(['model.norm.weight', [C]]);
  if (!c.tieEmbeddings) out.push(['lm_head.weight', [c.vocabSize, C]]);
  return out;
}

/**
 * Maps a name found in a checkpoint to anvil's (HF transformers) name, or undefined for
 * buffers that carry no parameters (GPT-2's causal-mask `attn.bias`, `attn.masked_bias`,
 * Llama's `rotary_emb.inv_freq`, a tied `lm_head.weight`).
 */
export function canonicalName(c: TransformerConfig, name: string): string | undefined {
  if (c.family === 'gpt2') {
    if (/\.attn\.(bias|masked_bias)$/.test(name)) return undefined;
    if (name === 'lm_head.weight') return undefined;
    return name.startsWith('transformer.') ? name : `transformer.${name}`;
  }
  if (name.endsWith('rotary_emb.inv_freq')) return undefined;
  if (name === 'lm_head.weight' && c.tieEmbeddings) return undefined;
  return name;
}
