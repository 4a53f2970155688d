// `anvil tokenizer train|encode|decode|stats|import`: trains a byte-level BPE tokenizer,
// encodes and decodes with one, measures bytes and characters per token, and converts
// tiktoken rank tables to tokenizer.json.

import { readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { parseInteger, formatDuration } from '../util/units.js';
import { Tokenizer, trainTokenizer, fromRanks, parseRanks, DEFAULT_SPECIALS, PATTERNS, type PatternName } from '../tokenizer/index.js';
import { listInputFiles, readTextBatches } from '../tokenizer/inputs.js';
import { tokenizerStats } from '../tokenizer/stats.js';
import { parseFlags, printJson, table, type Command } from './command.js';
import { Progress } from './progress.js';

const HELP = `anvil tokenizer: train, use and measure byte-level BPE tokenizers (tokenizer.json).

Usage:
  anvil tokenizer train --input <files or folders...> --vocab-size N --out DIR [flags]
  anvil tokenizer encode --tokenizer DIR (--text T | --input FILE) [--allow-special] [--json]
  anvil tokenizer decode --tokenizer DIR --ids 1,2,3 [--json]
  anvil tokenizer stats --tokenizer DIR --input <files...> [--sample-mb 8] [--json]
  anvil tokenizer import --ranks FILE --pattern gpt2|gpt4|REGEX [--special T=ID,...] --out DIR

train flags:
  --input PATH...        text files, JSONL with a "text" field (.gz allowed), or folders
                         (a folder from \`anvil data prepare\`: its docs/)
  --vocab-size N         final vocabulary size, special tokens included (32k = 32768)
  --out DIR              writes DIR/tokenizer.json and DIR/tokenizer_config.json
  --min-frequency N      stop when the best pair occurs fewer times (default 2)
  --special T,T,...      special tokens, end of text first (default ${DEFAULT_SPECIALS.join(',')})
  --pattern P            pre-tokenization: gpt2, gpt4 (default) or cjk (Han runs apart)
  --threads N            counting threads (default: cores, at most 8)
  --json                 print one JSON object with the result

encode prints the ids separated by spaces ({"ids": [...]} with --json); special-token
text is matched as special tokens only with --allow-special. decode prints the text.
stats prints bytes per token and characters per token, overall and per language.
import converts a tiktoken rank table (a .tiktoken file: "base64 rank" lines, as tiktoken
publishes GPT-2's and cl100k's) into tokenizer.json + tokenizer_config.json.

Examples:
  anvil tokenizer train --input corpus.txt docs.jsonl --vocab-size 32k --out tok/
  anvil tokenizer train --input data/prepared --vocab-size 65536 --pattern cjk --out tok-zh/
  anvil tokenizer encode --tokenizer tok/ --text "Hello, 世界" --json
  anvil tokenizer decode --tokenizer tok/ --ids 15496,11,220
  anvil tokenizer stats --tokenizer tok/ --input sample.jsonl
  anvil tokenizer import --ranks cl100k_base.tiktoken --pattern gpt4 --special '<|endoftext|>=100257' --out cl100k/`;

/** Collects --input values and the positionals after them. */
function inputsOf(values: { input?: string[] }, positionals: string[]): string[] {
  return [...(values.input ?? []), ...positionals];
}

function parseVocabSize(s: string | undefined): number {
  if (s === undefined) throw new UsageError('tokenizer train: --vocab-size is required (e.g. --vocab-size 32k)');
  const m = /^(\d+(?:\.\d+)?)([kK])?$/.exec(s.trim());
  if (!m) throw new UsageError(`tokenizer train: --vocab-size "${s}" is not a number (e.g. 32000 or 32k)`);
  const v = Number(m[1]) * (m[2] ? 1024 : 1);
  if (!Number.isInteger(v)) throw new UsageError(`tokenizer train: --vocab-size "${s}" is not a whole number`);
  return v;
}

async function train(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      input: { type: 'string', multiple: true },
      'vocab-size': { type: 'string' },
      out: { type: 'string' },
      'min-frequency': { type: 'string' },
      special: { type: 'string' },
      pattern: { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
    'tokenizer train',
    true,
  );
  const inputs = inputsOf(values, positionals);
  if (inputs.length === 0) throw new UsageError('tokenizer train: --input is required');
  if (!values.out) throw new UsageError('tokenizer train: --out DIR is required');
  const pattern = (values.pattern ?? 'gpt4') as PatternName;
  if (!['gpt2', 'gpt4', 'cjk'].includes(pattern)) throw new UsageError(`tokenizer train: --pattern must be gpt2, gpt4 or cjk, not "${values.pattern}"`);
  const vocabSize = parseVocabSize(values['vocab-size']);
  const start = Date.now();
  let countBar: Progress | undefined;
  let mergeBar: Progress | undefined;
  const tok = await trainTokenizer({
    inputs,
    vocabSize,
    pattern,
    minFrequency: values['min-frequency'] === undefined ? undefined : parseInteger(values['min-frequency'], '--min-frequency', 1),
    specialTokens: values.special === undefined ? undefined : values.special.split(',').filter((s) => s.length > 0),
    threads: values.threads === undefined ? undefined : parseInteger(values.threads, '--threads', 1, 64),
    onProgress: (p) => {
      if (p.phase === 'count') {
        countBar ??= new Progress('counting', Math.max(1, Math.round(p.totalBytes / 1e6)), 'MB');
        countBar.update(Math.round(p.bytes / 1e6));
      } else {
        if (!mergeBar) {
          countBar?.finish();
          mergeBar = new Progress('merging', p.target, 'merges');
        }
        mergeBar.update(p.merges, `pair count ${p.count}`);
      }
    },
  });
  if (mergeBar) mergeBar.finish();
  else countBar?.finish();
  await tok.save(values.out);
  const seconds = (Date.now() - start) / 1000;
  const result = { out: values.out, vocabSize: tok.vocabSize, merges: tok.spec.merges.length, pattern, specialTokens: tok.specialTokens, seconds };
  if (values.json) printJson(result);
  else {
    process.stdout.write(`wrote ${values.out}/tokenizer.json and tokenizer_config.json: ${tok.vocabSize} tokens (${result.merges} merges, ${pattern} pattern) in ${formatDuration(seconds)}\n`);
    if (tok.vocabSize < vocabSize) process.stdout.write(`note: the corpus ran out of pairs occurring often enough; the vocabulary has ${tok.vocabSize} of the ${vocabSize} tokens asked for\n`);
  }
  return 0;
}

function requireTokenizer(dir: string | undefined, sub: string): string {
  if (!dir) throw new UsageError(`tokenizer ${sub}: --tokenizer DIR is required`);
  return dir;
}

async function encode(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { tokenizer: { type: 'string' }, text: { type: 'string' }, input: { type: 'string' }, 'allow-special': { type: 'boolean' }, json: { type: 'boolean' } }, 'tokenizer encode');
  const tok = await Tokenizer.load(requireTokenizer(values.tokenizer, 'encode'));
  if ((values.text === undefined) === (values.input === undefined)) throw new UsageError('tokenizer encode: give exactly one of --text T or --input FILE');
  let ids: number[];
  if (values.text !== undefined) ids = tok.encode(values.text, { allowSpecial: values['allow-special'] });
  else {
    let bytes: Buffer;
    try {
      bytes = readFileSync(values.input!);
    } catch {
      throw new UsageError(`tokenizer encode: cannot read ${values.input}`);
    }
    // exact bytes, so invalid UTF-8 round-trips too
    ids = values['allow-special'] ? tok.encode(bytes.toString('utf8'), { allowSpecial: true }) : tok.encodeBytes(bytes);
  }
  if (values.json) printJson({ ids });
  else process.stdout.write(ids.join(' ') + '\n');
  return 0;
}

async function decode(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { tokenizer: { type: 'string' }, ids: { type: 'string' }, json: { type: 'boolean' } }, 'tokenizer decode');
  const tok = await Tokenizer.load(requireTokenizer(values.tokenizer, 'decode'));
  if (values.ids === undefined) throw new UsageError('tokenizer decode: --ids 1,2,3 is required');
  const ids = values.ids
    .split(/[\s,]+/)
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s);
      if (!Number.isInteger(v) || v < 0 || v >= tok.vocabSize) throw new UsageError(`tokenizer decode: id "${s}" is not a token id (0..${tok.vocabSize - 1})`);
      return v;
    });
  const text = tok.decode(ids);
  if (values.json) printJson({ text });
  else process.stdout.write(text + '\n');
  return 0;
}

async function stats(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { tokenizer: { type: 'string' }, input: { type: 'string', multiple: true }, 'sample-mb': { type: 'string' }, json: { type: 'boolean' } }, 'tokenizer stats', true);
  const tok = await Tokenizer.load(requireTokenizer(values.tokenizer, 'stats'));
  const inputs = inputsOf(values, positionals);
  if (inputs.length === 0) throw new UsageError('tokenizer stats: --input is required');
  const limit = (values['sample-mb'] === undefined ? 8 : parseInteger(values['sample-mb'], '--sample-mb', 1)) * 1e6;
  // documents: JSONL records, or paragraphs of text files
  const docs: string[] = [];
  let chars = 0;
  outer: for await (const batch of readTextBatches(listInputFiles(inputs), 1 << 16)) {
    for (const t of batch) {
      for (const d of t.split(/\n\s*\n/)) {
        docs.push(d);
        chars += d.length;
        if (chars >= limit) break outer;
      }
    }
  }
  const result = await tokenizerStats(tok, docs);
  if (values.json) printJson({ vocabSize: tok.vocabSize, languages: result });
  else {
    const rows = Object.entries(result).map(([lang, s]) => [lang, String(s.docs), String(s.bytes), String(s.tokens), s.bytesPerToken.toFixed(3), s.charsPerToken.toFixed(3)]);
    process.stdout.write(table(rows, ['language', 'docs', 'bytes', 'tokens', 'bytes/token', 'chars/token']) + '\n');
  }
  return 0;
}

async function importRanks(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { ranks: { type: 'string' }, pattern: { type: 'string' }, special: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } }, 'tokenizer import');
  if (!values.ranks) throw new UsageError('tokenizer import: --ranks FILE is required');
  if (!values.out) throw new UsageError('tokenizer import: --out DIR is required');
  if (!values.pattern) throw new UsageError('tokenizer import: --pattern is required (gpt2, gpt4, cjk or a regex)');
  const pattern = values.pattern in PATTERNS ? PATTERNS[values.pattern as PatternName] : values.pattern;
  const specials: Record<string, number> = {};
  for (const item of (values.special ?? '').split(',').filter((x) => x.length > 0)) {
    const at = item.lastIndexOf('=');
    const id = Number(item.slice(at + 1));
    if (at <= 0 || !Number.isInteger(id) || id < 0) throw new UsageError(`tokenizer import: --special "${item}" is not TOKEN=ID`);
    specials[item.slice(0, at)] = id;
  }
  let text: string;
  try {
    text = readFileSync(values.ranks, 'utf8');
  } catch {
    throw new UsageError(`tokenizer import: cannot read ${values.ranks}`);
  }
  const tok = fromRanks(parseRanks(text, values.ranks), pattern, specials);
  await tok.save(values.out);
  if (values.json) printJson({ out: values.out, vocabSize: tok.vocabSize, merges: tok.spec.merges.length });
  else process.stdout.write(`wrote ${values.out}/tokenizer.json and tokenizer_config.json: ${tok.vocabSize} tokens\n`);
  return 0;
}

export const tokenizerCommand: Command = {
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    switch (sub) {
      case 'train':
        return train(rest);
      case 'encode':
        return encode(rest);
      case 'decode':
        return decode(rest);
      case 'stats':
        return stats(rest);
      case 'import':
        return importRanks(rest);
      default:
        throw new UsageError(`tokenizer: ${sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`}; use train, encode, decode, stats or import (see anvil tokenizer --help)`);
    }
  },
};
