// Pre-tokenization: splitting text into the pieces BPE merges within. Three patterns,
// each given as the regex written into tokenizer.json (Oniguruma syntax that Rust
// `tokenizers`, tokenizers.js and llama.cpp read) and as a hand-written scanner that
// produces exactly the same pieces several times faster than the regex.
//   gpt2: GPT-2's pattern.
//   gpt4: cl100k's pattern (contractions in any case, digits in groups of 1-3, newlines apart).
//   cjk:  gpt4, but runs of Han characters are pieces of their own, apart from Latin
//         letters, digits and punctuation, so merges inside Chinese text are learned.
// `\s` means Unicode White_Space (as in Rust and Oniguruma, unlike JS's `\s`).

/** The names of the built-in pre-tokenization patterns. */
export type PatternName = 'gpt2' | 'gpt4' | 'cjk';

const CONTRACTIONS_CI = "'(?:[sS]|[tT]|[rR][eE]|[vV][eE]|[mM]|[lL][lL]|[dD])";
/** Han ideographs: CJK Unified Ideographs, Extension A, compatibility ideographs, Extensions B-H. */
const HAN_RANGES: Array<[number, number]> = [
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xf900, 0xfaff],
  [0x20000, 0x323af],
];
const HAN = '[' + HAN_RANGES.map(([a, b]) => `\\x{${a.toString(16).toUpperCase()}}-\\x{${b.toString(16).toUpperCase()}}`).join('') + ']';

/** The regex of each pattern, as written into tokenizer.json. */
export const PATTERNS: Record<PatternName, string> = {
  gpt2: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  gpt4: `${CONTRACTIONS_CI}|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
  cjk: `${CONTRACTIONS_CI}|[^\\r\\n\\p{L}\\p{N}]?(?:(?!${HAN})\\p{L})+|${HAN}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+`,
};

/** Other spellings of the same patterns found in published tokenizer.json files. */
const ALIASES: Record<string, PatternName> = {
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+": 'gpt4',
  "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+": 'gpt4',
};

/** Which built-in pattern a regex string is, if any. */
export function patternByRegex(regex: string): PatternName | undefined {
  for (const [name, r] of Object.entries(PATTERNS)) if (r === regex) return name as PatternName;
  return ALIASES[regex];
}

/**
 * Translates an Oniguruma-style pattern into a JS RegExp (global, unicode): `\s` as
 * White_Space, `\x{..}` code points, case-insensitive contraction groups expanded,
 * possessive quantifiers made plain (harmless in these patterns: what follows never
 * needs the characters back).
 */
export function toJsRegExp(pattern: string): RegExp {
  let p = pattern.replace(/\(\?i:([^()]*)\)/g, (_m, body: string) =>
    '(?:' + body.replace(/[a-zA-Z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`) + ')',
  );
  p = p
    .replace(/\\x\{([0-9a-fA-F]+)\}/g, '\\u{$1}')
    .replace(/\\s/g, '\\p{White_Space}')
    .replace(/\\S/g, '\\P{White_Space}')
    .replace(/(\{\d+(?:,\d*)?\}|(?<!\\)[?*+])\+/g, '$1');
  // Inside a character class, \P{White_Space} after ^ is fine; a negated class holding
  // \p{White_Space} is fine too, so no further rewriting is needed.
  return new RegExp(p, 'gu');
}

// Character classes, one byte per UTF-16 unit of the BMP: bit flags.
const LETTER = 1;
const NUMBER = 2;
const SPACE = 4;
const HANR = 8; // inside HAN_RANGES (assigned or not)

let bmpTable: Uint8Array | undefined;
const astralCache = new Map<number, number>();
const RE_L = /\p{L}/u;
const RE_N = /\p{N}/u;
const RE_S = /\p{White_Space}/u;

function computeFlags(cp: number): number {
  const ch = String.fromCodePoint(cp);
  let f = 0;
  if (RE_L.test(ch)) f |= LETTER;
  if (RE_N.test(ch)) f |= NUMBER;
  if (RE_S.test(ch)) f |= SPACE;
  for (const [a, b] of HAN_RANGES) if (cp >= a && cp <= b) f |= HANR;
  return f;
}

function table(): Uint8Array {
  if (bmpTable) return bmpTable;
  const t = new Uint8Array(65536);
  // Surrogates are classified as code points only when paired; alone they are "other".
  for (let cp = 0; cp < 65536; cp++) if (cp < 0xd800 || cp > 0xdfff) t[cp] = computeFlags(cp);
  bmpTable = t;
  return t;
}

function astralFlags(cp: number): number {
  let f = astralCache.get(cp);
  if (f === undefined) {
    f = computeFlags(cp);
    astralCache.set(cp, f);
  }
  return f;
}

/**
 * Splits text into pieces; writes the end offset (UTF-16 index) of each piece into
 * `ends` (grown as needed) and returns [ends, count]. Piece k is text[ends[k-1], ends[k]).
 */
export type Splitter = (text: string, start: number, end: number, ends: Int32Array) => [Int32Array, number];

/** The fast scanner for a built-in pattern. */
export function scanner(name: PatternName): Splitter {
  const T = table();
  const gpt2 = name === 'gpt2';
  const cjk = name === 'cjk';
  return (text, start, end, ends) => {
    let count = 0;
    let i = start;
    // flags and width (1 or 2 units) of the code point at position p
    let w = 1;
    const flagsAt = (p: number): number => {
      const c = text.charCodeAt(p);
      if (c >= 0xd800 && c <= 0xdbff && p + 1 < end) {
        const d = text.charCodeAt(p + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          w = 2;
          return astralFlags(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
        }
      }
      w = 1;
      return T[c]!;
    };
    // in the cjk pattern a "letter" run excludes Han; Han runs are their own class
    const isLet = (f: number) => (f & LETTER) !== 0 && !(cjk && (f & HANR) !== 0);
    const isOther = (f: number) => (f & (LETTER | NUMBER | SPACE)) === 0;
    const runLetters = (p: number): number => {
      while (p < end) {
        const f = flagsAt(p);
        if (!isLet(f)) break;
        p += w;
      }
      return p;
    };
    while (i < end) {
      if (count + 1 >= ends.length) {
        const grown = new Int32Array(ends.length * 2 + 64);
        grown.set(ends);
        ends = grown;
      }
      const c = text.charCodeAt(i);
      let j = -1;
      // contractions
      if (c === 39 && i + 1 < end) {
        const c1 = text.charCodeAt(i + 1) | (gpt2 ? 0 : 32);
        const c2 = i + 2 < end ? text.charCodeAt(i + 2) | (gpt2 ? 0 : 32) : 0;
        if (c1 === 115 || c1 === 116 || c1 === 109 || c1 === 100) j = i + 2; // s t m d
        else if ((c1 === 114 && c2 === 101) || (c1 === 118 && c2 === 101) || (c1 === 108 && c2 === 108)) j = i + 3; // re ve ll
      }
      if (j < 0) {
        const f = flagsAt(i);
        const wi = w;
        if (gpt2) {
          // ' ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+'
          let p = i;
          let g = f;
          if (c === 32 && i + 1 < end) {
            const f1 = flagsAt(i + 1);
            if (!(f1 & SPACE)) (p = i + 1), (g = f1);
          }
          if (g & LETTER) {
            p += w;
            while (p < end && flagsAt(p) & LETTER) p += w;
            j = p;
          } else if (g & NUMBER) {
            p += w;
            while (p < end && flagsAt(p) & NUMBER) p += w;
            j = p;
          } else if (isOther(g)) {
            p += w;
            while (p < end && isOther(flagsAt(p))) p += w;
            j = p;
          }
        } else {
          // '[^\r\n\p{L}\p{N}]?LETTERS+'
          if (isLet(f)) j = runLetters(i + wi);
          else if (c !== 13 && c !== 10 && !(f & (LETTER | NUMBER)) && i + wi < end && isLet(flagsAt(i + wi))) {
            j = runLetters(i + wi + w);
          } else if (cjk && f & HANR) {
            // HAN+
            let p = i + wi;
            while (p < end && flagsAt(p) & HANR) p += w;
            j = p;
          } else if (f & NUMBER) {
            // \p{N}{1,3}
            let p = i + wi;
            for (let k = 1; k < 3 && p < end && flagsAt(p) & NUMBER; k++) p += w;
            j = p;
          } else {
            // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
            let p = -1;
            if (c === 32 && i + 1 < end && isOther(flagsAt(i + 1))) p = i + 1 + w;
            else if (isOther(f)) p = i + wi;
            if (p >= 0) {
              while (p < end && isOther(flagsAt(p))) p += w;
              while (p < end && (text.charCodeAt(p) === 13 || text.charCodeAt(p) === 10)) p++;
              j = p;
            }
          }
        }
        if (j < 0) {
          // whitespace at i: '\s*[\r\n]+' (gpt4/cjk), then '\s+(?!\S)', then '\s+'
          let e = i;
          let lastNl = -1;
          while (e < end) {
            const ce = text.charCodeAt(e);
            if (!(T[ce]! & SPACE)) break; // all White_Space characters are in the BMP
            if (ce === 13 || ce === 10) lastNl = e;
            e++;
          }
          if (!gpt2 && lastNl >= 0) j = lastNl + 1;
          else if (e === end || e - i === 1) j = e;
          else j = e - 1;
        }
      }
      ends[count++] = j;
      i = j;
    }
    return [ends, count];
  };
}

/** A splitter from any regex (for tokenizer.json files whose pattern is not built in). */
export function regexSplitter(pattern: string): Splitter {
  const re = toJsRegExp(pattern);
  return (text, start, end, ends) => {
    let count = 0;
    const s = start === 0 && end === text.length ? text : text.slice(start, end);
    re.lastIndex = 0;
    let last = 0;
    const push = (e: number) => {
      if (count + 1 >= ends.length) {
        const grown = new Int32Array(ends.length * 2 + 64);
        grown.set(ends);
        ends = grown;
      }
      ends[count++] = start + e;
    };
    for (let m = re.exec(s); m; m = re.exec(s)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      // text the regex skips over stays a piece of its own ("Isolated" keeps everything)
      if (m.index > last) push(m.index);
      push(m.index + m[0].length);
      last = m.index + m[0].length;
    }
    if (last < s.length) push(s.length);
    return [ends, count];
  };
}

/** Splits a whole string into its pieces (convenient, slower than a Splitter). */
export function splitText(split: Splitter, text: string): string[] {
  const [ends, n] = split(text, 0, text.length, new Int32Array(64));
  const out: string[] = [];
  let prev = 0;
  for (let k = 0; k < n; k++) {
    out.push(text.slice(prev, ends[k]));
    prev = ends[k]!;
  }
  return out;
}
