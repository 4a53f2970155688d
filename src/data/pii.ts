// Personal data and secrets, replaced with typed placeholders (<EMAIL>, <PHONE>...).
// Only validated patterns are redacted: cards pass Luhn and a known issuer prefix, IBANs
// pass mod 97 with their country's length, Chinese resident ids pass the GB 11643
// checksum and a real birth date, SSNs avoid never-issued ranges, IPs must be globally
// routable, Chinese mobiles need +86 or a nearby phone word. Order numbers, timestamps,
// version strings and documentation addresses are left alone.

import { isIPv4, isIPv6 } from 'node:net';

export type PiiType = 'EMAIL' | 'PHONE' | 'IP_ADDRESS' | 'CREDIT_CARD' | 'IBAN' | 'CN_ID' | 'US_SSN' | 'PRIVATE_KEY' | 'ACCESS_KEY' | 'TOKEN';

export const PII_TYPES: PiiType[] = ['PRIVATE_KEY', 'ACCESS_KEY', 'TOKEN', 'EMAIL', 'IBAN', 'CN_ID', 'CREDIT_CARD', 'US_SSN', 'PHONE', 'IP_ADDRESS'];

interface Detector {
  type: PiiType;
  re: RegExp;
  /**
   * Extra validation of a match: false to skip it, true to redact it whole, or a number
   * of characters to redact from its start (when the pattern can over-reach).
   */
  valid?: (m: RegExpExecArray, text: string) => boolean | number;
  /** The part to replace, when not the whole match (e.g. keep a "key=" prefix). */
  group?: number;
  /** A substring every match contains: texts without it skip the regex scan. */
  hint?: string;
  /** The precheck bits of the hint's characters (computed on first use). */
  hintBits?: number;
  /**
   * ASCII digits every match holds within one run of digits and the separators
   * ` .-()+`: texts whose longest such run has fewer skip the regex scan.
   */
  minDigits?: number;
  /** Colons followed by a hex digit or a colon that every match contains at least. */
  minColons?: number;
  /** Dots every match holds within one run of digits and dots. */
  minDots?: number;
  /** Matches start with two capitals and two digits. */
  iban?: boolean;
  /** Capitals and digits every match holds in one run. */
  minUpper?: number;
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

const DETECTORS: Detector[] = [
  { type: 'PRIVATE_KEY', hint: '-----BEGIN ', re: /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?-----END \1-----/g },
  { type: 'ACCESS_KEY', minUpper: 20, re: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  { type: 'ACCESS_KEY', hint: 'AIza', re: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  {
    // An AWS secret key is 40 base64 characters; only with its name nearby.
    type: 'ACCESS_KEY',
    re: /(aws_?secret_?(?:access_?)?key["']?\s*[:=]\s*["']?)([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    group: 2,
  },
  { type: 'TOKEN', hint: '_', re: /(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})(?!\w)/g },
  { type: 'TOKEN', hint: 'xox', re: /(?<!\w)xox[baprs]-[A-Za-z0-9-]{10,}/g },
  { type: 'TOKEN', hint: '_live_', re: /(?<!\w)(?:sk|rk)_live_[0-9A-Za-z]{24,}(?!\w)/g },
  { type: 'TOKEN', hint: 'sk-', re: /(?<![\w-])sk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}(?![\w-])/g },
  { type: 'TOKEN', hint: 'eyJ', re: /(?<![\w-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}(?![\w-])/g },
  { type: 'EMAIL', hint: '@', re: /(?<![\w.+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g },
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
  { type: 'US_SSN', minDigits: 9, re: new RegExp(`${D}\\d{3}-\\d{2}-\\d{4}${E}`, 'g'), valid: (m) => validSsn(m[0]) },
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
    hint: '+',
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
    re: /(?<![\w-])(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[-.])[2-9]\d{2}[-.]\d{4}(?![\w-])/g,
  },
  {
    type: 'IP_ADDRESS',
    hint: '.',
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

const isHex = (c: number) => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);

/**
 * Cheap facts that rule detectors out, in one pass: the most digits in one run of digits
 * and ` .-()+`; the most dots in one run of digits and dots (an IPv4 address needs 3); the
 * colons followed by a hex digit or a colon (an IPv6 address needs 2); whether two capitals
 * are followed by two digits somewhere (an IBAN starts so).
 */
function precheck(t: string): { digits: number; dots: number; colons: number; iban: boolean; chars: number; upper: number } {
  let best = 0;
  let up = 0; // current run of capitals and digits
  let upper = 0;
  let run = 0;
  let dots = 0;
  let runDots = 0;
  let colons = 0;
  let iban = false;
  let chars = 0;
  const len = t.length;
  for (let i = 0; i < len; i++) {
    const c = t.charCodeAt(i);
    if (c > 90) {
      // Lower-case letters and everything past ASCII, nearly all text: ends the runs.
      run = 0;
      runDots = 0;
      up = 0;
      if (c === 95) chars |= HINT_BIT[95]!;
      continue;
    }
    if (c >= 48 && c <= 57) {
      if (++run > best) best = run;
      if (++up > upper) upper = up;
      continue;
    }
    if (c >= 65) {
      if (++up > upper) upper = up;
    } else up = 0;
    if (c === 46) {
      chars |= HINT_BIT[46]!;
      if (++runDots > dots) dots = runDots;
      continue;
    }
    runDots = 0;
    if (c === 32 || c === 45 || c === 40 || c === 41 || c === 43) {
      chars |= HINT_BIT[c]!;
      continue; // the digit run goes on
    }
    run = 0;
    if (c === 58) {
      if (i + 1 < len && (t.charCodeAt(i + 1) === 58 || isHex(t.charCodeAt(i + 1)))) colons++;
    } else if (c === 64) chars |= HINT_BIT[64]!;
    else if (!iban && c >= 65 && i + 3 < len) {
      const c1 = t.charCodeAt(i + 1);
      const c2 = t.charCodeAt(i + 2);
      const c3 = t.charCodeAt(i + 3);
      iban = c1 >= 65 && c1 <= 90 && c2 >= 48 && c2 <= 57 && c3 >= 48 && c3 <= 57;
    }
  }
  return { digits: best, dots, colons, iban, chars, upper };
}

// Bits for the characters the precheck notes, so that a hint made of one of them needs no
// scan, and a longer hint none when one of its characters is absent.
const HINT_BIT = new Uint8Array(128);
[...'@+_-.'].forEach((ch, i) => (HINT_BIT[ch.charCodeAt(0)] = 1 << i));
HINT_BIT[32] = 0;
/** The precheck bits a hint needs. */
function hintBits(hint: string): number {
  let b = 0;
  for (let i = 0; i < hint.length; i++) {
    const c = hint.charCodeAt(i);
    if (c < 128) b |= HINT_BIT[c]!;
  }
  return b;
}

/** Redacts personal data in text; returns the new text and counts per type. */
export function redactPii(text: string, opts: { precheck?: boolean } = {}): { text: string; counts: Partial<Record<PiiType, number>> } {
  const counts: Partial<Record<PiiType, number>> = {};
  let t = text;
  // One pass for the cheap prechecks (precheck: false, for tests, runs every detector). A
  // redaction puts a placeholder such as <EMAIL> where a match was: it breaks digit and dot
  // runs and adds no digits, dots or colons, so the facts stay upper bounds as the text is
  // rewritten.
  const { digits, dots, colons, iban, chars, upper } = opts.precheck === false ? { digits: 99, dots: 99, colons: 99, iban: true, chars: 0xff, upper: 99 } : precheck(t);
  for (const d of DETECTORS) {
    if (d.minDigits !== undefined && digits < d.minDigits) continue;
    if (d.minColons !== undefined && colons < d.minColons) continue;
    if (d.minDots !== undefined && dots < d.minDots) continue;
    if (d.iban && !iban) continue;
    if (d.minUpper !== undefined && upper < d.minUpper) continue;
    if (d.hint !== undefined) {
      const need = (d.hintBits ??= hintBits(d.hint));
      if ((need & chars) !== need) continue;
      // A one-character hint is settled by its bit. Redaction adds no '@', '+', '-' or '.';
      // the '_' of placeholders such as <CN_ID> sits between capitals, where no pattern that
      // needs '_' (lower-case token prefixes) can match.
      if (!(d.hint.length === 1 && need !== 0) && !t.includes(d.hint)) continue;
    }
    d.re.lastIndex = 0;
    if (!d.re.test(t)) continue;
    d.re.lastIndex = 0;
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
    if (last > 0) t = out + t.slice(last);
  }
  return { text: t, counts };
}
