// C4 filter (Raffel et al. 2020, datatrove's C4QualityFilter): drops lines that are too
// short, hold javascript or policy boilerplate or absurd words, strips citation marks,
// then rejects the document for lorem ipsum, curly brackets or too few sentences.

import type { Doc } from '../doc.js';
import type { C4Params } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { countUnspaced, isSpace, isUnspaced, splitWords } from '../words.js';

const POLICY = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];
const END_PUNCT = new Set([...'.?!"\'。！？”’」』…'].map((c) => c.charCodeAt(0)));
const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/gi;

/**
 * line.match(/[.?!]+(?=\s|$)/g).length (spaced) or line.match(/[。！？!?]+|[.](?=\s|$)/g).length
 * (unspaced), counted in one pass without building the match array.
 */
export function countSentences(line: string, unspaced: boolean): number {
  let n = 0;
  const len = line.length;
  for (let i = 0; i < len; i++) {
    const c = line.charCodeAt(i);
    if (unspaced && (c === 0x3002 || c === 0xff01 || c === 0xff1f || c === 33 || c === 63)) {
      // A maximal run of 。！？!? is one match.
      n++;
      while (i + 1 < len) {
        const d = line.charCodeAt(i + 1);
        if (d === 0x3002 || d === 0xff01 || d === 0xff1f || d === 33 || d === 63) i++;
        else break;
      }
    } else if (unspaced ? c === 46 : c === 46 || c === 33 || c === 63) {
      // Spaced: a maximal run of .?! followed by whitespace or the end; unspaced: one '.'.
      if (!unspaced) {
        while (i + 1 < len) {
          const d = line.charCodeAt(i + 1);
          if (d === 46 || d === 33 || d === 63) i++;
          else break;
        }
      }
      if (i + 1 === len || isSpace(line.charCodeAt(i + 1))) n++;
    }
  }
  return n;
}

/** Words in a line (spaced languages: whitespace-separated runs, counted without splitting). */
function countWords(line: string, unspaced: boolean): number {
  if (unspaced) return countUnspaced(line);
  let n = 0;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 10 || c === 13 || c === 0x3000 || c === 0xa0;
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

export class C4 implements Stage {
  readonly name = 'c4';
  constructor(private readonly p: C4Params, private readonly perLang?: Record<string, Partial<C4Params>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const lower = doc.text.toLowerCase();
    if (p.filterLoremIpsum && lower.includes('lorem ipsum')) return 'lorem_ipsum';
    if (p.filterCurlyBracket && doc.text.includes('{')) return 'curly_bracket';
    // Lines are lower-cased only when the document holds a phrase they are checked for.
    const js = p.filterJavascript && lower.includes('javascript');
    // Every policy phrase holds "terms of use", "policy" or "cookie": three scans, not six.
    const policy = p.filterPolicy && (lower.includes('terms of use') || ((lower.includes('policy') || lower.includes('cookie')) && POLICY.some((x) => lower.includes(x))));
    const kept: string[] = [];
    let sentences = 0;
    const unspaced = isUnspaced(doc.lang);
    // Lines kept exactly as they are: when that is all of them (most clean documents), the
    // text stays the same string object, its words cache included.
    let same = 0;
    const raws = doc.text.split('\n');
    for (const raw of raws) {
      let line = raw.trim();
      let cited = false;
      if (p.removeCitations && line.includes('[')) {
        const before = line;
        line = line.replace(CITATION, '');
        // Removing a mark can join a phrase the document-level check did not see.
        cited = line !== before;
      }
      if (line.length === 0) {
        if (kept.length > 0 && kept[kept.length - 1] !== '') {
          kept.push('');
          if (raw.length === 0) same++;
        }
        continue;
      }
      if (p.filterNoTerminalPunct && (!END_PUNCT.has(line.charCodeAt(line.length - 1)) || line.endsWith('...'))) continue;
      if (countWords(line, unspaced) < p.minWordsPerLine) continue;
      if (line.length > p.maxWordLength && splitWords(line, doc.lang).some((w) => w.length > p.maxWordLength)) continue;
      if (js || policy || cited) {
        const l = line.toLowerCase();
        if (p.filterJavascript && l.includes('javascript')) continue;
        if (p.filterPolicy && POLICY.some((x) => l.includes(x))) continue;
      }
      sentences += countSentences(line, unspaced) || 1;
      kept.push(line);
      if (line.length === raw.length && !cited) same++;
    }
    if (sentences < p.minSentences) return 'too_few_sentences';
    if (same !== raws.length) doc.text = kept.join('\n').trim();
    else if (doc.text.trim().length !== doc.text.length) doc.text = doc.text.trim();
    return undefined;
  }
}
