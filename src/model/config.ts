// The one model config shared by both families (DESIGN.md, Models): `gpt2` (learned
// positions, LayerNorm with bias, GELU, tied embeddings) and `llama` (RoPE, RMSNorm,
// SwiGLU, grouped-query attention, optional tied embeddings). A few plain fields; sizes
// usually come from `--depth` through the planner's deriveArch.

import { InputError, UsageError } from '../util/errors.js';
import type { ArchConfig } from '../plan/architecture.js';

export type Family = 'gpt2' | 'llama';

/** The architecture of a decoder-only transformer. */
export interface TransformerConfig {
  family: Family;
  vocabSize: number;
  /** Maximum sequence length (learned positions for gpt2, RoPE range for llama). */
  context: number;
  layers: number;
  heads: number;
  /** Key/value heads (grouped-query attention); equals `heads` for gpt2. */
  kvHeads: number;
  /** Model width (residual stream channels). */
  width: number;
  /** Inner width of the MLP (4 × width for gpt2; SwiGLU hidden for llama). */
  hidden: number;
  normEps: number;
  /** RoPE base frequency (llama only). */
  ropeTheta: number;
  /** Whether the output projection shares the token embedding. */
  tieEmbeddings: boolean;
}

/** Width of one attention head. */
export function headDim(c: TransformerConfig): number {
  return c.width / c.heads;
}

/** The defaults each family uses for the fields `--depth` does not decide. */
export function familyDefaults(family: Family): Pick<TransformerConfig, 'normEps' | 'ropeTheta' | 'tieEmbeddings'> {
  return family === 'gpt2'
    ? { normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true }
    : { normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false };
}

/** SwiGLU hidden width as Llama sizes it: 8/3 of the width, rounded up to a multiple of `multiple`. */
export function llamaHidden(width: number, multiple = 64): number {
  return Math.ceil((8 * width) / 3 / multiple) * multiple;
}

/** Checks a config for internal consistency; `where` names the file or flag it came from. */
export function validateConfig(c: TransformerConfig, where?: string): TransformerConfig {
  const bad = (field: string, why: string): never => {
    throw new InputError(`${field}: ${why}`, where);
  };
  if (c.family !== 'gpt2' && c.family !== 'llama') bad('family', `"${c.family}" is not gpt2 or llama`);
  for (const k of ['vocabSize', 'context', 'layers', 'heads', 'kvHeads', 'width', 'hidden'] as const) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) bad(k, `must be a positive integer, got ${c[k]}`);
  }
  if (c.width % c.heads !== 0) bad('width', `${c.width} is not divisible by heads (${c.heads})`);
  if (c.heads % c.kvHeads !== 0) bad('kvHeads', `heads (${c.heads}) must be a multiple of kvHeads (${c.kvHeads})`);
  if (c.family === 'gpt2' && c.kvHeads !== c.heads) bad('kvHeads', 'gpt2 has no grouped-query attention; kvHeads must equal heads');
  if (c.family === 'llama' && headDim(c) % 2 !== 0) bad('heads', `RoPE needs an even head width, got ${headDim(c)}`);
  if (!(c.normEps > 0)) bad('normEps', 'must be positive');
  return c;
}

/** Whether two configs describe the same parameter shapes (for resume and loading). */
export function sameShapes(a: TransformerConfig, b: TransformerConfig): string | undefined {
  for (const k of ['family', 'vocabSize', 'layers', 'heads', 'kvHeads', 'width', 'hidden', 'tieEmbeddings'] as const) {
    if (a[k] !== b[k]) return `${k} is ${String(a[k])} here but ${String(b[k])} in the checkpoint`;
  }
  if (a.family === 'gpt2' && a.context !== b.context) return `context is ${a.context} here but ${b.context} in the checkpoint`;
  return undefined;
}

/** The planner's shape (src/plan/architecture.ts) as a model config. */
export function fromArch(a: ArchConfig): TransformerConfig {
  if (a.headDim * a.heads !== a.width) {
    throw new UsageError(`head width ${a.headDim} × ${a.heads} heads must equal the width ${a.width}`);
  }
  const c: TransformerConfig = {
    family: a.family, vocabSize: a.vocabSize, context: a.context, layers: a.layers, heads: a.heads,
    kvHeads: a.kvHeads, width: a.width, hidden: a.mlpHidden, normEps: a.normEps, ropeTheta: a.ropeTheta,
    tieEmbeddings: a.tiedEmbeddings,
  };
  try {
    return validateConfig(c);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A model config as the planner's shape, for countParams and flopsPerToken. */
export function toArch(c: TransformerConfig): ArchConfig {
  return {
    family: c.family, layers: c.layers, width: c.width, heads: c.heads, kvHeads: c.kvHeads, headDim: headDim(c),
    mlpHidden: c.hidden, context: c.context, vocabSize: c.vocabSize, tiedEmbeddings: c.tieEmbeddings,
    normEps: c.normEps, ropeTheta: c.ropeTheta,
  };
}
