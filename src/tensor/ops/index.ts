// The op registry: one typed list of op names, each mapped to its definition (shape rule,
// forward, backward). A new op is one entry here plus its file; the attribute types keep the
// engine's calls and the rules in agreement at compile time.

import type { OpDef } from './def.js';
import { attention, rope, type AttentionAttrs, type RopeAttrs } from './attention.js';
import { affine, binary, type AffineAttrs, type BinaryAttrs } from './elementwise.js';
import { crossEntropy, type CrossEntropyAttrs } from './loss.js';
import { matmul, type MatmulAttrs } from './matmul.js';
import {
  activation, addLayerNorm, addRmsNorm, dropout, embedding, layerNorm, rmsNorm, softmax,
  type ActivationAttrs, type DropoutAttrs, type NormAttrs,
} from './nn.js';
import { reduceLast, type ReduceAttrs } from './reduce.js';
import { cast, reshape, slice, type CastAttrs, type ReshapeAttrs, type SliceAttrs } from './shape.js';

/** Attributes of every op, by op name. */
export interface OpAttrs {
  matmul: MatmulAttrs;
  binary: BinaryAttrs;
  affine: AffineAttrs;
  reduceLast: ReduceAttrs;
  reshape: ReshapeAttrs;
  slice: SliceAttrs;
  cast: CastAttrs;
  embedding: Record<string, never>;
  layerNorm: NormAttrs;
  rmsNorm: NormAttrs;
  addLayerNorm: NormAttrs;
  addRmsNorm: NormAttrs;
  activation: ActivationAttrs;
  softmax: Record<string, never>;
  dropout: DropoutAttrs;
  rope: RopeAttrs;
  attention: AttentionAttrs;
  crossEntropy: CrossEntropyAttrs;
}

export type OpName = keyof OpAttrs;

/** Every op's rules, by name. */
export const OPS: { [P in OpName]: OpDef<OpAttrs[P]> } = {
  matmul, binary, affine, reduceLast, reshape, slice, cast, embedding, layerNorm, rmsNorm,
  addLayerNorm, addRmsNorm, activation, softmax, dropout, rope, attention, crossEntropy,
};
