// The model and inputs the browser page and its test share: a tiny llama-family Transformer
// with fixed initial weights and fixed token ids. Dimensions: B batch, T time, V vocab.

import type { TransformerConfig } from '../../src/model/config.js';

export const PAGE_CONFIG: TransformerConfig = {
  family: 'llama', vocabSize: 53, context: 16, layers: 2, heads: 4, kvHeads: 2, width: 32, hidden: 96,
  normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false,
};
export const PAGE_SEED = 9;
export const PAGE_B = 2;
export const PAGE_T = 11;
export const PAGE_IDS = Int32Array.from({ length: PAGE_B * PAGE_T }, (_, i) => (i * 17 + 3) % PAGE_CONFIG.vocabSize);
