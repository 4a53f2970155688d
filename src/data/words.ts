// Word and line splitting shared by the quality filters. Spaced languages split on
// whitespace with punctuation stripped from word edges; unspaced scripts (Chinese,
// Japanese, Thai...) count each character as a word, the character-based measure
// FineWeb-2's Chinese settings are closest to without a segmenter.

const UNSPACED_CHAR = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
const TOKEN_UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{P}]+|\p{P}/gu;

/** True when a language is written without spaces between words. */
export function isUnspaced(lang: string | undefined): boolean {
  return lang === 'zh' || lang === 'ja' || lang === 'th';
}

/** Words of a text; for unspaced languages, characters (and runs of other scripts). */
export function splitWords(text: string, lang: string | undefined): string[] {
  if (isUnspaced(lang) || (lang === undefined && UNSPACED_CHAR.test(text))) return splitUnspaced(text);
  return splitSpaces(text);
}

// Token classes of BMP code units for splitUnspaced, filled in on first sight from the
// regex's own character classes: 1 whitespace, 2 unspaced-script character, 3
// punctuation, 4 anything else; 5 half of a surrogate pair, which the regex reads as one
// astral character, so text with one goes through the regex itself.
const TOKEN_CLASS = new Uint8Array(0x10000);
const SURROGATE = /[\ud800-\udfff]/;
const PUNCT = /\p{P}/u;
const SPACE = /\s/u;
function tokenClass(c: number): number {
  let k = TOKEN_CLASS[c]!;
  if (k === 0) {
    const ch = String.fromCharCode(c);
    k = SURROGATE.test(ch) ? 5 : SPACE.test(ch) ? 1 : UNSPACED_CHAR.test(ch) ? 2 : PUNCT.test(ch) ? 3 : 4;
    TOKEN_CLASS[c] = k;
  }
  return k;
}

/**
 * text.match(TOKEN_UNSPACED) in one pass: each unspaced-script character and each
 * punctuation mark alone, runs of anything else, whitespace dropped. Text with surrogate
 * pairs (astral characters) goes through the regex itself.
 */
export function splitUnspaced(text: string): string[] {
  if (SURROGATE.test(text)) return text.match(TOKEN_UNSPACED) ?? [];
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const k = tokenClass(text.charCodeAt(i));
    if (k === 4) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      out.push(text.slice(start, i));
      start = -1;
    }
    if (k !== 1) out.push(text[i]!);
  }
  if (start >= 0) out.push(text.slice(start));
  return out;
}

/** True for the code units JavaScript's \s matches. */
export function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Maximal runs of non-whitespace: text.split(/\s+/) without the empty strings, in one pass. */
export function splitSpaces(text: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) {
      if (start >= 0) {
        out.push(text.slice(start, i));
        start = -1;
      }
    } else if (start < 0) start = i;
  }
  if (start >= 0) out.push(text.slice(start));
  return out;
}

/**
 * Words as [start, end) offsets into the text, in the same split as splitWords, without
 * a string per word: the filters that only count, measure and hash words read the text.
 * The arrays are shared scratch, valid for `count` entries until the next split.
 */
export interface WordSpans {
  count: number;
  start: Int32Array;
  end: Int32Array;
}

// Scratch offsets, grown as needed, and the number of splits made (a cache stamp).
let scratchStart = new Int32Array(4096);
let scratchEnd = new Int32Array(4096);
let splits = 0;

// Spaced texts of up to SHORT_TEXT units (nearly all) are split into these fixed arrays
// instead: V8 compiles the split loop's stores against arrays it can take as constants
// measurably faster (a quarter of the split's time).
const SHORT_TEXT = 1 << 15;
const SHORT_START = new Int32Array((SHORT_TEXT >> 1) + 2);
const SHORT_END = new Int32Array((SHORT_TEXT >> 1) + 2);

/** Room for n spans in the scratch arrays, keeping those already written. */
function reserve(n: number): void {
  if (scratchStart.length >= n) return;
  const size = Math.max(n, scratchStart.length * 2);
  const a = new Int32Array(size);
  const b = new Int32Array(size);
  a.set(scratchStart);
  b.set(scratchEnd);
  scratchStart = a;
  scratchEnd = b;
}

function pushSpan(n: number, s: number, e: number): void {
  if (n === scratchStart.length) reserve(n + 1);
  scratchStart[n] = s;
  scratchEnd[n] = e;
}

/** splitWords(text, lang) as offsets. */
export function splitWordSpans(text: string, lang: string | undefined): WordSpans {
  splits++;
  const unspaced = isUnspaced(lang) || (lang === undefined && UNSPACED_CHAR.test(text));
  if (!unspaced && text.length <= SHORT_TEXT) {
    return { count: spacedBlock(text, 0, text.length, SHORT_START, SHORT_END, 0), start: SHORT_START, end: SHORT_END };
  }
  // These splits may grow the scratch arrays, so they are read once it is done.
  const n = unspaced ? unspacedSpans(text) : longSpacedSpans(text);
  return { count: n, start: scratchStart, end: scratchEnd };
}

/** 1 for the code units isSpace accepts, 0 for the others: splits and hashes read it without a branch. */
export const SPACE_UNIT = new Uint8Array(0x10000);
for (let c = 0; c < 0x10000; c++) if (isSpace(c)) SPACE_UNIT[c] = 1;

// Code units split per block of a long text between checks of the scratch size.
const SPLIT_BLOCK = 1 << 16;

/**
 * Maximal runs of non-whitespace in text[from, to) into start/end after the n words
 * before `from` (the unit before it says whether the last of them goes on); returns the
 * count. The arrays need room for n + (to - from + 1) / 2 + 1 entries. Words are a few
 * units long, so a branch at every edge between word and gap is mispredicted often;
 * instead every unit stores its offset as a candidate start and end, and the counts move
 * on only at the edges (arithmetic, no branch).
 */
function spacedBlock(text: string, from: number, to: number, start: Int32Array, end: Int32Array, n: number): number {
  let gap = from === 0 ? 1 : SPACE_UNIT[text.charCodeAt(from - 1)]!;
  let m = n - (gap ^ 1);
  for (let i = from; i < to; i++) {
    const space = SPACE_UNIT[text.charCodeAt(i)]!;
    start[n] = i;
    end[m] = i;
    n += gap & (space ^ 1);
    m += (gap ^ 1) & space;
    gap = space;
  }
  if (to === text.length && gap === 0) end[m] = to;
  return n;
}

/** spacedBlock over a long text, block by block, so that the scratch grows with the words found. */
function longSpacedSpans(text: string): number {
  let n = 0;
  for (let from = 0; from < text.length; from += SPLIT_BLOCK) {
    const to = Math.min(text.length, from + SPLIT_BLOCK);
    reserve(n + ((to - from + 1) >> 1) + 1);
    n = spacedBlock(text, from, to, scratchStart, scratchEnd, n);
  }
  return n;
}

/** The regex's tokens into the scratch spans, for text with astral characters. */
function regexSpans(text: string): number {
  let n = 0;
  for (const m of text.matchAll(TOKEN_UNSPACED)) pushSpan(n++, m.index!, m.index! + m[0].length);
  return n;
}

/** splitUnspaced's tokens into the scratch spans; returns their number. */
function unspacedSpans(text: string): number {
  let n = 0;
  const len = text.length;
  let start = -1;
  for (let i = 0; i < len; i++) {
    const k = tokenClass(text.charCodeAt(i));
    if (k === 5) return regexSpans(text);
    if (k === 4) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      pushSpan(n++, start, i);
      start = -1;
    }
    if (k !== 1) pushSpan(n++, i, i + 1);
  }
  if (start >= 0) pushSpan(n++, start, len);
  return n;
}

/** Word spans of a document, cached on it while its text and language stay the same. */
export function wordSpansOf(doc: { text: string; lang?: string; wordCache?: WordCache }): WordSpans {
  const c = doc.wordCache;
  if (c && c.stamp === splits && c.text === doc.text && c.lang === doc.lang) return c.spans;
  const spans = splitWordSpans(doc.text, doc.lang);
  doc.wordCache = { text: doc.text, lang: doc.lang, spans, stamp: splits };
  return spans;
}

/** What wordSpansOf caches on a document: valid while no other text was split since. */
export interface WordCache {
  text: string;
  lang: string | undefined;
  spans: WordSpans;
  stamp: number;
}

/** Words of a document as strings (splitWords, through the cached spans). */
export function wordsOf(doc: { text: string; lang?: string; wordCache?: WordCache }): string[] {
  const { count, start, end } = wordSpansOf(doc);
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = doc.text.slice(start[i]!, end[i]!);
  return out;
}

/**
 * wordsOf(doc).length without building the words, or `atMost` when there are more: a
 * caller that only compares the count with a bound stops reading the text there.
 */
export function countWords(doc: { text: string; lang?: string; wordCache?: WordCache }, atMost = Infinity): number {
  const c = doc.wordCache;
  if (c && c.stamp === splits && c.text === doc.text && c.lang === doc.lang) return Math.min(c.spans.count, atMost);
  const text = doc.text;
  if (isUnspaced(doc.lang) || (doc.lang === undefined && UNSPACED_CHAR.test(text))) return countUnspaced(text, atMost);
  // As spacedBlock counts, without the stores.
  let n = 0;
  let gap = 1;
  for (let i = 0; i < text.length && n < atMost; i++) {
    const space = SPACE_UNIT[text.charCodeAt(i)]!;
    n += gap & (space ^ 1);
    gap = space;
  }
  return Math.min(n, atMost);
}

/**
 * splitUnspaced(text.slice(from, to)).length without the array, or `atMost` when there
 * are more.
 */
export function countUnspaced(text: string, atMost = Infinity, from = 0, to = text.length): number {
  let n = 0;
  let inRun = false;
  for (let i = from; i < to && n < atMost; i++) {
    const k = tokenClass(text.charCodeAt(i));
    if (k === 5) return Math.min(splitUnspaced(text.slice(from, to)).length, atMost);
    if (k === 4) {
      if (!inRun) n++;
      inRun = true;
      continue;
    }
    inRun = false;
    if (k !== 1) n++;
  }
  return n;
}

const NOT_SYMBOL = /[^\p{P}\p{S}]/u;
const LETTER = /\p{L}/u;

// Classes of single code units, filled in on first sight with the same regexes: bit 1
// known, 2 punctuation or symbol, 4 letter. One-unit words (every character of Chinese
// text) then skip the regex.
const UNIT_CLASS = new Uint8Array(0x10000);
const PS = /[\p{P}\p{S}]/u;
function unitClass(c: number): number {
  let k = UNIT_CLASS[c]!;
  if (k === 0) {
    const ch = String.fromCharCode(c);
    k = 1 | (PS.test(ch) ? 2 : 0) | (LETTER.test(ch) ? 4 : 0);
    UNIT_CLASS[c] = k;
  }
  return k;
}

/** True when every character is punctuation or a symbol (ASCII fast path, then Unicode). */
export function isSymbolWord(word: string): boolean {
  if (word.length === 1 && word.charCodeAt(0) > 127) return (unitClass(word.charCodeAt(0)) & 2) !== 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) return false;
    if (c > 127) return !NOT_SYMBOL.test(word);
  }
  return true;
}

/** isSymbolWord(text.slice(s, e)) without the slice on the common paths. */
export function isSymbolSpan(text: string, s: number, e: number): boolean {
  if (e - s === 1 && text.charCodeAt(s) > 127) return (unitClass(text.charCodeAt(s)) & 2) !== 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) return false;
    if (c > 127) return !NOT_SYMBOL.test(text.slice(s, e));
  }
  return true;
}

/** A bit of wordShape: every character is punctuation or a symbol (isSymbolSpan). */
export const SYMBOL_WORD = 1;
/** A bit of wordShape: the word has a letter (hasLetterSpan). */
export const LETTER_WORD = 2;

// wordShape of one-unit words, filled in on first sight with isSymbolSpan and
// hasLetterSpan themselves; 4 marks an entry as known.
const UNIT_SHAPE = new Uint8Array(0x10000);

/**
 * isSymbolSpan and hasLetterSpan of text.slice(s, e) as SYMBOL_WORD | LETTER_WORD bits:
 * one table lookup for one-unit words (every character of Chinese text), one test for
 * words that start with an ASCII letter (nearly every English word).
 */
export function wordShape(text: string, s: number, e: number): number {
  const c = text.charCodeAt(s);
  if (e - s === 1) {
    let k = UNIT_SHAPE[c]!;
    if (k === 0) {
      const ch = String.fromCharCode(c);
      k = 4 | (isSymbolSpan(ch, 0, 1) ? SYMBOL_WORD : 0) | (hasLetterSpan(ch, 0, 1) ? LETTER_WORD : 0);
      UNIT_SHAPE[c] = k;
    }
    return k & 3;
  }
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return LETTER_WORD;
  return (isSymbolSpan(text, s, e) ? SYMBOL_WORD : 0) | (hasLetterSpan(text, s, e) ? LETTER_WORD : 0);
}

/** hasLetter(text.slice(s, e)) without the slice on the common paths. */
export function hasLetterSpan(text: string, s: number, e: number): boolean {
  if (e - s === 1 && text.charCodeAt(s) > 127) return (unitClass(text.charCodeAt(s)) & 4) !== 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if ((c | 32) >= 97 && (c | 32) <= 122) return true;
    if (c > 127) return LETTER.test(text.slice(s, e));
  }
  return false;
}

/** True when the word has a letter of any script (ASCII fast path, then Unicode). */
export function hasLetter(word: string): boolean {
  if (word.length === 1 && word.charCodeAt(0) > 127) return (unitClass(word.charCodeAt(0)) & 4) !== 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if ((c | 32) >= 97 && (c | 32) <= 122) return true;
    if (c > 127) return LETTER.test(word);
  }
  return false;
}

/** Non-empty trimmed lines. */
export function splitLines(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}
