// Loads a Hugging Face model folder (anvil's own or a gpt2 / llama-family folder from the
// Hub) onto an engine, with its tokenizer when the folder has one.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../tensor/index.js';
import { Tokenizer } from '../tokenizer/index.js';
import { readModelFolder } from '../io/model-folder.js';
import { InputError } from '../util/errors.js';
import { Transformer } from './transformer.js';

/** Reads DIR/config.json and its weights into a Transformer on `e`. */
export function loadModel(e: Engine, dir: string): Transformer {
  const { config, weights } = readModelFolder(dir);
  return new Transformer(e, config, weights, dir);
}

/** Reads DIR/tokenizer.json; an InputError when the folder has none. */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  if (!existsSync(join(dir, 'tokenizer.json'))) throw new InputError('tokenizer.json is missing from the model folder', dir);
  const tok = await Tokenizer.load(dir);
  return tok;
}
