// The quality filters' definitions, written plainly with strings and regexes (datatrove's
// filters as this project reads them): the fast implementations in src/data/filters/ are
// tested against these. Shared by those tests, so that each rule is stated once.

import type { C4Params, FineWebParams, GopherRepetitionParams } from '../../src/data/config.js';
import { splitUnspaced, splitWords } from '../../src/data/words.js';

/** Trimmed non-empty pieces of text.split(sep): [pieces, duplicated pieces, their characters]. */
export function segments(text: string, sep: RegExp | string): [number, number, number] {
  const items = text.split(sep).map((x) => x.trim()).filter(Boolean);
  const seen = new Set<string>();
  let dup = 0;
  let chars = 0;
  for (const x of items) {
    if (seen.has(x)) {
      dup++;
      chars += x.length;
    } else seen.add(x);
  }
  return [items.length, dup, chars];
}

/**
 * datatrove's gopher_repetition_filter.py on the given words: the top n-gram by
 * Counter.most_common over " ".join (the first seen of the most frequent), duplicates by
 * find_all_duplicate over "".join; lines and paragraphs trimmed and non-empty.
 */
export function gopherRepetitionReference(text: string, words: string[], p: GopherRepetitionParams): { reason: string | undefined; top: number[]; dup: number[] } {
  const total = Math.max(1, text.length);
  const top = p.topNgrams.map(([n]) => {
    if (words.length < n) return 0;
    const counts = new Map<string, number>();
    for (let i = 0; i + n <= words.length; i++) {
      const g = words.slice(i, i + n).join(' ');
      counts.set(g, (counts.get(g) ?? 0) + 1);
    }
    let best = '';
    let count = 0;
    for (const [g, c] of counts) if (c > count) [best, count] = [g, c];
    return (best.length * count) / total;
  });
  const dup = p.dupNgrams.map(([n]) => {
    const seen = new Set<string>();
    let repeated = 0;
    let i = 0;
    while (i < words.length - n + 1) {
      const g = words.slice(i, i + n).join('');
      if (seen.has(g)) {
        repeated += g.length;
        i += n;
      } else {
        seen.add(g);
        i++;
      }
    }
    return repeated / total;
  });
  const decide = (): string | undefined => {
    const [np, pd, pc] = segments(text, /\n{2,}/);
    if (np > 0 && pd / np > p.dupParaFrac) return 'dup_para_frac';
    if (pc / total > p.dupParaCharFrac) return 'dup_para_char_frac';
    const [nl, ld, lc] = segments(text, '\n');
    if (nl > 0 && ld / nl > p.dupLineFrac) return 'dup_line_frac';
    if (lc / total > p.dupLineCharFrac) return 'dup_line_char_frac';
    for (let k = 0; k < p.topNgrams.length; k++) {
      const [n, max] = p.topNgrams[k]!;
      if (words.length >= n && top[k]! > max) return `top_${n}_gram`;
    }
    for (let k = 0; k < p.dupNgrams.length; k++) if (dup[k]! > p.dupNgrams[k]![1]) return `duplicated_${p.dupNgrams[k]![0]}_n_grams`;
    return undefined;
  };
  return { reason: decide(), top, dup };
}

const POLICY = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];
const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/gi;
const C4_END = /[.?!"'。！？”’」』…]$/;

/**
 * datatrove's C4QualityFilter on the lines of text.split('\n'): [reason, the kept text]. A
 * line's words are counted on space, tab, CR, LF, U+3000 and U+00A0 (normalisation has made
 * every other space one of these), or as splitUnspaced's tokens for Chinese.
 */
export function c4Reference(p: C4Params, text: string, lang: string): [string | undefined, string] {
  const lower = text.toLowerCase();
  if (p.filterLoremIpsum && lower.includes('lorem ipsum')) return ['lorem_ipsum', text];
  if (p.filterCurlyBracket && text.includes('{')) return ['curly_bracket', text];
  const unspaced = lang === 'zh';
  const kept: string[] = [];
  let sentences = 0;
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (p.removeCitations) line = line.replace(CITATION, '');
    if (line.length === 0) {
      if (kept.length > 0 && kept[kept.length - 1] !== '') kept.push('');
      continue;
    }
    if (p.filterNoTerminalPunct && (!C4_END.test(line) || line.endsWith('...'))) continue;
    const words = unspaced ? splitUnspaced(line).length : line.split(/[ \t\n\r\u3000\u00a0]+/).filter(Boolean).length;
    if (words < p.minWordsPerLine) continue;
    if (splitWords(line, lang).some((w) => w.length > p.maxWordLength)) continue;
    const l = line.toLowerCase();
    if (p.filterJavascript && l.includes('javascript')) continue;
    if (p.filterPolicy && POLICY.some((x) => l.includes(x))) continue;
    sentences += (line.match(unspaced ? /[。！？!?]+|[.](?=\s|$)/g : /[.?!]+(?=\s|$)/g)?.length ?? 0) || 1;
    kept.push(line);
  }
  if (sentences < p.minSentences) return ['too_few_sentences', text];
  return [undefined, kept.join('\n').trim()];
}

const FINEWEB_TERMINAL = /[.?!"'。！？”’」』…:;：；)）]$/;

/** datatrove's FineWebQualityFilter on trimmed non-empty lines, with the document's word count. */
export function finewebReference(p: FineWebParams, text: string, words: number): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length === 0) return 'empty';
  if (lines.filter((l) => FINEWEB_TERMINAL.test(l)).length / lines.length < p.linePunctThr) return 'line_punct_ratio';
  if (lines.filter((l) => [...l].length <= p.shortLineLength).length / lines.length > p.shortLineThr) return 'short_line_ratio';
  const seen = new Set<string>();
  let dup = 0;
  let chars = 0;
  for (const l of lines) {
    chars += l.length;
    if (seen.has(l)) dup += l.length;
    else seen.add(l);
  }
  if (dup / Math.max(1, chars) > p.charDupRatio) return 'char_dup_ratio';
  if ((text.match(/\n/g)?.length ?? 0) / Math.max(1, words) > p.newLineRatio) return 'list_ratio';
  return undefined;
}
