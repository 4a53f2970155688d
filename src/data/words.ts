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
// punctuation, 4 anything else.
const TOKEN_CLASS = new Uint8Array(0x10000);
const SURROGATE = /[\ud800-\udfff]/;
const PUNCT = /\p{P}/u;
const SPACE = /\s/u;
function tokenClass(c: number): number {
  let k = TOKEN_CLASS[c]!;
  if (k === 0) {
    const ch = String.fromCharCode(c);
    k = SPACE.test(ch) ? 1 : UNSPACED_CHAR.test(ch) ? 2 : PUNCT.test(ch) ? 3 : 4;
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

function pushSpan(n: number, s: number, e: number): void {
  if (n === scratchStart.length) {
    const a = new Int32Array(n * 2);
    const b = new Int32Array(n * 2);
    a.set(scratchStart);
    b.set(scratchEnd);
    scratchStart = a;
    scratchEnd = b;
  }
  scratchStart[n] = s;
  scratchEnd[n] = e;
}

/** splitWords(text, lang) as offsets. */
export function splitWordSpans(text: string, lang: string | undefined): WordSpans {
  let n = 0;
  const len = text.length;
  if (isUnspaced(lang) || (lang === undefined && UNSPACED_CHAR.test(text))) {
    if (SURROGATE.test(text)) {
      for (const m of text.matchAll(TOKEN_UNSPACED)) pushSpan(n++, m.index!, m.index! + m[0].length);
    } else {
      let start = -1;
      for (let i = 0; i < len; i++) {
        const k = tokenClass(text.charCodeAt(i));
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
    }
  } else {
    let start = -1;
    for (let i = 0; i < len; i++) {
      if (isSpace(text.charCodeAt(i))) {
        if (start >= 0) {
          pushSpan(n++, start, i);
          start = -1;
        }
      } else if (start < 0) start = i;
    }
    if (start >= 0) pushSpan(n++, start, len);
  }
  splits++;
  return { count: n, start: scratchStart, end: scratchEnd };
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

/** wordsOf(doc).length, without building the words when the text splits on whitespace. */
export function countWords(doc: { text: string; lang?: string; wordCache?: WordCache }): number {
  const c = doc.wordCache;
  if (c && c.stamp === splits && c.text === doc.text && c.lang === doc.lang) return c.spans.count;
  const text = doc.text;
  if (isUnspaced(doc.lang) || (doc.lang === undefined && UNSPACED_CHAR.test(text))) return countUnspaced(text);
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** splitUnspaced(text).length without the array. */
export function countUnspaced(text: string): number {
  if (SURROGATE.test(text)) return splitUnspaced(text).length;
  let n = 0;
  let inRun = false;
  for (let i = 0; i < text.length; i++) {
    const k = tokenClass(text.charCodeAt(i));
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
