// A faster scorer for eld's 'small' model that returns exactly what eld.detect() does
// (same language, same score; langid.test.ts checks it against eld itself): the same text
// preparation and the same byte n-grams, but each n-gram is packed into two integers and
// looked up in an open-addressing table built once from eld's data, unique n-grams are
// tracked in a reused table and scores summed in a reused Float64Array. eld builds a
// string per n-gram, an object of them per call and loops for-in over its entries, which
// made language ID a third of the pipeline's CPU time. The model data and the
// text-preparation regex come from the installed eld package itself; if its internal
// files cannot be loaded, eld.detect() is used unchanged.

import { eld } from 'eld/small';

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
  /** Open-addressing table of n-gram keys (packed symbols, see keyLo/keyHi) -> entry in `packed`. */
  lo: Uint32Array;
  hi: Uint32Array;
  at: Int32Array;
  mask: number;
  /** Per n-gram: [count, lang, score + 53, lang, score + 53, ...]. */
  packed: Int32Array;
}

// An n-gram is at most 6 symbols (leading space, 4 bytes, trailing space); keys pack them
// with the length: lo = s0..s3, hi = s4 | s5 << 8 | length << 16. Keys of longer n-grams
// (only the last n-gram of a word over 70 bytes) cannot be in the model and are tracked
// as strings, only to count them.
const slot = (lo: number, hi: number, mask: number) => (Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 15) & mask;

interface EldFiles {
  ngramsData: EldData;
  separators: RegExp;
  dictionary: string[];
}

/** eld's data, regex and byte dictionary, from the files its 'small' entry point loads. */
async function loadFiles(): Promise<EldFiles | undefined> {
  try {
    const entry = import.meta.resolve('eld/small');
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

/** Builds the lookup table (about 0.2 s, so only on first use: importing stays cheap). */
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
    while (cap < keys.length * 2) cap *= 2;
    const lo = new Uint32Array(cap);
    const hi = new Uint32Array(cap);
    const at = new Int32Array(cap).fill(-1);
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
      const kl = (s[0]! | ((s[1] ?? 0) << 8) | ((s[2] ?? 0) << 16) | ((s[3] ?? 0) << 24)) >>> 0;
      const kh = ((s[4] ?? 0) | ((s[5] ?? 0) << 8) | (s.length << 16)) >>> 0;
      let i = slot(kl, kh, cap - 1);
      while (at[i]! >= 0) i = (i + 1) & (cap - 1);
      lo[i] = kl;
      hi[i] = kh;
      at[i] = parts.length;
      const per = ngramsData.ngrams[key]!;
      const langs = Object.keys(per);
      parts.push(langs.length);
      for (const l of langs) parts.push(Number(l), per[Number(l)]! + BASE_NGRAM_SCORE);
    }
    return { codes, separators, symOfByte, lo, hi, at, mask: cap - 1, packed: Int32Array.from(parts) };
  }
}

const files = await loadFiles();
let model: Model | undefined | null = null; // null: not built yet
let scores = new Float64Array(0);
// Symbols of the prepared text (at most ~384 bytes are read) and word bounds.
const buf = new Uint8Array(512);
const wordStart = new Int32Array(512);
const wordEnd = new Int32Array(512);
// Per-call set of n-gram keys seen, cleared by bumping a generation number.
const SEEN = 2048;
const seenLo = new Uint32Array(SEEN);
const seenHi = new Uint32Array(SEEN);
const seenGen = new Uint32Array(SEEN);
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
  kl >>>= 0;
  kh = (kh | (len << 16)) >>> 0;
  let i = slot(kl, kh, SEEN - 1);
  for (;;) {
    if (seenGen[i] !== gen) break;
    if (seenLo[i] === kl && seenHi[i] === kh) return;
    i = (i + 1) & (SEEN - 1);
  }
  seenGen[i] = gen;
  seenLo[i] = kl;
  seenHi[i] = kh;
  unique++;
  const { lo, hi, at, mask, packed } = m;
  let j = slot(kl, kh, mask);
  for (;;) {
    const e = at[j]!;
    if (e < 0) return;
    if (lo[j] === kl && hi[j] === kh) {
      const end = e + 1 + 2 * packed[e]!;
      for (let q = e + 1; q < end; q += 2) scores[packed[q]!] += packed[q + 1]!;
      return;
    }
    j = (j + 1) & mask;
  }
}

/**
 * eld.detect(text) as { language, score }: the top language ('' when none) and its
 * score from getScores(). Only the first 1,000 characters count (eld's own cut).
 */
export function eldDetect(text: string): { language: string; score: number } {
  if (model === null) model = files ? buildModel(files) : undefined;
  if (!model) {
    const r = eld.detect(text);
    return { language: r.language, score: r.language ? (r.getScores()[r.language] ?? 0) : 0 };
  }
  const { separators, codes, symOfByte } = model;
  // eld prepares the first 1,000 characters but reads only ~380 bytes of the result.
  // Preparing fewer gives the same symbols when reading stopped (it stops only at a space,
  // after whole words) before the last space of the shorter preparation: only what follows
  // that space can differ (a separator run or a word cut in two, which changes its
  // replacement or a final sigma's lower case). Otherwise prepare all 1,000.
  let words: number;
  if (text.length > FIRST_CUT) {
    const short = text.substring(0, FIRST_CUT).replace(separators, ' ').trim().toLowerCase();
    words = encodeWords(short, symOfByte);
    if (stoppedAt < 0 || stoppedAt >= short.lastIndexOf(' ')) words = encodeWords(text.substring(0, 1000).replace(separators, ' ').trim().toLowerCase(), symOfByte);
  } else words = encodeWords(text.replace(separators, ' ').trim().toLowerCase(), symOfByte);
  if (scores.length !== codes.length) scores = new Float64Array(codes.length);
  scores.fill(0);
  gen = (gen + 1) >>> 0;
  if (gen === 0) {
    seenGen.fill(0);
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
