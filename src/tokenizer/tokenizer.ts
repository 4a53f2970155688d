// The Tokenizer: a byte-level BPE vocabulary with its merge table, pre-tokenizer and
// special tokens; encodes text (with a cache of encoded pieces), decodes ids to exact
// bytes, and renders chat templates. Files are read and written by hf-json.ts.

import { InputError, UsageError } from '../util/errors.js';
import { bpeEncode } from './bpe.js';
import { renderChat } from './chat.js';
import { decodeUtf8, encodeUtf8, encodeUtf8Into, bytesToByteLevel } from './bytes.js';
import { MergeTable } from './merges.js';
import { patternByRegex, regexSplitter, scanner, PATTERNS, type PatternName, type Splitter } from './pretokenize.js';

/** One message of an OpenAI-style chat. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | string;
  content: string;
}

/** What tokenizer_config.json holds that anvil uses. */
export interface TokenizerConfig {
  eosToken?: string;
  bosToken?: string;
  padToken?: string;
  unkToken?: string;
  chatTemplate?: string;
  modelMaxLength?: number;
  /** Everything else found in the file, written back unchanged. */
  extra?: Record<string, unknown>;
}

/** Everything a Tokenizer is made of. */
export interface TokenizerSpec {
  /** Bytes of each ordinary token, by id; undefined for ids that are special tokens. */
  tokens: Array<Uint8Array | undefined>;
  /** Merges in rank order, as pairs of ids (the merged id is the token of their concatenated bytes). */
  merges: Array<[number, number]>;
  /** Optional prebuilt merge table (e.g. from a rank table, with every split of every token). */
  mergeTable?: MergeTable;
  /** Added tokens; `special: false` marks one that is always matched (Hugging Face's non-special added tokens). */
  specials: Array<{ content: string; id: number; special?: boolean }>;
  /** The pre-tokenization regex (Oniguruma syntax, as in tokenizer.json). */
  pattern: string;
  config?: TokenizerConfig;
  /** Hugging Face's `ignore_merges`: a piece that is itself a token is not split. */
  ignoreMerges?: boolean;
  normalizer?: 'NFC' | 'NFKC';
}

/** Default ChatML-style template for anvil's own models. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

const CACHE_LIMIT = 1 << 18;

/** A byte-level BPE tokenizer. */
export class Tokenizer {
  readonly vocabSize: number;
  readonly eotId: number;
  readonly patternName: PatternName | undefined;
  readonly spec: TokenizerSpec;
  private readonly bytesOf: Array<Uint8Array>;
  private readonly special = new Map<string, number>();
  private readonly specialById = new Map<number, string>();
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly mergeTable: MergeTable;
  private readonly split: Splitter;
  private readonly specialRe: RegExp | undefined; // every added token
  private readonly addedRe: RegExp | undefined; // only the non-special ones, matched even without allowSpecial
  private cache = new Map<string, number | number[]>();
  private ends: Int32Array = new Int32Array(1024);
  private buf = new Uint8Array(1024);
  private wholeToken: Map<string, number> | undefined;

  constructor(spec: TokenizerSpec) {
    this.spec = spec;
    const n = Math.max(spec.tokens.length, ...spec.specials.map((s) => s.id + 1));
    this.vocabSize = n;
    this.bytesOf = new Array(n);
    const byKey = new Map<string, number>();
    for (let id = 0; id < spec.tokens.length; id++) {
      const t = spec.tokens[id];
      if (!t) continue;
      this.bytesOf[id] = t;
      if (t.length === 1 && this.byteIds[t[0]!] === -1) this.byteIds[t[0]!] = id;
      byKey.set(bytesToByteLevel(t), id);
    }
    for (const s of spec.specials) {
      this.special.set(s.content, s.id);
      this.specialById.set(s.id, s.content);
      this.bytesOf[s.id] = encodeUtf8(s.content);
    }
    // ids without a token (cl100k has a few) are allowed; decoding one is an error
    const missing = [...this.byteIds].findIndex((v) => v < 0);
    if (missing >= 0) throw new InputError(`the vocabulary has no token for byte 0x${missing.toString(16).padStart(2, '0')}; byte-level BPE needs all 256 bytes`);
    if (spec.mergeTable) this.mergeTable = spec.mergeTable;
    else {
      this.mergeTable = new MergeTable(spec.merges.length);
      spec.merges.forEach(([a, b], rank) => {
        const key = bytesToByteLevel(this.bytesOf[a]!) + bytesToByteLevel(this.bytesOf[b]!);
        const id = byKey.get(key);
        if (id === undefined) throw new InputError(`merge ${rank} (${a} ${b}) produces a token that is not in the vocabulary`);
        this.mergeTable.add(a, b, rank, id);
      });
    }
    if (spec.ignoreMerges) this.wholeToken = byKey;
    this.patternName = patternByRegex(spec.pattern);
    this.split = this.patternName ? scanner(this.patternName) : regexSplitter(spec.pattern);
    const alternation = (list: Array<{ content: string }>) =>
      list.length === 0
        ? undefined
        : new RegExp(
            list
              .map((s) => s.content)
              .sort((a, b) => b.length - a.length)
              .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
              .join('|'),
            'g',
          );
    this.specialRe = alternation(spec.specials);
    this.addedRe = alternation(spec.specials.filter((s) => s.special === false));
    const cfg = spec.config ?? {};
    const eot = [cfg.eosToken, '<|endoftext|>', '<|end_of_text|>', '</s>', '<|im_end|>'].find((t) => t !== undefined && this.special.has(t));
    this.eotId = eot === undefined ? -1 : this.special.get(eot)!;
  }

  /** Builds a tokenizer with one of the built-in pre-tokenization patterns. */
  static fromParts(tokens: Uint8Array[], merges: Array<[number, number]>, specials: string[], pattern: PatternName, config: TokenizerConfig = {}): Tokenizer {
    const specs = specials.map((content, k) => ({ content, id: tokens.length + k }));
    return new Tokenizer({ tokens, merges, specials: specs, pattern: PATTERNS[pattern], config });
  }

  /** Reads DIR/tokenizer.json (and DIR/tokenizer_config.json when present). */
  static async load(dir: string): Promise<Tokenizer> {
    const { loadTokenizerDir } = await import('./hf-json.js');
    return loadTokenizerDir(dir);
  }

  /** Writes DIR/tokenizer.json and DIR/tokenizer_config.json. */
  async save(dir: string): Promise<void> {
    const { saveTokenizerDir } = await import('./hf-json.js');
    return saveTokenizerDir(this, dir);
  }

  /** The special tokens, by id. */
  get specialTokens(): Array<{ content: string; id: number }> {
    return this.spec.specials;
  }

  /** The id of a special token, if the tokenizer has it. */
  specialTokenId(text: string): number | undefined {
    return this.special.get(text);
  }

  /** Whether an id is a special (added) token. */
  isSpecial(id: number): boolean {
    return this.specialById.has(id);
  }

  /** Bytes the token decodes to (0 for special tokens), for bits-per-byte. */
  tokenByteLength(id: number): number {
    if (this.specialById.has(id) && this.spec.specials.find((s) => s.id === id)?.special !== false) return 0;
    const t = this.bytesOf[id];
    if (!t) throw new UsageError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return t.length;
  }

  /** The bytes of one token (a special token: its text). */
  tokenBytes(id: number): Uint8Array {
    const t = this.bytesOf[id];
    if (!t) throw new UsageError(`token id ${id} is outside the vocabulary (0..${this.vocabSize - 1})`);
    return t;
  }

  /**
   * Encodes text; special-token text is matched as such only when allowSpecial is set,
   * otherwise it is encoded as ordinary text.
   */
  encode(text: string, opts: { allowSpecial?: boolean } = {}): number[] {
    const out: number[] = [];
    this.encodeInto(text, out, opts.allowSpecial ?? false);
    return out;
  }

  /** Encodes text and appends the ids to out; starts[k] gets the UTF-16 offset where token k's piece starts, if given. */
  encodeInto(text: string, out: number[], allowSpecial = false, starts?: number[]): void {
    if (this.spec.normalizer) text = text.normalize(this.spec.normalizer);
    const re = allowSpecial ? this.specialRe : this.addedRe;
    if (!re) return this.encodeOrdinary(text, 0, text.length, out, starts);
    re.lastIndex = 0;
    let last = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      this.encodeOrdinary(text, last, m.index, out, starts);
      out.push(this.special.get(m[0])!);
      starts?.push(m.index);
      last = m.index + m[0].length;
    }
    this.encodeOrdinary(text, last, text.length, out, starts);
  }

  /** Encodes exact bytes (invalid UTF-8 included): valid stretches as text, each invalid byte as its own token. */
  encodeBytes(bytes: Uint8Array): number[] {
    const out: number[] = [];
    const dec = new TextDecoder('utf-8', { fatal: true });
    let i = 0;
    while (i < bytes.length) {
      const j = validUtf8Prefix(bytes, i);
      if (j > i) this.encodeOrdinary(dec.decode(bytes.subarray(i, j)), 0, -1, out);
      if (j < bytes.length) out.push(this.byteIds[bytes[j]!]!);
      i = j + 1;
    }
    return out;
  }

  private encodeOrdinary(text: string, start: number, end: number, out: number[], starts?: number[]): void {
    if (end < 0) end = text.length;
    if (end <= start) return;
    const [ends, count] = this.split(text, start, end, this.ends);
    this.ends = ends;
    const cache = this.cache;
    let prev = start;
    for (let k = 0; k < count; k++) {
      const e = ends[k]!;
      const before = out.length;
      if (e - prev === 1 && text.charCodeAt(prev) < 128) {
        out.push(this.byteIds[text.charCodeAt(prev)]!);
      } else {
        const key = text.slice(prev, e);
        const hit = cache.get(key);
        if (hit !== undefined) {
          if (typeof hit === 'number') out.push(hit);
          else for (let q = 0; q < hit.length; q++) out.push(hit[q]!);
        } else {
          const ids = this.encodePiece(text, prev, e);
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(key, ids.length === 1 ? ids[0]! : ids);
          for (let q = 0; q < ids.length; q++) out.push(ids[q]!);
        }
      }
      if (starts) for (let q = before; q < out.length; q++) starts.push(prev);
      prev = e;
    }
  }

  private encodePiece(text: string, start: number, end: number): number[] {
    if (this.buf.length < (end - start) * 3) this.buf = new Uint8Array((end - start) * 3 * 2);
    const n = encodeUtf8Into(text, start, end, this.buf);
    const ids: number[] = [];
    if (this.wholeToken) {
      const id = this.wholeToken.get(bytesToByteLevel(this.buf.subarray(0, n)));
      if (id !== undefined) return [id];
    }
    bpeEncode(this.buf, n, this.byteIds, this.mergeTable, ids);
    return ids;
  }

  /** The exact bytes the ids stand for (special tokens contribute their text). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    let n = 0;
    for (let k = 0; k < ids.length; k++) n += this.tokenBytes(ids[k]!).length;
    const out = new Uint8Array(n);
    let o = 0;
    for (let k = 0; k < ids.length; k++) {
      const t = this.bytesOf[ids[k]!]!;
      out.set(t, o);
      o += t.length;
    }
    return out;
  }

  /** Decodes ids to text; lossless where the ids came from encode (lone surrogates included). */
  decode(ids: ArrayLike<number>): string {
    return decodeUtf8(this.decodeBytes(ids));
  }

  /**
   * Renders messages with the chat template (the tokenizer's own, or ChatML) and
   * returns the text, its ids and a mask of the assistant tokens (end-of-turn included)
   * for supervised fine-tuning.
   */
  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): { text: string; ids: number[]; assistantMask: Uint8Array } {
    return renderChat(this, messages, opts.addGenerationPrompt ?? false, CHATML_TEMPLATE);
  }
}

/** End of the longest valid UTF-8 stretch starting at i. */
function validUtf8Prefix(b: Uint8Array, i: number): number {
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f; // no surrogates in strict UTF-8
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return i;
}
