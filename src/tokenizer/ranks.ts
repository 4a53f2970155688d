// Imports a tiktoken-style rank table (GPT-2, cl100k: each token's bytes and its rank,
// which is also its id). Two pieces merge when their concatenation has a rank, lowest
// rank first, exactly tiktoken's rule; so every split of every token enters the merge table.

import { readFile } from 'node:fs/promises';
import { InputError } from '../util/errors.js';
import { MergeTable } from './merges.js';
import { Tokenizer, type TokenizerConfig } from './tokenizer.js';

/** Parses rank-table text: `.tiktoken` lines ("base64 rank") or the npm tiktoken package's packed form ("! offset base64 base64 ..."). */
export function parseRanks(text: string, file = 'ranks'): Uint8Array[] {
  const ranks: Uint8Array[] = [];
  const lines = text.split('\n');
  for (const [k, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split(' ');
    if (f.length === 2) {
      const rank = Number(f[1]);
      if (!Number.isInteger(rank) || rank < 0) throw new InputError(`rank "${f[1]}" is not an integer >= 0`, file, k + 1);
      ranks[rank] = Buffer.from(f[0]!, 'base64');
    } else if (f.length > 2) {
      const offset = Number(f[1]);
      if (!Number.isInteger(offset) || offset < 0) throw new InputError(`offset "${f[1]}" is not an integer >= 0`, file, k + 1);
      for (let i = 2; i < f.length; i++) ranks[offset + i - 2] = Buffer.from(f[i]!, 'base64');
    } else throw new InputError('expected "base64 rank"', file, k + 1);
  }
  for (let r = 0; r < ranks.length; r++) if (!ranks[r]) throw new InputError(`rank ${r} is missing`, file);
  if (ranks.length === 0) throw new InputError('no ranks found', file);
  return ranks.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.length));
}

/** A Tokenizer from a rank table, a pre-tokenization regex and special tokens (content -> id). */
export function fromRanks(ranks: Uint8Array[], pattern: string, specials: Record<string, number>, config: TokenizerConfig = {}): Tokenizer {
  const idOf = new Map<string, number>();
  const key = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
  ranks.forEach((b, r) => idOf.set(key(b), r));
  const table = new MergeTable(ranks.length * 4);
  const merges: Array<[number, number]> = [];
  for (let r = 0; r < ranks.length; r++) {
    const b = ranks[r]!;
    if (b.length < 2) continue;
    const k = key(b);
    for (let s = 1; s < k.length; s++) {
      const a = idOf.get(k.slice(0, s));
      const c = idOf.get(k.slice(s));
      if (a === undefined || c === undefined) continue;
      table.add(a, c, r, r);
      // every split, in the order of the token it makes: tokenizer.json then merges as tiktoken does
      merges.push([a, c]);
    }
  }
  const spec = Object.entries(specials).map(([content, id]) => ({ content, id }));
  const eos = config.eosToken ?? (specials['<|endoftext|>'] !== undefined ? '<|endoftext|>' : undefined);
  return new Tokenizer({ tokens: ranks, merges, mergeTable: table, specials: spec, pattern, config: { ...config, eosToken: eos } });
}

/** Loads the GPT-2 or cl100k ranks shipped inside the npm `tiktoken` package (dev dependency; tests and benchmarks). */
export async function loadTiktokenEncoding(name: 'gpt2' | 'cl100k_base'): Promise<Tokenizer> {
  const { createRequire } = await import('node:module');
  const require = createRequire(import.meta.url);
  const file = require.resolve(`tiktoken/encoders/${name}.json`);
  const enc = JSON.parse(await readFile(file, 'utf8')) as { pat_str: string; special_tokens: Record<string, number>; bpe_ranks: string };
  return fromRanks(parseRanks(enc.bpe_ranks, file), enc.pat_str, enc.special_tokens);
}
