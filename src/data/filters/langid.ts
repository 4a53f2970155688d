// A faster scorer for eld's 'small' model that returns exactly what eld.detect() does
// (same language, same score; langid.test.ts checks it against eld itself): the same text
// preparation, done in one pass over the text from a table of code-unit classes read off
// eld's own regex, and the same byte n-grams, but each n-gram is packed into two integers
// and looked up in an open-addressing table built once from eld's data, unique n-grams are
// tracked in a reused table and scores summed in a reused Float64Array. eld builds a
// string per n-gram, an object of them per call and loops for-in over its entries, which
// made language ID a third of the pipeline's CPU time. The model data and the
// text-preparation regex come from the installed eld package itself; if its internal
// files cannot be loaded, eld.detect() is used unchanged.
// The built table is cached in a file (ANVIL_CACHE_DIR, else $XDG_CACHE_HOME/anvil or
// ~/.cache/anvil) keyed by the size and time of eld's data file: compiling that 1.6 MB
// JavaScript module and building the table cost about a CPU-second per process or worker
// thread, reading the cache a few milliseconds.

import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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

interface Model {
  codes: string[];
  separators: RegExp;
  /** Symbol (0-255) of each UTF-8 byte >= 0x80: the code of eld's dictionary character for it. */
  symOfByte: Uint8Array;
  /**
   * Open-addressing table of n-gram keys, 4 int32 per slot (one cache line holds four):
   * [lo, hi, first language | (its score + 53) << 8 (0: empty slot), entry in `packed` of
   * the other languages (-1: none)]. Keys: packed symbols, see below.
   */
  tab: Int32Array;
  /** Slot of a key: its mixed bits >>> shift. */
  shift: number;
  /** Per n-gram with several languages, the others: [count, lang, score + 53, ...]. */
  packed: Int32Array;
}

// An n-gram is at most 6 symbols (leading space, 4 bytes, trailing space); keys pack them
// with the length: lo = s0..s3, hi = s4 | s5 << 8 | length << 16. Keys of longer n-grams
// (only the last n-gram of a word over 70 bytes) cannot be in the model and are tracked
// as strings, only to count them.
const mixKey = (lo: number, hi: number) => Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);

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
const CACHE_FORMAT = 1;

/** The cache file for the installed eld data, or undefined when eld's files cannot be found. */
export function modelCachePath(entry: string): string | undefined {
  try {
    const st = statSync(fileURLToPath(new URL('../ngrams/small.js', entry)));
    const dir = process.env.ANVIL_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'anvil');
    return join(dir, `eld-small-${st.size}-${Math.floor(st.mtimeMs)}-v${CACHE_FORMAT}.bin`);
  } catch {
    return undefined;
  }
}

/**
 * The file: magic, uint32 header length, JSON header (codes, shift, array lengths, byte
 * order), zero padding to 4 bytes, then symOfByte (256 bytes), tab and packed (int32).
 */
function writeModelCache(path: string, m: Model): void {
  const head = Buffer.from(JSON.stringify({ codes: m.codes, shift: m.shift, tab: m.tab.length, packed: m.packed.length, littleEndian: LITTLE }));
  const start = Math.ceil((CACHE_MAGIC.length + 4 + head.length) / 4) * 4;
  const out = Buffer.alloc(start + 256 + 4 * (m.tab.length + m.packed.length));
  out.write(CACHE_MAGIC, 0, 'latin1');
  out.writeUInt32LE(head.length, CACHE_MAGIC.length);
  head.copy(out, CACHE_MAGIC.length + 4);
  out.set(m.symOfByte, start);
  out.set(new Uint8Array(m.tab.buffer, m.tab.byteOffset, m.tab.byteLength), start + 256);
  out.set(new Uint8Array(m.packed.buffer, m.packed.byteOffset, m.packed.byteLength), start + 256 + m.tab.byteLength);
  writeFileAtomic(path, out, false);
}

const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The cached model (without its regex), or undefined when absent or not valid. */
function readModelCache(path: string): Omit<Model, 'separators'> | undefined {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    if (b.toString('latin1', 0, CACHE_MAGIC.length) !== CACHE_MAGIC) return undefined;
    const n = b.readUInt32LE(CACHE_MAGIC.length);
    const h = JSON.parse(b.toString('utf8', CACHE_MAGIC.length + 4, CACHE_MAGIC.length + 4 + n)) as { codes: string[]; shift: number; tab: number; packed: number; littleEndian: boolean };
    const start = Math.ceil((CACHE_MAGIC.length + 4 + n) / 4) * 4;
    if (h.littleEndian !== LITTLE || !Array.isArray(h.codes) || b.length !== start + 256 + 4 * (h.tab + h.packed)) return undefined;
    const tab = new Int32Array(h.tab);
    new Uint8Array(tab.buffer).set(b.subarray(start + 256, start + 256 + 4 * h.tab));
    const packed = new Int32Array(h.packed);
    new Uint8Array(packed.buffer).set(b.subarray(start + 256 + 4 * h.tab));
    return { codes: h.codes, shift: h.shift, symOfByte: Uint8Array.from(b.subarray(start, start + 256)), tab, packed };
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
    const cached = path !== undefined ? readModelCache(path) : undefined;
    if (cached) {
      try {
        const { separators } = (await import(new URL('../regexPatterns.js', entry).href)) as { separators: RegExp };
        if (separators instanceof RegExp) return { model: { ...cached, separators } };
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
        } catch {
          // A read-only or full disk only costs the next process the build.
        }
      }
      return { model };
    }
  }
  return { eld: (await import('eld/small')).eld };
}

/** Builds the lookup table (about 0.2 s; then cached, see loadModel). */
function buildModel(files: EldFiles): Model | undefined {
  const { ngramsData, separators, dictionary } = files;
  {
    const n = Object.keys(ngramsData.languages).length;
    const codes: string[] = [];
    for (let i = 0; i < n; i++) codes.push(ngramsData.languages[i]!);
    // Symbols: ASCII characters are themselves; other dictionary characters get 128, 129...
    const symOfChar = new Map<number, number>();
    for (let c = 0; c < 128; c++) symOfChar.set(c, c);
    const symOfByte = new Uint8Array(256);
    for (let b = 128; b < 256; b++) {
      const ch = dictionary[b]!;
      if (ch.length !== 1) return undefined;
      const c = ch.charCodeAt(0);
      if (!symOfChar.has(c)) symOfChar.set(c, 128 + symOfChar.size - 128);
      const sym = symOfChar.get(c)!;
      if (sym > 255) return undefined;
      symOfByte[b] = sym;
    }
    const keys = Object.keys(ngramsData.ngrams);
    let cap = 1024;
    let bits = 10;
    while (cap < keys.length * 2) {
      cap *= 2;
      bits++;
    }
    const tab = new Int32Array(4 * cap);
    const parts: number[] = [];
    for (const key of keys) {
      if (key.length > 6) continue;
      const s: number[] = [];
      for (let i = 0; i < key.length; i++) {
        const sym = symOfChar.get(key.charCodeAt(i));
        if (sym === undefined) break;
        s.push(sym);
      }
      if (s.length !== key.length) continue; // a character eld can never produce
      const kl = s[0]! | ((s[1] ?? 0) << 8) | ((s[2] ?? 0) << 16) | ((s[3] ?? 0) << 24);
      const kh = (s[4] ?? 0) | ((s[5] ?? 0) << 8) | (s.length << 16);
      let o = (mixKey(kl, kh) >>> (32 - bits)) << 2;
      while (tab[o + 2] !== 0) o = (o + 4) & (4 * cap - 1);
      const per = ngramsData.ngrams[key]!;
      const langs = Object.keys(per).map(Number);
      const score = (l: number) => per[l]! + BASE_NGRAM_SCORE;
      if (langs[0]! > 255 || langs.some((l) => !Number.isInteger(per[l]) || score(l) < 1 || score(l) >= 1 << 23)) return undefined;
      tab[o] = kl;
      tab[o + 1] = kh;
      tab[o + 2] = langs[0]! | (score(langs[0]!) << 8);
      tab[o + 3] = -1;
      if (langs.length > 1) {
        tab[o + 3] = parts.length;
        parts.push(langs.length - 1);
        for (const l of langs.slice(1)) parts.push(l, score(l));
      }
    }
    return { codes, separators, symOfByte, tab, shift: 32 - bits, packed: Int32Array.from(parts) };
  }
}

const loaded = await loadModel();
const model: Model | undefined = loaded.model;
let scores = new Float64Array(0);
// Symbols of the prepared text (at most ~384 bytes are read) and word bounds.
const buf = new Uint8Array(512);
const wordStart = new Int32Array(512);
const wordEnd = new Int32Array(512);
// Per-call set of n-gram keys seen, cleared by bumping a generation number.
const SEEN = 2048;
// Slots of 4 int32: [generation, lo, hi, unused].
const seen = new Int32Array(4 * SEEN);
let gen = 0;
let unique = 0;
const longSeen = new Set<string>();
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

// Classes of code units under eld's separators regex, /[^L]+(?<![\x27\x60\u2019])/gu with L
// its list of BMP letters: a LETTER is never replaced; a run of other units is replaced
// by one space up to its last unit that is a SEPARATOR, and the KEPT units after that
// (the apostrophes of the lookbehind) stay; a run of only KEPT units stays whole. With
// the u flag an astral character is one non-letter, as its two surrogates are here.
const LETTER = 1;
const SEPARATOR = 2;
const KEPT = 3;

/**
 * Per UTF-16 code unit, filled in on first sight: 0 not seen yet, else its class (low two
 * bits) and, above them, its lower case where that is one unit whatever the context (0
 * where not: U+0130, whose lower case is two units, and the final-sigma Σ; texts with
 * them take the regex path).
 */
const UNIT_INFO = new Uint32Array(0x10000);

/** Reads a code unit's class off the regex itself and its lower case off toLowerCase(). */
function learnUnit(u: number, separators: RegExp): number {
  const ch = String.fromCharCode(u);
  // 'a' u ',': u and ',' make one run, replaced whole, unless u is a letter. 'a' u 'a':
  // u alone, replaced only if a SEPARATOR.
  const cls = ('a' + ch + ',').replace(separators, '#').length === 3 ? LETTER : ('a' + ch + 'a').replace(separators, '#') === 'a#a' ? SEPARATOR : KEPT;
  let lower = 0;
  if (cls !== SEPARATOR) {
    const l = ch.toLowerCase();
    if (l.length === 1 && ('A' + ch + ' ').toLowerCase() === 'a' + l + ' ' && (' ' + ch + 'A').toLowerCase() === ' ' + l + 'a') lower = l.charCodeAt(0);
  }
  return (UNIT_INFO[u] = cls | (lower << 2));
}

/** Puts the symbols of the UTF-8 bytes of BMP code unit c (not a surrogate) in buf at n; returns the new end. */
function putUnit(c: number, n: number, symOfByte: Uint8Array): number {
  if (c < 0x80) {
    buf[n] = c;
    return n + 1;
  }
  if (c < 0x800) {
    buf[n] = symOfByte[0xc0 | (c >> 6)]!;
    buf[n + 1] = symOfByte[0x80 | (c & 0x3f)]!;
    return n + 2;
  }
  buf[n] = symOfByte[0xe0 | (c >> 12)]!;
  buf[n + 1] = symOfByte[0x80 | ((c >> 6) & 0x3f)]!;
  buf[n + 2] = symOfByte[0x80 | (c & 0x3f)]!;
  return n + 3;
}

/**
 * encodeWords(text.substring(0, 1000).replace(separators, ' ').trim().toLowerCase()) in
 * one pass over the text, from UNIT_INFO; -1 when a unit has no
 * context-free lower case (the caller then takes the string path).
 */
function encodeText(text: string, m: Model): number {
  const { separators, symOfByte } = m;
  const end = Math.min(text.length, 1000);
  let words = 0;
  let n = 0;
  let start = 0;
  let countBytes = 0;
  let i = 0;
  outer: while (i < end) {
    let c = text.charCodeAt(i);
    let v = UNIT_INFO[c]!;
    if (v === 0) v = learnUnit(c, separators);
    if ((v & 3) === LETTER) {
      c = v >>> 2;
      if (c === 0) return -1;
      // Letters and KEPT units are never spaces, nor surrogates.
      const m = putUnit(c, n, symOfByte);
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
      const u = text.charCodeAt(q);
      let k = UNIT_INFO[u]!;
      if (k === 0) k = learnUnit(u, separators);
      k &= 3;
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
      c = UNIT_INFO[text.charCodeAt(j)]! >>> 2;
      if (c === 0) return -1;
      const m = putUnit(c, n, symOfByte);
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

/** Adds the n-gram [lead space] buf[from, to) [trailing space] once per call. */
function addNgram(lead: boolean, from: number, to: number, trail: boolean, m: Model): void {
  const len = (lead ? 1 : 0) + (to - from) + (trail ? 1 : 0);
  if (len > 6) {
    let k = lead ? ' ' : '';
    for (let i = from; i < to; i++) k += String.fromCharCode(buf[i]!);
    if (!longSeen.has(k)) {
      longSeen.add(k);
      unique++;
    }
    return;
  }
  // Symbol k of the n-gram goes to byte k of lo (k < 4) or byte k - 4 of hi.
  let kl = lead ? 32 : 0;
  let kh = 0;
  let p = lead ? 1 : 0;
  for (let i = from; i < to; i++, p++) {
    if (p < 4) kl |= buf[i]! << (8 * p);
    else kh |= buf[i]! << (8 * (p - 4));
  }
  if (trail) {
    if (p < 4) kl |= 32 << (8 * p);
    else kh |= 32 << (8 * (p - 4));
  }
  kh |= len << 16;
  const mixed = mixKey(kl, kh);
  let i = ((mixed >>> 15) & (SEEN - 1)) << 2;
  for (;;) {
    if (seen[i] !== gen) break;
    if (seen[i + 1] === kl && seen[i + 2] === kh) return;
    i = (i + 4) & (4 * SEEN - 1);
  }
  seen[i] = gen;
  seen[i + 1] = kl;
  seen[i + 2] = kh;
  unique++;
  const { tab, packed } = m;
  const wrap = tab.length - 1;
  let o = (mixed >>> m.shift) << 2;
  for (;;) {
    const first = tab[o + 2]!;
    if (first === 0) return;
    if (tab[o] === kl && tab[o + 1] === kh) {
      scores[first & 255] += first >>> 8;
      const e = tab[o + 3]!;
      if (e >= 0) {
        const end = e + 1 + 2 * packed[e]!;
        for (let q = e + 1; q < end; q += 2) scores[packed[q]!] += packed[q + 1]!;
      }
      return;
    }
    o = (o + 4) & wrap;
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
  const { separators, codes, symOfByte } = model;
  // eld prepares the first 1,000 characters (separators regex, trim, lower case) and reads
  // ~380 bytes of the result: encodeText does both in one pass from a table of code units.
  // Texts with a unit whose lower case depends on context (Σ) or is longer (İ) take the
  // string path, where preparing fewer characters gives the same symbols when reading
  // stopped (it stops only at a space, after whole words) before the last space of the
  // shorter preparation: only what follows that space can differ (a separator run or a
  // word cut in two, which changes its replacement or a final sigma's lower case).
  // Otherwise prepare all 1,000.
  let words = encodeText(text, model);
  if (words < 0) {
    if (text.length > FIRST_CUT) {
      const short = text.substring(0, FIRST_CUT).replace(separators, ' ').trim().toLowerCase();
      words = encodeWords(short, symOfByte);
      if (stoppedAt < 0 || stoppedAt >= short.lastIndexOf(' ')) words = encodeWords(text.substring(0, 1000).replace(separators, ' ').trim().toLowerCase(), symOfByte);
    } else words = encodeWords(text.replace(separators, ' ').trim().toLowerCase(), symOfByte);
  }
  if (scores.length !== codes.length) scores = new Float64Array(codes.length);
  scores.fill(0);
  gen = (gen + 1) | 0;
  if (gen === 0) {
    seen.fill(0);
    gen = 1;
  }
  unique = 0;
  longSeen.clear();
  // eld's getByteNgrams: 4-byte n-grams at stride 3, the first with a leading space, and
  // the word's last 4 bytes (or the whole word) between the spaces that apply. The length
  // cap of 70 bytes applies to the stride loop, not to the end of the last n-gram.
  for (let w = 0; w < words; w++) {
    const s0 = wordStart[w]!;
    const e0 = wordEnd[w]!;
    let len = e0 - s0;
    if (len > 70) len = 70;
    let j = 0;
    for (; j + 4 < len; j += 3) addNgram(j === 0, s0 + j, s0 + j + 4, false, model);
    addNgram(j === 0, s0 + (len !== 3 ? Math.max(0, len - 4) : 0), e0, true, model);
  }
  // eld's getMaxLang: the first strictly greatest positive score.
  let best = -1;
  let max = 0;
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i]!;
    if (v > 0 && v > max) {
      max = v;
      best = i;
    }
  }
  if (best < 0) return { language: '', score: 0 };
  const ngramScore = max / unique;
  return { language: codes[best]!, score: ngramScore / (ngramScore + SCALE) };
}
