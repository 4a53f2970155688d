// Personal data and secrets, replaced with typed placeholders (<EMAIL>, <PHONE>...).
// Only validated patterns are redacted: cards pass Luhn and a known issuer prefix, IBANs
// pass mod 97 with their country's length, Chinese resident ids pass the GB 11643
// checksum and a real birth date, SSNs avoid never-issued ranges, IPs must be globally
// routable, Chinese mobiles need +86 or a nearby phone word. Order numbers, timestamps,
// version strings and documentation addresses are left alone.

import { isIPv4, isIPv6 } from 'node:net';

export type PiiType = 'EMAIL' | 'PHONE' | 'IP_ADDRESS' | 'CREDIT_CARD' | 'IBAN' | 'CN_ID' | 'US_SSN' | 'PRIVATE_KEY' | 'ACCESS_KEY' | 'TOKEN';

export const PII_TYPES: PiiType[] = ['PRIVATE_KEY', 'ACCESS_KEY', 'TOKEN', 'EMAIL', 'IBAN', 'CN_ID', 'CREDIT_CARD', 'US_SSN', 'PHONE', 'IP_ADDRESS'];

/** A detector as written in the table below; `detector()` fills in the defaults. */
interface DetectorSpec {
  type: PiiType;
  re: RegExp;
  /**
   * Extra validation of a match: false to skip it, true to redact it whole, or a number
   * of characters to redact from its start (when the pattern can over-reach).
   */
  valid?: (m: RegExpExecArray, text: string) => boolean | number;
  /** The part to replace, when not the whole match (e.g. keep a "key=" prefix). */
  group?: number;
  /**
   * Substrings of which every match contains at least one: texts with none skip the regex
   * scan. indexOf() looks for a hint's first character with memchr, so a hint that starts
   * with a rare character costs least.
   */
  hints?: string[];
  /**
   * The most characters a match can start before the hint it contains: the regex scan
   * starts that far before the first hint in the text rather than at its start.
   */
  reach?: number;
  /**
   * ASCII digits every match holds within one run of digits and the separators
   * ` .-()+`: texts whose longest such run has fewer skip the regex scan.
   */
  minDigits?: number;
  /** Dots every match holds within one run of digits and dots. */
  minDots?: number;
  /** Colons followed by a hex digit or a colon that every match contains at least. */
  minColons?: number;
  /** Matches start with two capitals and two digits. */
  iban?: boolean;
}

/** A detector with every field present, so that the scan loop sees one object shape. */
type Detector = Required<Omit<DetectorSpec, 'valid'>> & Pick<DetectorSpec, 'valid'>;

function detector(s: DetectorSpec): Detector {
  return {
    type: s.type,
    re: s.re,
    valid: s.valid,
    group: s.group ?? 0,
    hints: s.hints ?? [],
    reach: s.reach ?? Infinity,
    minDigits: s.minDigits ?? 0,
    minDots: s.minDots ?? 0,
    minColons: s.minColons ?? 0,
    iban: s.iban ?? false,
  };
}

// ---- validators -------------------------------------------------------------------

/** Luhn checksum over the digits of s. */
export function luhn(s: string): boolean {
  const d = s.replace(/\D/g, '');
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      x *= 2;
      if (x > 9) x -= 9;
    }
    sum += x;
  }
  return d.length > 0 && sum % 10 === 0;
}

function cardIssuer(d: string): boolean {
  const n2 = Number(d.slice(0, 2));
  const n4 = Number(d.slice(0, 4));
  const n3 = Number(d.slice(0, 3));
  if (d[0] === '4') return d.length === 13 || d.length === 16 || d.length === 19; // Visa
  if ((n2 >= 51 && n2 <= 55) || (n4 >= 2221 && n4 <= 2720)) return d.length === 16; // Mastercard
  if (n2 === 34 || n2 === 37) return d.length === 15; // Amex
  if (n4 === 6011 || n2 === 65 || (n3 >= 644 && n3 <= 649)) return d.length >= 16; // Discover
  if (n2 === 62) return d.length >= 16; // UnionPay
  if (n4 >= 3528 && n4 <= 3589) return d.length >= 16; // JCB
  if (n2 === 36 || n2 === 38 || (n3 >= 300 && n3 <= 305)) return d.length === 14; // Diners
  return false;
}

// IBAN lengths by country (ISO 13616 registry, common countries).
const IBAN_LENGTH: Record<string, number> = {
  AD: 24, AE: 23, AT: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CY: 28, CZ: 24, DE: 22, DK: 18, EE: 20, ES: 24,
  FI: 18, FR: 27, GB: 22, GI: 23, GR: 27, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, KW: 30, KZ: 20, LB: 28,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PT: 25, QA: 29, RO: 24,
  RS: 22, SA: 24, SE: 24, SI: 19, SK: 24, SM: 27, TR: 26, UA: 29,
};

/** IBAN check: known country, its length, and mod 97 == 1. */
export function validIban(s: string): boolean {
  const x = s.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTH[x.slice(0, 2)] !== x.length) return false;
  const r = x.slice(4) + x.slice(0, 4);
  let mod = 0;
  for (const ch of r) {
    const v = ch >= 'A' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    mod = v >= 10 ? (mod * 100 + v) % 97 : (mod * 10 + v) % 97;
  }
  return mod === 1;
}

/** Length of the IBAN at the start of a spaced match (0 if none), trimming over-reach. */
function ibanSpan(s: string): number {
  const want = IBAN_LENGTH[s.slice(0, 2)];
  if (want === undefined) return 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ' ') n++;
    if (n === want) return validIban(s.slice(0, i + 1)) && !/[A-Z0-9]/.test(s[i + 1] ?? '') ? i + 1 : 0;
  }
  return 0;
}

const CN_W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/** GB 11643 resident identity number: region, a real birth date, checksum. */
export function validCnId(s: string): boolean {
  if (!/^[1-8]\d{16}[\dX]$/i.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (s.charCodeAt(i) - 48) * CN_W[i]!;
  if ('10X98765432'[sum % 11] !== s[17]!.toUpperCase()) return false;
  const y = Number(s.slice(6, 10));
  const m = Number(s.slice(10, 12));
  const d = Number(s.slice(12, 14));
  if (y < 1900 || y > new Date().getUTCFullYear()) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** US SSN ranges never issued: area 000, 666, 900-999; group 00; serial 0000. */
export function validSsn(s: string): boolean {
  const [a, g, n] = s.split('-');
  const area = Number(a);
  return area !== 0 && area !== 666 && area < 900 && g !== '00' && n !== '0000';
}

/** Globally routable IPv4 (Python's ipaddress.is_global, as datatrove uses). */
export function globalIPv4(s: string): boolean {
  if (!isIPv4(s)) return false;
  const [a, b, c] = s.split('.').map(Number) as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false;
  if (a === 100 && b >= 64 && b <= 127) return false; // shared address space
  if (a === 169 && b === 254) return false;
  if (a === 172 && b >= 16 && b <= 31) return false;
  if (a === 192 && b === 168) return false;
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false;
  if (a === 198 && (b === 18 || b === 19)) return false;
  if (a === 198 && b === 51 && c === 100) return false;
  if (a === 203 && b === 0 && c === 113) return false;
  return true;
}

/** Globally routable IPv6: not loopback, unspecified, link-local, unique-local, multicast or documentation. */
export function globalIPv6(s: string): boolean {
  if (!isIPv6(s)) return false;
  const x = s.toLowerCase();
  if (x === '::' || x === '::1') return false;
  if (/^fe[89ab]/.test(x) || /^f[cd]/.test(x) || x.startsWith('ff')) return false;
  if (/^2001:0?db8:/.test(x)) return false;
  return true;
}

const PHONE_CONTEXT = /(?:phone|tel|mobile|cell|call|fax|whatsapp|contact|电话|手机|联系|致电|微信|热线|号码|拨打)/i;

// ---- detectors (order matters: secrets first, then the most specific patterns) -----

const D = '(?<![\\w+])';
const E = '(?![\\w])';

const SPECS: DetectorSpec[] = [
  { type: 'PRIVATE_KEY', hints: ['-----BEGIN '], reach: 0, re: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----/g },
  // No hint: V8 finds these four prefixes as fast as four indexOf() would.
  { type: 'ACCESS_KEY', re: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  { type: 'ACCESS_KEY', hints: ['AIza'], reach: 0, re: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  {
    // An AWS secret key is 40 base64 characters; only with its name nearby.
    type: 'ACCESS_KEY',
    hints: ['=', ':'], // the [:=] after the name
    re: /(aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    group: 2,
  },
  { type: 'TOKEN', hints: ['_'], re: /(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})(?!\w)/g },
  { type: 'TOKEN', hints: ['xox'], reach: 0, re: /(?<!\w)xox[baprs]-[A-Za-z0-9-]{10,}/g },
  { type: 'TOKEN', hints: ['_live_'], re: /(?<!\w)(?:sk|rk)_live_[0-9A-Za-z]{24,}(?!\w)/g },
  // 'k-', not 'sk-': an 's' is common in prose, so memchr would stop at every one.
  { type: 'TOKEN', hints: ['k-'], re: /(?<![\w-])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}(?![\w-])/g },
  // '.eyJ' (the second part), not 'eyJ': an 'e' is the commonest letter of prose.
  { type: 'TOKEN', hints: ['.eyJ'], re: /(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(?![\w-])/g },
  // At most 64 characters before the '@' (the local part).
  { type: 'EMAIL', hints: ['@'], reach: 64, re: /(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g },
  {
    type: 'IBAN',
    iban: true,
    re: /(?<![A-Z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![A-Z0-9])/g,
    valid: (m) => ibanSpan(m[0]),
  },
  { type: 'CN_ID', minDigits: 17, re: new RegExp(`${D}[1-8]\\d{16}[\\dXx]${E}`, 'g'), valid: (m) => validCnId(m[0]) },
  {
    type: 'CREDIT_CARD',
    minDigits: 12,
    re: new RegExp(`${D}(?:\\d{4}[ -]?){2,3}\\d{4}(?:\\d{3})?${E}|${D}3[47]\\d{2}[ -]?\\d{6}[ -]?\\d{5}${E}`, 'g'),
    valid: (m) => {
      const d = m[0].replace(/\D/g, '');
      return luhn(d) && cardIssuer(d);
    },
  },
  { type: 'US_SSN', minDigits: 9, hints: ['-'], re: new RegExp(`${D}\\d{3}-\\d{2}-\\d{4}${E}`, 'g'), valid: (m) => validSsn(m[0]) },
  {
    // Chinese mobiles: 1[3-9] + 9 digits, optionally as 3-4-4; +86/0086 prefix or a phone word nearby.
    type: 'PHONE',
    minDigits: 11,
    re: /(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)/g,
    valid: (m, text) => /^(?:\+|00)86/.test(m[0]) || PHONE_CONTEXT.test(text.slice(Math.max(0, m.index - 24), m.index)),
  },
  {
    // International numbers written with a + country code: 8 to 15 digits in groups.
    type: 'PHONE',
    hints: ['+'],
    reach: 0,
    minDigits: 8,
    re: /(?<![\w+])\+[1-9]\d{0,2}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?!\d)/g,
    valid: (m) => {
      const n = m[0].replace(/\D/g, '').length;
      return n >= 8 && n <= 15;
    },
  },
  {
    // North American numbers: (NXX) NXX-XXXX or NXX-NXX-XXXX / NXX.NXX.XXXX.
    type: 'PHONE',
    minDigits: 10,
    hints: ['-', '.'],
    re: /(?<![\w-])(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-.])[2-9]\d{2}[-.]\d{4}(?![\w-])/g,
  },
  {
    type: 'IP_ADDRESS',
    minDigits: 4,
    minDots: 3,
    re: /(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)/g,
    valid: (m, text) => globalIPv4(m[0]) && !/(?:version|ver\.?|v)\s*$/i.test(text.slice(Math.max(0, m.index - 9), m.index)),
  },
  {
    type: 'IP_ADDRESS',
    minColons: 2,
    re: /(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::[0-9A-Fa-f]{1,4}){1,6}|[0-9A-Fa-f]{1,4})(?![\w:])/g,
    valid: (m) => m[0].split(':').length >= 3 && globalIPv6(m[0]),
  },
];

const DETECTORS: Detector[] = SPECS.map(detector);

// ---- prechecks: cheap facts that rule detectors out ---------------------------------
//
// Native scans (a regex search for digits, indexOf() for hints) rather than a JavaScript
// loop over every character: most text has few digits and none of the hints, and V8's
// string search skips it several times faster than charCodeAt can walk it.
//
// The facts are taken once, from the text as it comes in. They stay upper bounds while the
// text is rewritten: a placeholder such as <EMAIL> holds no digit, dot or colon and begins
// and ends with characters that end every run, so redaction only shortens runs. Hints are
// looked up in the current text.

/** Facts about a text that rule detectors out (see DetectorSpec). */
interface Facts {
  digits: number;
  dots: number;
  iban: boolean;
  colons: number;
}

const NO_LIMIT: Facts = { digits: Infinity, dots: Infinity, iban: true, colons: Infinity };
const DIGIT = /[0-9]/g;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
const isHex = (c: number) => isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102);

/**
 * The most digits in one run of digits and ` .-()+`, the most dots in one run of digits and
 * dots, and whether two capitals and two digits stand in a row (an IBAN starts so). Only
 * the runs are walked: the regex search jumps from one to the next.
 */
function digitFacts(t: string): { digits: number; dots: number; iban: boolean } {
  const len = t.length;
  let digits = 0;
  let dots = 0;
  let iban = false;
  DIGIT.lastIndex = 0;
  while (DIGIT.test(t)) {
    // The first digit of a run: the character before it, if any, ends runs.
    let i = DIGIT.lastIndex - 1;
    if (!iban && i >= 2) iban = isUpper(t.charCodeAt(i - 1)) && isUpper(t.charCodeAt(i - 2)) && isDigit(t.charCodeAt(i + 1));
    let run = 0;
    let runDots = 0;
    for (; i < len; i++) {
      const c = t.charCodeAt(i);
      if (isDigit(c)) run++;
      else if (c === 46) runDots++;
      else if (c === 32 || c === 45 || c === 40 || c === 41 || c === 43) runDots = 0;
      else break;
      if (runDots > dots) dots = runDots;
    }
    if (run > digits) digits = run;
    DIGIT.lastIndex = i;
  }
  return { digits, dots, iban };
}

/**
 * Colons that can stand in an IPv6 address, counted up to `enough`: preceded by a hex digit
 * or a colon, and followed by one too unless the colon before it is one (the end of a bare
 * "::", as in "2a00::"). Every colon of an address has that shape; "Note: a" has none.
 */
function hexColons(t: string, enough: number): number {
  let n = 0;
  for (let i = t.indexOf(':'); i >= 0 && n < enough; i = t.indexOf(':', i + 1)) {
    const before = i > 0 ? t.charCodeAt(i - 1) : 0;
    if (before !== 58 && !isHex(before)) continue;
    const after = t.charCodeAt(i + 1);
    if (before === 58 || after === 58 || isHex(after)) n++;
  }
  return n;
}

/** Where the first of the hints stands in the text (0 when there are none), or -1. */
function firstHint(t: string, hints: string[]): number {
  if (hints.length === 0) return 0;
  let first = -1;
  for (const h of hints) {
    const i = t.indexOf(h);
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

/** The facts of a text, from native scans. */
function precheck(t: string): Facts {
  const { digits, dots, iban } = digitFacts(t);
  return { digits, dots, iban, colons: hexColons(t, MAX_COLONS) };
}

const MAX_COLONS = Math.max(...DETECTORS.map((d) => d.minColons));

/** Where detector d's regex scan of t may start, or -1 when the prechecks rule it out. */
function scanStart(d: Detector, t: string, f: Facts): number {
  if (f.digits < d.minDigits || f.dots < d.minDots || f.colons < d.minColons || (d.iban && !f.iban)) return -1;
  const hint = firstHint(t, d.hints);
  return hint < 0 ? -1 : Math.max(0, hint - d.reach);
}

/** Redacts personal data in text; returns the new text and counts per type. */
export function redactPii(text: string, opts: { precheck?: boolean } = {}): { text: string; counts: Partial<Record<PiiType, number>> } {
  const counts: Partial<Record<PiiType, number>> = {};
  // precheck: false (for tests) runs every detector.
  const check = opts.precheck !== false;
  const facts = check ? precheck(text) : NO_LIMIT;
  let t = text;
  for (const d of DETECTORS) {
    const start = check ? scanStart(d, t, facts) : 0;
    if (start >= 0) t = redactWith(d, t, start, counts);
  }
  return { text: t, counts };
}

/** Replaces the valid matches of one detector from index `from` on, counting them. */
function redactWith(d: Detector, t: string, from: number, counts: Partial<Record<PiiType, number>>): string {
  // Lookbehinds still see the text before `from`.
  d.re.lastIndex = from;
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = d.re.exec(t)) !== null) {
    const v = d.valid ? d.valid(m, t) : true;
    if (v === false || v === 0) continue;
    const start = d.group ? m.index + m[0].indexOf(m[d.group]!) : m.index;
    const end = d.group ? start + m[d.group]!.length : m.index + (typeof v === 'number' ? v : m[0].length);
    out += t.slice(last, start) + `<${d.type}>`;
    last = end;
    counts[d.type] = (counts[d.type] ?? 0) + 1;
  }
  return last > 0 ? out + t.slice(last) : t;
}
