// Tokenizer statistics on a sample: bytes per token and characters per token, overall
// and per language (identified per document with eld; "und" when unsure).

import type { Tokenizer } from './tokenizer.js';

/** Totals for one language. */
export interface LanguageStats {
  docs: number;
  bytes: number;
  chars: number;
  tokens: number;
  bytesPerToken: number;
  charsPerToken: number;
}

/** Counts code points (what "characters per token" counts). */
export function countChars(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || (text.charCodeAt(i - 1) & 0xfc00) !== 0xd800) n++;
  }
  return n;
}

/**
 * The language detector of these statistics: eld's ISO 639-1 code when reliable, else
 * "und". eld is imported here, on first use, not with this module: its n-gram tables take
 * about a second and 150 MB to load, which every `anvil` command would otherwise pay.
 */
export async function loadLanguageDetector(): Promise<(text: string) => string> {
  const { eld } = await import('eld/small');
  return (text) => {
    const r = eld.detect(text.slice(0, 2000));
    return r.language && r.isReliable() ? r.language : 'und';
  };
}

/** Statistics of tokenizing docs, overall ("all") and per language (eld's unless `language` is given). */
export async function tokenizerStats(tok: Tokenizer, docs: Iterable<string>, language?: (text: string) => string): Promise<Record<string, LanguageStats>> {
  const languageOf = language ?? (await loadLanguageDetector());
  const acc = new Map<string, { docs: number; bytes: number; chars: number; tokens: number }>();
  const add = (lang: string, bytes: number, chars: number, tokens: number) => {
    const a = acc.get(lang) ?? { docs: 0, bytes: 0, chars: 0, tokens: 0 };
    a.docs++;
    a.bytes += bytes;
    a.chars += chars;
    a.tokens += tokens;
    acc.set(lang, a);
  };
  for (const text of docs) {
    if (!text) continue;
    const tokens = tok.encode(text).length;
    const bytes = Buffer.byteLength(text, 'utf8');
    const chars = countChars(text);
    add('all', bytes, chars, tokens);
    add(languageOf(text), bytes, chars, tokens);
  }
  const out: Record<string, LanguageStats> = {};
  for (const [lang, a] of [...acc].sort((x, y) => (x[0] === 'all' ? -1 : y[0] === 'all' ? 1 : y[1].bytes - x[1].bytes))) {
    out[lang] = { ...a, bytesPerToken: a.tokens ? a.bytes / a.tokens : 0, charsPerToken: a.tokens ? a.chars / a.tokens : 0 };
  }
  return out;
}
