// Reads and writes Hugging Face's tokenizer.json (byte-level BPE model, Split +
// ByteLevel pre-tokenizer, ByteLevel decoder, added tokens) and tokenizer_config.json
// (special tokens, chat template), so the same files work in transformers,
// transformers.js and llama.cpp's converters.

import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { byteLevelToBytes, bytesToByteLevel } from './bytes.js';
import { PATTERNS } from './pretokenize.js';
import { Tokenizer, type TokenizerConfig } from './tokenizer.js';

type Json = Record<string, unknown>;

/** The tokenizer.json object of a tokenizer. */
export function toTokenizerJson(tok: Tokenizer): Json {
  const spec = tok.spec;
  const vocab: Record<string, number> = {};
  spec.tokens.forEach((t, id) => {
    if (t) vocab[bytesToByteLevel(t)] = id;
  });
  const name = (id: number) => bytesToByteLevel(spec.tokens[id]!);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: spec.specials.map((s) => ({ id: s.id, content: s.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: s.special !== false })),
    normalizer: spec.normalizer ? { type: spec.normalizer } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: spec.pattern }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: spec.ignoreMerges ?? false,
      vocab,
      // "a b" strings: read by every version of tokenizers (byte-level tokens never hold a space)
      merges: spec.merges.map(([a, b]) => `${name(a)} ${name(b)}`),
    },
  };
}

/** The tokenizer_config.json object of a tokenizer. */
export function toTokenizerConfig(tok: Tokenizer): Json {
  const cfg = tok.spec.config ?? {};
  const decoderTable: Record<string, Json> = {};
  for (const s of tok.spec.specials) {
    decoderTable[String(s.id)] = { content: s.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: s.special !== false };
  }
  return {
    ...(cfg.extra ?? {}),
    added_tokens_decoder: decoderTable,
    bos_token: cfg.bosToken ?? null,
    eos_token: cfg.eosToken ?? null,
    pad_token: cfg.padToken ?? null,
    unk_token: cfg.unkToken ?? null,
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: cfg.modelMaxLength ?? 1_000_000_000_000_000_000,
    tokenizer_class: 'PreTrainedTokenizerFast',
    ...(cfg.chatTemplate ? { chat_template: cfg.chatTemplate } : {}),
  };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(file + '.tmp', text);
  await rename(file + '.tmp', file);
}

/** Writes DIR/tokenizer.json and DIR/tokenizer_config.json. */
export async function saveTokenizerDir(tok: Tokenizer, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, 'tokenizer.json'), JSON.stringify(toTokenizerJson(tok), null, 1) + '\n');
  await writeAtomic(join(dir, 'tokenizer_config.json'), JSON.stringify(toTokenizerConfig(tok), null, 2) + '\n');
}

/** Reads DIR/tokenizer.json and, when present, DIR/tokenizer_config.json. */
export async function loadTokenizerDir(dir: string): Promise<Tokenizer> {
  const file = existsSync(join(dir, 'tokenizer.json')) ? join(dir, 'tokenizer.json') : dir.endsWith('.json') ? dir : join(dir, 'tokenizer.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new InputError(`cannot read tokenizer.json (looked in ${dir})`, file);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(`not valid JSON: ${(e as Error).message}`, file);
  }
  let config: Json | undefined;
  const cfgFile = join(dir, 'tokenizer_config.json');
  if (!dir.endsWith('.json') && existsSync(cfgFile)) {
    try {
      config = JSON.parse(await readFile(cfgFile, 'utf8')) as Json;
    } catch (e) {
      throw new InputError(`not valid JSON: ${(e as Error).message}`, cfgFile);
    }
  }
  return fromTokenizerJson(json, config, file);
}

function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as Json).content === 'string') return (v as Json).content as string;
  return undefined;
}

/** Reads the tokenizer_config.json fields anvil uses. */
export function parseTokenizerConfig(cfg: Json | undefined): TokenizerConfig {
  if (!cfg) return {};
  const { bos_token, eos_token, pad_token, unk_token, chat_template, model_max_length, added_tokens_decoder: _a, ...extra } = cfg;
  let chatTemplate: string | undefined;
  if (typeof chat_template === 'string') chatTemplate = chat_template;
  else if (Array.isArray(chat_template)) {
    // a list of named templates: use "default"
    const def = (chat_template as Json[]).find((t) => t.name === 'default') ?? chat_template[0];
    if (def && typeof (def as Json).template === 'string') chatTemplate = (def as Json).template as string;
  }
  return {
    bosToken: tokenText(bos_token),
    eosToken: tokenText(eos_token),
    padToken: tokenText(pad_token),
    unkToken: tokenText(unk_token),
    chatTemplate,
    modelMaxLength: typeof model_max_length === 'number' ? model_max_length : undefined,
    extra,
  };
}

/** Builds a Tokenizer from a parsed tokenizer.json (and tokenizer_config.json); errors name the file and field. */
export function fromTokenizerJson(json: unknown, configJson: Json | undefined, file = 'tokenizer.json'): Tokenizer {
  const fail = (msg: string): never => {
    throw new InputError(msg, file);
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('expected a JSON object with a "model" field');
  const root = json as Json;
  const model = root.model as Json | undefined;
  if (!model || typeof model !== 'object') fail('missing field "model"');
  if (model!.type !== undefined && model!.type !== 'BPE') fail(`field "model.type" is "${String(model!.type)}"; only byte-level "BPE" is supported`);
  if (!model!.vocab || typeof model!.vocab !== 'object' || Array.isArray(model!.vocab)) fail('field "model.vocab" must be an object of token -> id');
  if (!Array.isArray(model!.merges)) fail('field "model.merges" must be an array');
  // pre-tokenizer: the regex of a Split, or GPT-2's built into ByteLevel(use_regex)
  let pattern: string | undefined;
  let byteLevel = false;
  const visit = (p: unknown) => {
    if (!p || typeof p !== 'object') return;
    const o = p as Json;
    if (o.type === 'Sequence') for (const q of (o.pretokenizers as unknown[]) ?? []) visit(q);
    else if (o.type === 'Split') {
      const pat = o.pattern as Json | undefined;
      if (pat && typeof pat.Regex === 'string') pattern ??= pat.Regex;
      else if (pat && typeof pat.String === 'string') pattern ??= (pat.String as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      else fail('field "pre_tokenizer" has a Split without a "pattern"');
    } else if (o.type === 'ByteLevel') {
      byteLevel = true;
      if (o.use_regex !== false) pattern ??= PATTERNS.gpt2;
      if (o.add_prefix_space === true) fail('field "pre_tokenizer": ByteLevel with add_prefix_space is not supported');
    } else fail(`field "pre_tokenizer" has type "${String(o.type)}", which anvil does not support`);
  };
  visit(root.pre_tokenizer);
  if (!byteLevel) fail('field "pre_tokenizer" has no ByteLevel step; only byte-level BPE is supported');
  let normalizer: 'NFC' | 'NFKC' | undefined;
  const norm = root.normalizer as Json | null | undefined;
  if (norm) {
    if (norm.type === 'NFC' || norm.type === 'NFKC') normalizer = norm.type;
    else fail(`field "normalizer" has type "${String(norm.type)}", which anvil does not support`);
  }
  const vocab = model!.vocab as Record<string, unknown>;
  const tokens: Array<Uint8Array | undefined> = [];
  const idOf = new Map<string, number>();
  for (const [text, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) fail(`field "model.vocab": token ${JSON.stringify(text)} has id ${JSON.stringify(id)}, not an integer >= 0`);
    const bytes = byteLevelToBytes(text);
    idOf.set(text, id as number);
    if (bytes) tokens[id as number] = bytes;
  }
  const specials: Array<{ content: string; id: number; special?: boolean }> = [];
  const added = root.added_tokens ?? [];
  if (!Array.isArray(added)) fail('field "added_tokens" must be an array');
  for (const [k, t] of (added as Json[]).entries()) {
    if (typeof t?.content !== 'string' || !Number.isInteger(t.id)) fail(`field "added_tokens[${k}]" needs "content" (string) and "id" (integer)`);
    specials.push({ content: t.content as string, id: t.id as number, ...(t.special === false ? { special: false } : {}) });
    tokens[t.id as number] = undefined;
  }
  const merges: Array<[number, number]> = [];
  for (const [k, m] of (model!.merges as unknown[]).entries()) {
    let a: string | undefined;
    let b: string | undefined;
    if (typeof m === 'string') {
      const sp = m.indexOf(' ', 1);
      if (sp > 0) (a = m.slice(0, sp)), (b = m.slice(sp + 1));
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') [a, b] = m as [string, string];
    const ia = a === undefined ? undefined : idOf.get(a);
    const ib = b === undefined ? undefined : idOf.get(b);
    if (ia === undefined || ib === undefined) fail(`field "model.merges[${k}]" (${JSON.stringify(m)}) names a token that is not in the vocabulary`);
    merges.push([ia!, ib!]);
  }
  const config = parseTokenizerConfig(configJson);
  try {
    return new Tokenizer({ tokens, merges, specials, pattern: pattern!, config, ignoreMerges: model!.ignore_merges === true, normalizer });
  } catch (e) {
    if (e instanceof InputError && !e.file) throw new InputError(e.message, file);
    throw e;
  }
}
