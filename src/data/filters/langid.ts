// A faster scorer for eld's 'small' model that returns exactly what eld.detect() does
// (same language, same score; langid.test.ts checks it against eld itself): the same text
// preparation, done in one pass over the text from a table of code units read off eld's
// own regex, and the same byte n-grams, each packed into two integers and looked up in a
// compact open-addressing table built once from eld's data; unique n-grams are tracked in
// a reused table and scores summed in a reused Int32Array. eld builds a string per
// n-gram, an object of them per call and loops for-in over its entries, which made
// language ID a third of the pipeline's CPU time. The model data and the
// text-preparation regex come from the installed eld package itself; if its internal
// files cannot be loaded, or hold what this layout cannot represent, eld.detect() is used
// unchanged.
// The built model is cached in a file (ANVIL_CACHE_DIR, else $XDG_CACHE_HOME/anvil or
// ~/.cache/anvil) keyed by the size and time of eld's data file and the Unicode version
// (the lower case of the code units comes from it): compiling that 1.6 MB JavaScript
// module, reading the regex for every code unit and building the table cost about a
// CPU-second per process or worker thread, reading the cache a few milliseconds.

import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../util/atomic-file.js';

interface EldData {
  languages: Record<number, string>;
  ngrams: Record<string, Record<number, number>>;
}

/** eld's fixed offset added to every stored n-gram score ("baseNgramScore"). */
const BASE_NGRAM_SCORE = 53;
/** eld's scale in orderAndScale(). */
const SCALE = 25;

// An n-gram (see eldDetect) is a string of symbols: a leading space or not, 1 to 4
// symbols of one word, and a trailing space or not; only the last n-gram of a word over 70
// bytes has more. The key of an n-gram whose symbols between its leading and trailing
// spaces are 1 to 4 and no space: lo = those symbols, s0 | s1 << 8 | s2 << 16 | s3 << 24
// (0 past the last); meta = lead | trail << 1 | (symbols - 1) << 2. Other n-grams can
// occur (some UTF-8 lead bytes are a space in eld's dictionary) but are not in eld's
// model (buildModel checks); they are only counted, as strings.
const mixKey = (lo: number, meta: number) => {
  let h = Math.imul(lo ^ Math.imul(meta + 1, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, 0xc2b2ae35);
};

// The model table, 2 int32 per slot (eight slots per cache line; 1 MB for eld's 81,206
// n-grams): [lo, meta | value << 4] (0: empty slot). The value of an n-gram of one
// language is ONE | lang << 1 | score << 7; of several, count << 1 | offset << 8, their
// entries in `entries` (lang | score << 6). Scores are eld's plus BASE_NGRAM_SCORE, 1-1023.
const ONE = 1;

interface Model {
  codes: string[];
  separators: RegExp;
  /** (256) Symbol of each UTF-8 byte >= 0x80: the code of eld's dictionary character for it. */
  symOfByte: Uint8Array;
  /** (65536) Per UTF-16 code unit, its class and the symbols of its lower case: see unitInfoOf. */
  unitInfo: Uint32Array;
  /** (2 * slots) The n-gram table, see above. */
  tab: Int32Array;
  /** Slot of a key: mixKey(lo, meta) >>> shift. */
  shift: number;
  /** (entries) Languages and scores of the n-grams of several languages. */
  entries: Uint16Array;
}

interface EldFiles {
  ngramsData: EldData;
  separators: RegExp;
  dictionary: string[];
}

/** eld's data, regex and byte dictionary, from the files its 'small' entry point loads. */
async function loadFiles(entry: string): Promise<EldFiles | undefined> {
  try {
    const [{ ngramsData }, { separators }, { dictionary }] = (await Promise.all([
      import(new URL('../ngrams/small.js', entry).href),
      import(new URL('../regexPatterns.js', entry).href),
      import(new URL('../dictionary.js', entry).href),
    ])) as [{ ngramsData: EldData }, { separators: RegExp }, { dictionary: string[] }];
    if (!(separators instanceof RegExp) || !Array.isArray(dictionary) || dictionary.length !== 256) return undefined;
    return { ngramsData, separators, dictionary };
  } catch {
    return undefined;
  }
}

const CACHE_MAGIC = 'ANVILELD';
const CACHE_FORMAT = 2;

/** The cache file for the installed eld data, or undefined when eld's files cannot be found. */
export function modelCachePath(entry: string): string | undefined {
  try {
    const st = statSync(fileURLToPath(new URL('../ngrams/small.js', entry)));
    const dir = process.env.ANVIL_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'anvil');
    return join(dir, `eld-small-${st.size}-${Math.floor(st.mtimeMs)}-u${process.versions.unicode ?? ''}-v${CACHE_FORMAT}.bin`);
  } catch {
    return undefined;
  }
}

interface CacheHeader {
  codes: string[];
  shift: number;
  tab: number;
  entries: number;
  littleEndian: boolean;
  /** The regex unitInfo was read off, and the Unicode version of its lower cases. */
  separators: string;
  unicode: string;
}

const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const regexText = (r: RegExp) => `/${r.source}/${r.flags}`;

/**
 * The file: magic, uint32 header length, JSON header (CacheHeader), zero padding to 4
 * bytes, then symOfByte (256 bytes), unitInfo (uint32), tab (int32), entries (uint16).
 */
function writeModelCache(path: string, m: Model): void {
  const h: CacheHeader = { codes: m.codes, shift: m.shift, tab: m.tab.length, entries: m.entries.length, littleEndian: LITTLE, separators: regexText(m.separators), unicode: process.versions.unicode ?? '' };
  const head = Buffer.from(JSON.stringify(h));
  const start = Math.ceil((CACHE_MAGIC.length + 4 + head.length) / 4) * 4;
  const parts = [m.symOfByte, m.unitInfo, m.tab, m.entries];
  const out = Buffer.alloc(start + parts.reduce((s, p) => s + p.byteLength, 0));
  out.write(CACHE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(head.length, CACHE_MAGIC.length);
  head.copy(out, CACHE_MAGIC.length + 4);
  let at = start;
  for (const p of parts) {
    out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    at += p.byteLength;
  }
  writeFileAtomic(path, out, false);
}

/**
 * Deletes the cache files that earlier formats wrote for the same eld data beside `path`
 * (named eld-small-SIZE-MTIME-...-vN.bin, N below CACHE_FORMAT; 4.7 MB each for v1). Files
 * of other eld installs, or of the same format for another Unicode version, stay: another
 * project or Node version on the machine may be using them.
 */
function removeOlderCaches(path: string): void {
  const dir = dirname(path);
  const name = basename(path);
  const same = /^(eld-small-\d+-\d+-)/.exec(name)?.[1];
  if (!same) return;
  try {
    for (const f of readdirSync(dir)) {
      const v = /-v(\d+)\.bin$/.exec(f);
      if (f.startsWith(same) && v && Number(v[1]) < CACHE_FORMAT) rmSync(join(dir, f), { force: true });
    }
  } catch {
    // Best effort: a file left behind costs only disk space.
  }
}

/** A typed array of `length` items at byte `at` of b: a view where aligned, else a copy. */
function section<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(Type: { new (b: ArrayBufferLike, at: number, n: number): T; new (n: number): T; BYTES_PER_ELEMENT: number }, b: Buffer, at: number, length: number): T {
  const offset = b.byteOffset + at;
  if (offset % Type.BYTES_PER_ELEMENT === 0) return new Type(b.buffer, offset, length);
  const copy = new Type(length);
  new Uint8Array(copy.buffer).set(b.subarray(at, at + length * Type.BYTES_PER_ELEMENT));
  return copy;
}

/** The cached model, or undefined when absent or not valid for `separators`. */
function readModelCache(path: string, separators: RegExp): Model | undefined {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    if (b.toString('latin1', 0, CACHE_MAGIC.length) !== CACHE_MAGIC) return undefined;
    const n = b.readUInt32LE(CACHE_MAGIC.length);
    const h = JSON.parse(b.toString('utf8', CACHE_MAGIC.length + 4, CACHE_MAGIC.length + 4 + n)) as CacheHeader;
    const start = Math.ceil((CACHE_MAGIC.length + 4 + n) / 4) * 4;
    if (h.littleEndian !== LITTLE || !Array.isArray(h.codes) || h.separators !== regexText(separators) || h.unicode !== (process.versions.unicode ?? '')) return undefined;
    if (h.codes.length > 64 || h.tab !== 2 * 2 ** (32 - h.shift) || b.length !== start + 256 + 4 * 0x10000 + 4 * h.tab + 2 * h.entries) return undefined;
    const unitAt = start + 256;
    const tabAt = unitAt + 4 * 0x10000;
    const entriesAt = tabAt + 4 * h.tab;
    return {
      codes: h.codes,
      separators,
      shift: h.shift,
      symOfByte: section(Uint8Array, b, start, 256),
      unitInfo: section(Uint32Array, b, unitAt, 0x10000),
      tab: section(Int32Array, b, tabAt, h.tab),
      entries: section(Uint16Array, b, entriesAt, h.entries),
    };
  } catch {
    return undefined;
  }
}

/**
 * The model, from the cache or built from eld's files (then cached, best effort); or eld
 * itself when its files cannot be read as expected.
 */
async function loadModel(): Promise<{ model?: Model; eld?: { detect(t: string): { language: string; getScores(): Record<string, number> } } }> {
  let entry: string | undefined;
  try {
    entry = import.meta.resolve('eld/small');
  } catch {
    entry = undefined;
  }
  if (entry !== undefined) {
    const path = modelCachePath(entry);
    if (path !== undefined) {
      try {
        const { separators } = (await import(new URL('../regexPatterns.js', entry).href)) as { separators: unknown };
        const cached = separators instanceof RegExp ? readModelCache(path, separators) : undefined;
        if (cached) {
          removeOlderCaches(path);
          return { model: cached };
        }
      } catch {
        // fall through to building
      }
    }
    const files = await loadFiles(entry);
    const model = files ? buildModel(files) : undefined;
    if (model) {
      if (path !== undefined) {
        try {
          writeModelCache(path, model);
          removeOlderCaches(path);
        } catch {
          // A read-only or full disk only costs the next process the build.
        }
      }
      return { model };
    }
  }
  return { eld: (await import('eld/small')).eld };
}

/** Builds the model (about a second; then cached, see loadModel), or undefined if eld's data does not fit it. */
function buildModel(files: EldFiles): Model | undefined {
  const { ngramsData, separators, dictionary } = files;
  const n = Object.keys(ngramsData.languages).length;
  if (n > 64) return undefined;
  const codes: string[] = [];
  for (let i = 0; i < n; i++) codes.push(ngramsData.languages[i]!);
  const syms = symbolsOf(dictionary);
  if (!syms) return undefined;
  const table = buildTable(ngramsData.ngrams, syms.symOfChar, n);
  if (!table) return undefined;
  const unitInfo = new Uint32Array(0x10000);
  for (let u = 0; u < 0x10000; u++) unitInfo[u] = unitInfoOf(u, separators, syms.symOfByte);
  return { codes, separators, symOfByte: syms.symOfByte, unitInfo, ...table };
}

/** Symbols: ASCII characters are themselves; eld's other dictionary characters get 128, 129... */
function symbolsOf(dictionary: string[]): { symOfChar: Map<number, number>; symOfByte: Uint8Array } | undefined {
  const symOfChar = new Map<number, number>();
  for (let c = 0; c < 128; c++) symOfChar.set(c, c);
  const symOfByte = new Uint8Array(256);
  for (let b = 128; b < 256; b++) {
    const ch = dictionary[b]!;
    if (ch.length !== 1) return undefined;
    const c = ch.charCodeAt(0);
    if (!symOfChar.has(c)) symOfChar.set(c, symOfChar.size);
    const sym = symOfChar.get(c)!;
    if (sym > 255) return undefined;
    symOfByte[b] = sym;
  }
  return { symOfChar, symOfByte };
}

/**
 * The key of an n-gram, as [lo, meta], from its characters' symbols (see above): null
 * when a character is no symbol (eld never produces it), undefined when it has no key.
 */
function keyOf(ngram: string, symOf: (c: number) => number | undefined): [number, number] | null | undefined {
  const lead = ngram.startsWith(' ') ? 1 : 0;
  const trail = ngram.length > lead && ngram.endsWith(' ') ? 1 : 0;
  const inner = ngram.slice(lead, ngram.length - trail);
  let lo = 0;
  for (let i = 0; i < inner.length; i++) {
    const sym = symOf(inner.charCodeAt(i));
    if (sym === undefined) return null;
    lo |= sym << (8 * i);
  }
  if (inner.length === 0 || inner.length > 4 || inner.includes(' ')) return undefined;
  return [lo, lead | (trail << 1) | ((inner.length - 1) << 2)];
}

/** The n-gram table and entries (see ONE), or undefined when a score or count does not fit. */
function buildTable(ngrams: EldData['ngrams'], symOfChar: Map<number, number>, languages: number): Pick<Model, 'tab' | 'shift' | 'entries'> | undefined {
  const keys = Object.keys(ngrams);
  let bits = 10;
  while (1 << bits < keys.length * 1.6) bits++;
  const mask = 2 * (1 << bits) - 1;
  const tab = new Int32Array(2 * (1 << bits));
  const entries: number[] = [];
  for (const ngram of keys) {
    const key = keyOf(ngram, (c) => symOfChar.get(c));
    if (key === null) continue;
    if (key === undefined) return undefined; // eld could find it, this table could not
    const per = ngrams[ngram]!;
    const langs = Object.keys(per).map(Number);
    const score = (l: number) => per[l]! + BASE_NGRAM_SCORE;
    if (langs.length === 0 || langs.some((l) => !(l >= 0 && l < languages) || !Number.isInteger(per[l]) || score(l) < 1 || score(l) > 1023)) return undefined;
    let value: number;
    if (langs.length === 1) value = ONE | (langs[0]! << 1) | (score(langs[0]!) << 7);
    else {
      value = (langs.length << 1) | (entries.length << 8);
      for (const l of langs) entries.push(l | (score(l) << 6));
    }
    let o = (mixKey(key[0], key[1]) >>> (32 - bits)) << 1;
    while (tab[o + 1] !== 0) o = (o + 2) & mask;
    tab[o] = key[0];
    tab[o + 1] = key[1] | (value << 4);
  }
  if (entries.length >= 1 << 20) return undefined;
  return { tab, shift: 32 - bits, entries: Uint16Array.from(entries) };
}

// Classes of code units under eld's separators regex, /[^L]+(?<![\x27\x60\u2019])/gu with L
// its list of BMP letters: a LETTER is never replaced; a run of other units is replaced
// by one space up to its last unit that is a SEPARATOR, and the KEPT units after that
// (the apostrophes of the lookbehind) stay; a run of only KEPT units stays whole. With
// the u flag an astral character is one non-letter, as its two surrogates are here.
const LETTER = 1;
const SEPARATOR = 2;
const KEPT = 3;

/**
 * A code unit's class (bits 0-1) read off the regex itself, and for LETTER and KEPT units
 * the number of UTF-8 bytes of their lower case (bits 2-3) and the symbols of those bytes
 * (bits 4-11, 12-19, 20-27). The count is 0 where the lower case is not one unit whatever
 * the context (U+0130, whose lower case is two units, and the final-sigma Σ; texts with
 * them take the string path).
 */
function unitInfoOf(u: number, separators: RegExp, symOfByte: Uint8Array): number {
  const ch = String.fromCharCode(u);
  // 'a' u ',': u and ',' make one run, replaced whole, unless u is a letter. 'a' u 'a':
  // u alone, replaced only if a SEPARATOR.
  const cls = ('a' + ch + ',').replace(separators, '#').length === 3 ? LETTER : ('a' + ch + 'a').replace(separators, '#') === 'a#a' ? SEPARATOR : KEPT;
  if (cls === SEPARATOR) return cls;
  const l = ch.toLowerCase();
  if (l.length !== 1 || ('A' + ch + ' ').toLowerCase() !== 'a' + l + ' ' || (' ' + ch + 'A').toLowerCase() !== ' ' + l + 'a') return cls;
  const c = l.charCodeAt(0);
  // Letters and KEPT units are never spaces, nor surrogates, nor have one as lower case.
  if (c < 0x80) return cls | (1 << 2) | (c << 4);
  if (c < 0x800) return cls | (2 << 2) | (symOfByte[0xc0 | (c >> 6)]! << 4) | (symOfByte[0x80 | (c & 0x3f)]! << 12);
  return cls | (3 << 2) | (symOfByte[0xe0 | (c >> 12)]! << 4) | (symOfByte[0x80 | ((c >> 6) & 0x3f)]! << 12) | (symOfByte[0x80 | (c & 0x3f)]! << 20);
}

const loaded = await loadModel();
const model: Model | undefined = loaded.model;
let scores = new Int32Array(0);
// Symbols of the prepared text (at most ~384 bytes are read, and putSymbols writes 3
// past its end) and word bounds.
const buf = new Uint8Array(512);
const wordStart = new Int32Array(512);
const wordEnd = new Int32Array(512);
// Per-call set of n-gram keys seen, cleared by bumping a generation number.
const SEEN = 1024;
// Slots of 4 int32: [generation, lo, meta, unused].
const seen = new Int32Array(4 * SEEN);
let gen = 0;
/** The n-grams of a call that have no key (see above mixKey). */
const oddSeen = new Set<string>();
/** Where encodeWords stopped reading its string (-1: it read all of it). */
let stoppedAt = -1;
/** Characters prepared first; eld's 1,000 only when its byte budget was not reached in them. */
const FIRST_CUT = 480;

/** eld's strToUtf8Bytes as symbols in `buf`: returns the number of words, cut near 350-380 bytes. */
function encodeWords(str: string, symOfByte: Uint8Array): number {
  let words = 0;
  let n = 0;
  let start = 0;
  let countBytes = 0;
  stoppedAt = -1;
  for (let ii = 0; ii < str.length; ii++) {
    let c = str.charCodeAt(ii);
    if (c < 0x80) {
      if (c === 32) {
        if (n > start) {
          wordStart[words] = start;
          wordEnd[words++] = n;
          start = n;
        }
        if (countBytes > 350) {
          stoppedAt = ii;
          break;
        }
      } else buf[n++] = c;
      countBytes++;
    } else if (c < 0x800) {
      buf[n++] = symOfByte[0xc0 | (c >> 6)]!;
      buf[n++] = symOfByte[0x80 | (c & 0x3f)]!;
      countBytes += 2;
    } else if (c < 0xd800 || c >= 0xe000) {
      buf[n++] = symOfByte[0xe0 | (c >> 12)]!;
      buf[n++] = symOfByte[0x80 | ((c >> 6) & 0x3f)]!;
      buf[n++] = symOfByte[0x80 | (c & 0x3f)]!;
      countBytes += 3;
    } else {
      ii++;
      c = 0x10000 + (((c & 0x3ff) << 10) | (str.charCodeAt(ii) & 0x3ff));
      buf[n++] = symOfByte[0xf0 | (c >> 18)]!;
      buf[n++] = symOfByte[0x80 | ((c >> 12) & 0x3f)]!;
      buf[n++] = symOfByte[0x80 | ((c >> 6) & 0x3f)]!;
      buf[n++] = symOfByte[0x80 | (c & 0x3f)]!;
      countBytes += 4;
    }
    if (countBytes > 380) break;
  }
  if (n > start) {
    wordStart[words] = start;
    wordEnd[words++] = n;
  }
  return words;
}

/** Writes the symbols of unitInfo v at buf[n] (and up to 3 more, overwritten later); returns the new end. */
function putSymbols(v: number, n: number): number {
  buf[n] = v >>> 4;
  buf[n + 1] = v >>> 12;
  buf[n + 2] = v >>> 20;
  return n + ((v >>> 2) & 3);
}

/**
 * encodeWords(text.substring(0, 1000).replace(separators, ' ').trim().toLowerCase()) in
 * one pass over the text, from unitInfo; -1 when a unit has no context-free lower case
 * (the caller then takes the string path).
 */
function encodeText(text: string, unitInfo: Uint32Array): number {
  const end = Math.min(text.length, 1000);
  let words = 0;
  let n = 0;
  let start = 0;
  let countBytes = 0;
  let i = 0;
  outer: while (i < end) {
    const v = unitInfo[text.charCodeAt(i)]!;
    if ((v & 3) === LETTER) {
      if ((v & 12) === 0) return -1;
      const m = putSymbols(v, n);
      countBytes += m - n;
      n = m;
      if (countBytes > 380) break;
      i++;
      continue;
    }
    // A run of non-letters [i, q), replaced up to r (after its last SEPARATOR).
    let q = i;
    let r = i;
    while (q < end) {
      const k = unitInfo[text.charCodeAt(q)]! & 3;
      if (k === LETTER) break;
      q++;
      if (k === SEPARATOR) r = q;
    }
    // The space, unless trim() removes it (at the start; at the end it changes no word).
    if (r > i && i > 0) {
      if (n > start) {
        wordStart[words] = start;
        wordEnd[words++] = n;
        start = n;
      }
      if (countBytes > 350) break;
      countBytes++;
      if (countBytes > 380) break;
    }
    for (let j = r; j < q; j++) {
      const v = unitInfo[text.charCodeAt(j)]!;
      if ((v & 12) === 0) return -1;
      const m = putSymbols(v, n);
      countBytes += m - n;
      n = m;
      if (countBytes > 380) break outer;
    }
    i = q;
  }
  if (n > start) {
    wordStart[words] = start;
    wordEnd[words++] = n;
  }
  return words;
}

const SPACES = 0x20202020;

/**
 * Scores the n-gram [lead space] buf[from, to) [trailing space] unless seen in this call;
 * returns u, the count of unique n-grams with a key, plus one if it is one.
 */
function collect(lead: number, from: number, to: number, trail: number, u: number, m: Model): number {
  const len = to - from;
  let lo = buf[from]!;
  if (len > 1) lo |= buf[from + 1]! << 8;
  if (len > 2) lo |= buf[from + 2]! << 16;
  if (len > 3) lo |= buf[from + 3]! << 24;
  // Whether a symbol is a space (a zero byte of lo ^ SPACES; bytes past len are 0, not spaces).
  const x = lo ^ SPACES;
  if (len > 4 || ((x - 0x01010101) & ~x & 0x80808080) !== 0) return collectOdd(lead, from, to, trail, u, m);
  return collectKey(lo, lead | (trail << 1) | ((len - 1) << 2), u, m);
}

/** collect() for an n-gram with a space among its symbols or more than 4: by its string. */
function collectOdd(lead: number, from: number, to: number, trail: number, u: number, m: Model): number {
  let ngram = lead ? ' ' : '';
  for (let i = from; i < to; i++) ngram += String.fromCharCode(buf[i]!);
  if (trail) ngram += ' ';
  const key = keyOf(ngram, (c) => c);
  if (key) return collectKey(key[0], key[1], u, m);
  oddSeen.add(ngram);
  return u;
}

/** collect() for the key [lo, meta]: if new in this call, adds its scores. */
function collectKey(lo: number, meta: number, u: number, m: Model): number {
  const mixed = mixKey(lo, meta);
  let i = ((mixed >>> 10) & (SEEN - 1)) << 2;
  for (;;) {
    if (seen[i] !== gen) break;
    if (seen[i + 1] === lo && seen[i + 2] === meta) return u;
    i = (i + 4) & (4 * SEEN - 1);
  }
  seen[i] = gen;
  seen[i + 1] = lo;
  seen[i + 2] = meta;
  addScores(lo, meta, mixed >>> m.shift, m);
  return u + 1;
}

/** Adds the scores of the n-gram [lo, meta] of the model, if it has it; its home slot is given. */
function addScores(lo: number, meta: number, slot: number, m: Model): void {
  const { tab, entries } = m;
  const mask = tab.length - 1;
  let o = slot << 1;
  for (;;) {
    const hi = tab[o + 1]!;
    if (hi === 0) return;
    if (tab[o] === lo && (hi & 15) === meta) {
      const value = hi >>> 4;
      if (value & ONE) scores[(value >>> 1) & 63] += value >>> 7;
      else {
        const end = (value >>> 8) + ((value >>> 1) & 127);
        for (let e = value >>> 8; e < end; e++) {
          const x = entries[e]!;
          scores[x & 63] += x >>> 6;
        }
      }
      return;
    }
    o = (o + 2) & mask;
  }
}

/**
 * eld.detect(text) as { language, score }: the top language ('' when none) and its
 * score from getScores(). Only the first 1,000 characters count (eld's own cut).
 */
export function eldDetect(text: string): { language: string; score: number } {
  if (!model) {
    const r = loaded.eld!.detect(text);
    return { language: r.language, score: r.language ? (r.getScores()[r.language] ?? 0) : 0 };
  }
  const words = prepare(text, model);
  const { codes } = model;
  if (scores.length !== codes.length) scores = new Int32Array(codes.length);
  scores.fill(0);
  gen = (gen + 1) | 0;
  if (gen === 0) {
    seen.fill(0);
    gen = 1;
  }
  if (oddSeen.size > 0) oddSeen.clear(); // clear() allocates, even when empty
  // eld's getByteNgrams: 4-byte n-grams at stride 3, the first with a leading space, and
  // the word's last 4 bytes (or the whole word) between the spaces that apply. The length
  // cap of 70 bytes applies to the stride loop, not to the end of the last n-gram.
  let u = 0;
  for (let w = 0; w < words; w++) {
    const s0 = wordStart[w]!;
    const e0 = wordEnd[w]!;
    let len = e0 - s0;
    if (len > 70) len = 70;
    let j = 0;
    for (; j + 4 < len; j += 3) u = collect(j === 0 ? 1 : 0, s0 + j, s0 + j + 4, 0, u, model);
    u = collect(j === 0 ? 1 : 0, s0 + (len !== 3 ? Math.max(0, len - 4) : 0), e0, 1, u, model);
  }
  // eld's getMaxLang: the first strictly greatest positive score.
  let best = -1;
  let max = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v > max) {
      max = v;
      best = i;
    }
  }
  if (best < 0) return { language: '', score: 0 };
  const ngramScore = max / (u + oddSeen.size);
  return { language: codes[best]!, score: ngramScore / (ngramScore + SCALE) };
}

/**
 * The words of the text as eld prepares them (separators regex, trim, lower case, the
 * first 1,000 characters, ~380 bytes of the result), in `buf`, `wordStart` and `wordEnd`.
 */
function prepare(text: string, m: Model): number {
  // encodeText does it in one pass from a table of code units. Texts with a unit whose
  // lower case depends on context (Σ) or is longer (İ) take the string path, where
  // preparing fewer characters gives the same symbols when reading stopped (it stops only
  // at a space, after whole words) before the last space of the shorter preparation: only
  // what follows that space can differ (a separator run or a word cut in two, which
  // changes its replacement or a final sigma's lower case). Otherwise prepare all 1,000.
  const words = encodeText(text, m.unitInfo);
  if (words >= 0) return words;
  const { separators, symOfByte } = m;
  if (text.length <= FIRST_CUT) return encodeWords(text.replace(separators, ' ').trim().toLowerCase(), symOfByte);
  const short = text.substring(0, FIRST_CUT).replace(separators, ' ').trim().toLowerCase();
  const first = encodeWords(short, symOfByte);
  if (stoppedAt >= 0 && stoppedAt < short.lastIndexOf(' ')) return first;
  return encodeWords(text.substring(0, 1000).replace(separators, ' ').trim().toLowerCase(), symOfByte);
}
