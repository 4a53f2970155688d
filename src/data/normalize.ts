// Text normalisation: mojibake repair (UTF-8 bytes that were decoded as Latin-1,
// Windows-1252 or GBK), Unicode NFC (not NFKC, which would turn CJK full-width
// punctuation "，。" into ASCII), control and zero-width characters, whitespace.

import iconv from 'iconv-lite';
import { isSpace } from './words.js';

// Windows-1252 bytes 0x80-0x9F that map to characters outside Latin-1.
const CP1252_HIGH: Record<number, number> = {
  0x20ac: 0x80, 0x201a: 0x82, 0x0192: 0x83, 0x201e: 0x84, 0x2026: 0x85, 0x2020: 0x86, 0x2021: 0x87, 0x02c6: 0x88,
  0x2030: 0x89, 0x0160: 0x8a, 0x2039: 0x8b, 0x0152: 0x8c, 0x017d: 0x8e, 0x2018: 0x91, 0x2019: 0x92, 0x201c: 0x93,
  0x201d: 0x94, 0x2022: 0x95, 0x2013: 0x96, 0x2014: 0x97, 0x02dc: 0x98, 0x2122: 0x99, 0x0161: 0x9a, 0x203a: 0x9b,
  0x0153: 0x9c, 0x017e: 0x9e, 0x0178: 0x9f,
};
const CONT = `\\u0080-\\u00bf${Object.keys(CP1252_HIGH).map((c) => `\\u${Number(c).toString(16).padStart(4, '0')}`).join('')}`;
// A UTF-8 lead byte followed by the right number of continuation bytes, all seen as
// single-byte characters. Legitimate Latin-1 text almost never has this shape.
const LATIN_MOJIBAKE = new RegExp(`(?:[\\u00c2-\\u00df][${CONT}]|[\\u00e0-\\u00ef][${CONT}]{2}|[\\u00f0-\\u00f4][${CONT}]{3})+`, 'g');

function byteOf(ch: number): number {
  return ch < 0x100 ? ch : CP1252_HIGH[ch]!;
}

function repairLatin(text: string): string {
  // Byte 0x9D is undefined in Windows-1252; decoders that turn it into U+FFFD leave
  // "â€�", which in practice is always the closing quote ” (E2 80 9D).
  if (text.includes('\u00e2\u20ac\ufffd')) text = text.replace(/\u00e2\u20ac\ufffd/g, '\u201d');
  return text.replace(LATIN_MOJIBAKE, (run) => {
    const bytes = Buffer.alloc(run.length);
    for (let i = 0; i < run.length; i++) bytes[i] = byteOf(run.charCodeAt(i));
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return run;
    }
  });
}

// Runs of CJK characters (plus the ASCII a GBK round trip can carry) that may be UTF-8
// bytes decoded as GBK. Genuine GBK text essentially never re-encodes to valid UTF-8
// over 4+ characters, because common hanzi leads (0xB0-0xF7) are not UTF-8 continuations.
const CJK_RUN = /[\u3000-\u9fff\uff00-\uffef\ue000-\uf8ff][\u3000-\u9fff\uff00-\uffef\ue000-\uf8ff\u00b7]{3,}/g;
const COMMON = /[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]/g;

function repairGbk(text: string): string {
  return text.replace(CJK_RUN, (run) => {
    const bytes = iconv.encode(run, 'gb18030');
    let fixed: string;
    try {
      fixed = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return run;
    }
    // UTF-8 hanzi take 3 bytes, GBK 2: a real repair shrinks the run to about 2/3 and
    // yields mostly common CJK.
    if (fixed.length >= run.length) return run;
    const common = fixed.match(COMMON)?.length ?? 0;
    return common >= fixed.length * 0.6 ? fixed : run;
  });
}

// The most frequent hanzi; they make up ~10% of any Chinese prose, but almost never
// appear in UTF-8-read-as-GBK mojibake, whose characters come from rare GBK rows.
const FREQUENT_HANZI = '的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里';
const FREQUENT = new Uint8Array(0x10000);
for (let i = 0; i < FREQUENT_HANZI.length; i++) FREQUENT[FREQUENT_HANZI.charCodeAt(i)] = 1;

/** True when a text has hanzi but few of the frequent ones: worth trying the GBK repair. */
function maybeGbkMojibake(t: string): boolean {
  // Counted over the first 4,000 UTF-16 code units, without building match arrays.
  const end = Math.min(t.length, 4000);
  // Once the frequent hanzi reach 4% of the window they reach 4% of its hanzi, whatever
  // follows: the answer is no, and most Chinese prose gets there early.
  const enough = end * 0.04;
  let han = 0;
  let frequent = 0;
  for (let i = 0; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 0x4e00 && c <= 0x9fff) {
      han++;
      if (FREQUENT[c] === 1 && ++frequent >= enough) return false;
    }
  }
  if (han < 4) return false;
  return frequent < han * 0.04;
}

/** Repairs mojibake, repeating once for double-encoded text. */
export function fixMojibake(text: string): string {
  let t = text;
  for (let pass = 0; pass < 2; pass++) {
    const before = t;
    if (/[\u00c2-\u00f4]/.test(t)) t = repairLatin(t);
    if (maybeGbkMojibake(t)) t = repairGbk(t);
    if (t === before) break;
  }
  return t;
}

// C0/C1 controls except tab and newline; zero-width and BOM; soft hyphen.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200d\u2060\ufeff]/g;
// Spaces other than the ideographic space U+3000 (which belongs to CJK layout).
const SPACES = /[\t\u00a0\u1680\u2000-\u200a\u202f\u205f]/g;

// ---- the clean-text fast path ---------------------------------------------------
//
// One table lookup per code unit and one per window of three, with no branch in the loop:
// the loop is the cost of normalising clean text, which is nearly all text.

// Classes of UTF-16 code units.
const PLAIN = 0; // left alone wherever it stands
const SPACE = 1; // U+0020: not beside another space or a newline
const NEWLINE = 2; // at most two in a row
const DIRTY = 3; // changed or removed: controls, other spaces, mojibake leads, combining marks...
const HAN = 4; // a CJK ideograph: plain, but the text then needs the GBK mojibake check

/** The class of every code unit; DIRTY unless a range below says otherwise. */
const CLASS = new Uint8Array(0x10000).fill(DIRTY);
const RANGES: [first: number, last: number, cls: number][] = [
  [0x0a, 0x0a, NEWLINE],
  [0x20, 0x20, SPACE],
  [0x21, 0x7e, PLAIN], // printable ASCII
  // Latin-1 but for C1 controls, NBSP, soft hyphen and the mojibake leads 0xC2-0xF4.
  [0xa1, 0xac, PLAIN],
  [0xae, 0xc1, PLAIN],
  [0xf5, 0xff, PLAIN],
  [0x2010, 0x2027, PLAIN], // dashes, quotes, bullets, ellipsis
  [0x3000, 0x3029, PLAIN], // CJK punctuation (U+302A on are combining marks)
  [0x4e00, 0x9fff, HAN], // CJK ideographs: no NFC change
  [0xff01, 0xff5e, PLAIN], // full-width forms (compatibility-only decompositions: NFC keeps them)
];
for (const [first, last, cls] of RANGES) CLASS.fill(cls, first, last + 1);

const CHANGES = 1; // the window shows that normalizeText would change the text
const HAS_HAN = 2;

/** Flags of every window of three classes, indexed (oldest << 6) | (middle << 3) | newest. */
const WINDOW = new Uint8Array(8 * 8 * 8);
for (let k2 = 0; k2 <= HAN; k2++) {
  for (let k1 = 0; k1 <= HAN; k1++) {
    for (let k0 = 0; k0 <= HAN; k0++) {
      const changes =
        k0 === DIRTY ||
        (k1 === SPACE && (k0 === SPACE || k0 === NEWLINE)) || // '  ', ' \n'
        (k1 === NEWLINE && k0 === SPACE) || // '\n '
        (k2 === NEWLINE && k1 === NEWLINE && k0 === NEWLINE); // '\n\n\n'
      WINDOW[(k2 << 6) | (k1 << 3) | k0] = (changes ? CHANGES : 0) | (k0 === HAN ? HAS_HAN : 0);
    }
  }
}

/**
 * True when normalizeText would return the text unchanged, decided in one pass: every
 * code unit plain ASCII or of a range NFC and the rules leave alone, no control character
 * but newlines, no space beside a space or newline, at most two newlines in a row, nothing
 * to trim, and no suspected mojibake. Most clean text passes, and then skips eight regex
 * passes and NFC.
 */
export function isNormalized(t: string): boolean {
  const len = t.length;
  if (len === 0) return true;
  if (isSpace(t.charCodeAt(0)) || isSpace(t.charCodeAt(len - 1))) return false;
  // The window starts as if after plain text: a leading space or newline was ruled out above.
  let k1 = PLAIN;
  let k2 = PLAIN;
  let flags = 0;
  for (let i = 0; i < len; i++) {
    const k0 = CLASS[t.charCodeAt(i)]!;
    flags |= WINDOW[(k2 << 6) | (k1 << 3) | k0]!;
    k2 = k1;
    k1 = k0;
  }
  if (flags & CHANGES) return false;
  return !(flags & HAS_HAN && maybeGbkMojibake(t));
}

/** Normalises Unicode and whitespace without touching CJK punctuation. */
export function normalizeText(text: string): string {
  return isNormalized(text) ? text : normalizeTextFull(text);
}

/** normalizeText without the fast path (what defines it; tests compare the two). */
export function normalizeTextFull(text: string): string {
  let t = fixMojibake(text);
  t = t.replace(/\r\n?/g, '\n').replace(/[\u2028\u2029]/g, '\n');
  t = t.normalize('NFC');
  t = t.replace(CONTROL, '').replace(SPACES, ' ');
  t = t.replace(/ {2,}/g, ' ').replace(/ *\n */g, '\n').replace(/\n{3,}/g, '\n\n');
  return t.trim();
}
