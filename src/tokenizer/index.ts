// The tokenizer layer's public surface: byte-level BPE training, encoding and
// decoding, tokenizer.json files, rank-table import and chat templates.

export { Tokenizer, CHATML_TEMPLATE, type ChatMessage, type TokenizerConfig, type TokenizerSpec } from './tokenizer.js';
export { trainTokenizer, DEFAULT_SPECIALS, type TrainOptions, type TrainProgress } from './train.js';
export { PATTERNS, type PatternName } from './pretokenize.js';
export { fromRanks, parseRanks, loadTiktokenEncoding } from './ranks.js';
export { toTokenizerJson, toTokenizerConfig, fromTokenizerJson } from './hf-json.js';
export { encodeBatch, EncoderPool } from './batch.js';
