// A Hugging Face model folder on disk: config.json, generation_config.json,
// model.safetensors (or shards + index), and the tokenizer files. Reading returns the
// config and the weights under their HF names; writing writes every file atomically.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { generationConfigJson, hfConfigJson, readHfConfig, type SpecialIds } from './hf.js';
import { readSafetensorsFolder, writeSafetensorsFolder, type NamedTensor } from './safetensors.js';
import type { TransformerConfig } from '../model/config.js';

/** What a model folder holds. */
export interface ModelFolder {
  config: TransformerConfig;
  ids: SpecialIds;
  weights: Map<string, NamedTensor>;
  /** Folder with tokenizer.json (and tokenizer_config.json) to copy in. */
  tokenizerDir?: string;
}

/** Tokenizer files copied along with a model. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** Writes a Hugging Face model folder; every file is written atomically. */
export function writeModelFolder(dir: string, m: ModelFolder): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(hfConfigJson(m.config, m.ids), null, 2) + '\n');
  writeFileAtomic(join(dir, 'generation_config.json'), JSON.stringify(generationConfigJson(m.ids), null, 2) + '\n');
  writeSafetensorsFolder(dir, m.weights);
  if (m.tokenizerDir) {
    for (const f of TOKENIZER_FILES) {
      const src = join(m.tokenizerDir, f);
      if (existsSync(src)) writeFileAtomic(join(dir, f), readFileSync(src));
    }
  }
}

/** Reads config.json and the weights of a model folder. */
export function readModelFolder(dir: string): { config: TransformerConfig; weights: Map<string, NamedTensor> } {
  const config = readHfConfig(dir);
  return { config, weights: readSafetensorsFolder(dir) };
}
