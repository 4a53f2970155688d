// Decoding of HTML and text bytes: the charset from a BOM, the HTTP Content-Type header,
// or a <meta charset> / http-equiv tag in the first bytes; otherwise UTF-8 when the bytes
// are valid UTF-8, else GB18030 when they decode as plausible Chinese, else Windows-1252.
// GBK and GB2312 are read as GB18030 (their superset), Big5 as Big5-HKSCS.

import iconv from 'iconv-lite';

const ALIASES: Record<string, string> = {
  gb2312: 'gb18030', gbk: 'gb18030', 'x-gbk': 'gb18030', gb18030: 'gb18030', big5: 'big5hkscs', 'big5-hkscs': 'big5hkscs',
  'iso-8859-1': 'windows-1252', latin1: 'windows-1252', 'us-ascii': 'windows-1252', ascii: 'windows-1252',
};

/** Normalises a charset label to an iconv-lite name, or undefined when unsupported. */
export function charsetName(label: string | undefined): string | undefined {
  if (!label) return undefined;
  const l = label.trim().toLowerCase().replace(/^["']|["']$/g, '');
  if (l === 'utf-8' || l === 'utf8') return 'utf-8';
  const n = ALIASES[l] ?? l;
  return iconv.encodingExists(n) ? n : undefined;
}

/** The charset= parameter of a Content-Type value. */
export function charsetFromContentType(ct: string | undefined): string | undefined {
  const m = /charset\s*=\s*["']?([\w.:-]+)/i.exec(ct ?? '');
  return m ? m[1] : undefined;
}

function sniffMeta(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 4096)).toString('latin1');
  const m = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head);
  return m ? m[1] : undefined;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes to text. Returns the charset used and whether bytes were invalid in it
 * (then replaced by U+FFFD).
 */
export function decodeBytes(bytes: Uint8Array, contentType?: string): { text: string; charset: string; invalid: boolean } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return decodeAs(bytes.subarray(3), 'utf-8');
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16le'), charset: 'utf-16le', invalid: false };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16be'), charset: 'utf-16be', invalid: false };
  const declared = charsetName(charsetFromContentType(contentType)) ?? charsetName(sniffMeta(bytes));
  if (declared) return decodeAs(bytes, declared);
  try {
    return { text: utf8Fatal.decode(bytes), charset: 'utf-8', invalid: false };
  } catch {
    // Not UTF-8: prefer GB18030 when most of the result is CJK, else Windows-1252.
    const gb = iconv.decode(Buffer.from(bytes), 'gb18030');
    const cjk = gb.match(/[\u4e00-\u9fff]/g)?.length ?? 0;
    const high = bytes.reduce((n, b) => n + (b >= 0x80 ? 1 : 0), 0);
    if (cjk * 2 >= high * 0.8 && !gb.includes('\ufffd')) return { text: gb, charset: 'gb18030', invalid: false };
    return { text: iconv.decode(Buffer.from(bytes), 'windows-1252'), charset: 'windows-1252', invalid: false };
  }
}

function decodeAs(bytes: Uint8Array, charset: string): { text: string; charset: string; invalid: boolean } {
  if (charset === 'utf-8') {
    try {
      return { text: utf8Fatal.decode(bytes), charset, invalid: false };
    } catch {
      return { text: new TextDecoder('utf-8').decode(bytes), charset, invalid: true };
    }
  }
  const text = iconv.decode(Buffer.from(bytes), charset);
  return { text, charset, invalid: text.includes('\ufffd') };
}
