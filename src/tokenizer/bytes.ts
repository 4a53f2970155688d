// Byte helpers for byte-level BPE: GPT-2's byte <-> printable-character mapping (how
// tokenizer.json spells byte tokens) and a UTF-8 codec that also carries lone
// surrogates (WTF-8), so every JS string and every byte string round-trips exactly.

/** GPT-2's `bytes_to_unicode`: byte b is written as the character BYTE_TO_CHAR[b]. */
export const BYTE_TO_CHAR: string[] = (() => {
  const out: string[] = new Array(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return out;
})();

/** The inverse of BYTE_TO_CHAR, by character code; -1 where a character stands for no byte. */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const out = new Int16Array(512).fill(-1);
  BYTE_TO_CHAR.forEach((c, b) => (out[c.charCodeAt(0)] = b));
  return out;
})();

/** Writes bytes as their byte-level characters ("Ġhello" for " hello"). */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!];
  return s;
}

/** Reads a byte-level string back into bytes; undefined if it holds a character that is not a byte. */
export function byteLevelToBytes(s: string): Uint8Array | undefined {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const b = c < 512 ? CHAR_TO_BYTE[c]! : -1;
    if (b < 0) return undefined;
    out[i] = b;
  }
  return out;
}

/**
 * Encodes s[start, end) as UTF-8 into out (which must hold 3 bytes per UTF-16 unit); a
 * lone surrogate becomes its 3-byte generalized UTF-8 form instead of U+FFFD, so
 * decodeUtf8 gives the same string back. Returns the number of bytes written.
 */
export function encodeUtf8Into(s: string, start: number, end: number, out: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 63);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[n++] = 0xf0 | (c >> 18);
          out[n++] = 0x80 | ((c >> 12) & 63);
          out[n++] = 0x80 | ((c >> 6) & 63);
          out[n++] = 0x80 | (c & 63);
          continue;
        }
      }
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 63);
      out[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

/** UTF-8 (WTF-8) bytes of a whole string. */
export function encodeUtf8(s: string): Uint8Array {
  const buf = new Uint8Array(s.length * 3);
  return buf.slice(0, encodeUtf8Into(s, 0, s.length, buf));
}

/**
 * Decodes UTF-8 bytes; encoded surrogates (ED A0..BF xx) become lone UTF-16 units, so
 * decodeUtf8(encodeUtf8(s)) === s for every string. Invalid sequences become U+FFFD,
 * one per maximal invalid prefix, as TextDecoder does.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const parts: string[] = [];
  let units: number[] = [];
  const flush = () => {
    parts.push(String.fromCharCode.apply(null, units));
    units = [];
  };
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units.push(b);
      i++;
    } else {
      let need = 0;
      let cp = 0;
      let lo = 0x80;
      let hi = 0xbf;
      if (b >= 0xc2 && b <= 0xdf) (need = 1), (cp = b & 31);
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        cp = b & 15;
        if (b === 0xe0) lo = 0xa0;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        cp = b & 7;
        if (b === 0xf0) lo = 0x90;
        if (b === 0xf4) hi = 0x8f;
      }
      let j = i + 1;
      let ok = need > 0;
      for (let k = 0; k < need; k++, j++) {
        const c = j < n ? bytes[j]! : -1;
        if (c < (k === 0 ? lo : 0x80) || c > (k === 0 ? hi : 0xbf)) {
          ok = false;
          break;
        }
        cp = (cp << 6) | (c & 63);
      }
      if (!ok) {
        units.push(0xfffd);
        i = Math.max(j, i + 1);
      } else {
        if (cp >= 0x10000) {
          cp -= 0x10000;
          units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023));
        } else units.push(cp);
        i = j;
      }
    }
    if (units.length > 8192) flush();
  }
  flush();
  return parts.join('');
}
