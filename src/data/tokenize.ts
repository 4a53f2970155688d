// `anvil data tokenize`: OUT/docs JSONL -> token shards for training (DESIGN.md format),
// split into train and validation. Every document is followed by the tokenizer's
// end-of-text id. Validation documents are spread evenly through the corpus (document i
// goes to val when round(i*f) steps up), so the split is exact and deterministic.
// TOKDIR gets train_NNNNNN.bin, val_NNNNNN.bin, a copy of the tokenizer in tokenizer/,
// and meta.json, written last.

import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer, EncoderPool } from '../tokenizer/index.js';
import { ShardWriter } from '../io/shards.js';
import { fileChunks, lines } from './read/bytes.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { InputError, UsageError } from '../util/errors.js';

export interface SplitMeta {
  shards: string[];
  tokens: number;
  /** UTF-8 bytes of the documents' text (for bits per byte). */
  bytes: number;
  documents: number;
}

export interface TokensMeta {
  format: 'anvil-tokens';
  version: 1;
  vocabSize: number;
  eotId: number;
  tokenizer: string;
  splits: { train: SplitMeta; val: SplitMeta };
}

export interface TokenizeOptions {
  tokenizer: string;
  /** JSONL(.gz) files or folders of them (e.g. OUT/docs). */
  input: string[];
  out: string;
  valFraction: number;
  /** Tokens per shard before a new one starts. */
  shardTokens: number;
  threads?: number;
  onProgress?: (docs: number, tokens: number) => void;
}

function docFiles(inputs: string[]): string[] {
  const files: string[] = [];
  for (const p of inputs) {
    if (!existsSync(p)) throw new UsageError(`--input ${p}: no such file or folder`);
    if (statSync(p).isDirectory()) {
      for (const f of readdirSync(p).sort()) if (/\.jsonl(\.gz|\.zst)?$/.test(f)) files.push(join(p, f));
    } else files.push(p);
  }
  if (files.length === 0) throw new UsageError(`--input ${inputs.join(' ')}: no .jsonl(.gz) files found`);
  return files;
}

class SplitWriter {
  meta: SplitMeta = { shards: [], tokens: 0, bytes: 0, documents: 0 };
  private w: ShardWriter | undefined;
  constructor(private readonly dir: string, private readonly name: string, private readonly vocab: number, private readonly perShard: number) {}

  write(ids: ArrayLike<number>, eot: number, bytes: number): void {
    if (!this.w) {
      const file = `${this.name}_${String(this.meta.shards.length).padStart(6, '0')}.bin`;
      this.meta.shards.push(file);
      this.w = new ShardWriter(join(this.dir, file), this.vocab);
    }
    this.w.write(ids);
    this.w.write([eot]);
    this.meta.tokens += ids.length + 1;
    this.meta.bytes += bytes;
    this.meta.documents++;
    if (this.w.tokens >= this.perShard) this.close();
  }

  close(): void {
    this.w?.close();
    this.w = undefined;
  }

  abort(): void {
    this.w?.abort();
  }
}

/** Tokenizes prepared documents into TOKDIR; returns its meta.json content. */
export async function tokenizeDocs(o: TokenizeOptions): Promise<TokensMeta> {
  if (!(o.valFraction >= 0 && o.valFraction < 1)) throw new UsageError(`--val-fraction ${o.valFraction}: use a number in [0, 1)`);
  const tok = await Tokenizer.load(o.tokenizer);
  if (tok.eotId < 0) throw new UsageError(`${o.tokenizer}: the tokenizer has no end-of-text token (e.g. <|endoftext|>) to separate documents`);
  const files = docFiles(o.input);
  mkdirSync(o.out, { recursive: true });
  // A rerun replaces the previous shards.
  rmSync(join(o.out, 'meta.json'), { force: true });
  for (const f of readdirSync(o.out)) if (/^(train|val)_\d+\.bin/.test(f)) rmSync(join(o.out, f), { force: true });
  const train = new SplitWriter(o.out, 'train', tok.vocabSize, o.shardTokens);
  const val = new SplitWriter(o.out, 'val', tok.vocabSize, o.shardTokens);
  const pool = new EncoderPool(tok, o.threads);
  let index = 0;
  let tokens = 0;
  const flush = async (batch: string[]) => {
    const encoded = await pool.encode(batch);
    for (let k = 0; k < batch.length; k++) {
      const f = o.valFraction;
      const isVal = Math.round((index + 1) * f) > Math.round(index * f);
      (isVal ? val : train).write(encoded[k]!, tok.eotId, Buffer.byteLength(batch[k]!));
      tokens += encoded[k]!.length + 1;
      index++;
    }
    o.onProgress?.(index, tokens);
  };
  try {
    let batch: string[] = [];
    for (const file of files) {
      for await (const { line, n } of lines(fileChunks(file))) {
        if (line.length === 0) continue;
        let text: unknown;
        try {
          text = (JSON.parse(line.toString('utf8')) as { text?: unknown }).text;
        } catch (e) {
          throw new InputError(`not JSON: ${(e as Error).message}`, file, n);
        }
        if (typeof text !== 'string') throw new InputError('no "text" string field', file, n);
        batch.push(text);
        if (batch.length >= 1024) {
          await flush(batch);
          batch = [];
        }
      }
    }
    if (batch.length) await flush(batch);
    train.close();
    val.close();
  } catch (e) {
    train.abort();
    val.abort();
    throw e;
  } finally {
    await pool.close();
  }
  const tdir = join(o.out, 'tokenizer');
  mkdirSync(tdir, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    if (existsSync(join(o.tokenizer, f))) copyFileSync(join(o.tokenizer, f), join(tdir, f));
  }
  const meta: TokensMeta = {
    format: 'anvil-tokens',
    version: 1,
    vocabSize: tok.vocabSize,
    eotId: tok.eotId,
    tokenizer: 'tokenizer',
    splits: { train: train.meta, val: val.meta },
  };
  writeFileAtomic(join(o.out, 'meta.json'), JSON.stringify(meta, null, 2) + '\n', false);
  return meta;
}
