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
 * (unspaced), counted in one pass without building the match array; `atMost` when there
 * are more (the filter needs only as many as it still lacks).
 */
export function countSentences(line: string, unspaced: boolean, from = 0, to = line.length, atMost = Infinity): number {
  let n = 0;
  const len = to;
  for (let i = from; i < len && n < atMost; i++) {
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

/** The whitespace between the words of a line, for spaced languages. */
function isLineSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 0x3000 || c === 0xa0;
}

/**
 * Words in line[from, to), or `atMost` when there are more: the rule only asks whether a
 * line has its few words, so the count stops there. Unspaced languages count as
 * countUnspaced does; spaced ones count runs between isLineSpace characters.
 */
export function countLineWords(line: string, unspaced: boolean, from: number, to: number, atMost: number): number {
  if (unspaced) return countUnspaced(line, atMost, from, to);
  let n = 0;
  let i = from;
  while (n < atMost) {
    while (i < to && isLineSpace(line.charCodeAt(i))) i++;
    if (i >= to) break;
    n++;
    while (i < to && !isLineSpace(line.charCodeAt(i))) i++;
  }
  return n;
}

// The phrases C4 looks for in the whole document. When it holds none of them, ignoring
// ASCII case (nearly always), it is not lower-cased at all. toLowerCase() maps only one
// non-ASCII character to ASCII that could complete a phrase, the Kelvin sign (to "k"),
// so texts with it take the lower-casing path.
// (A finder that jumps between each phrase's rarest letter was tried: faster on the
// benchmark's synthetic English, slower than this regex on the Brown corpus and on Chinese.)
const PHRASES = /lorem ipsum|javascript|terms of use|policy|cookie/i;

export class C4 implements Stage {
  readonly name = 'c4';
  constructor(private readonly p: C4Params, private readonly perLang?: Record<string, Partial<C4Params>>) {}

  apply(doc: Doc): string | undefined {
    const p = forLang(this.p, this.perLang, doc.lang);
    const text = doc.text;
    let js = false;
    let policy = false;
    if (text.includes('\u212a') || PHRASES.test(text)) {
      const lower = text.toLowerCase();
      if (p.filterLoremIpsum && lower.includes('lorem ipsum')) return 'lorem_ipsum';
      // Lines are lower-cased only when the document holds a phrase they are checked for.
      js = p.filterJavascript && lower.includes('javascript');
      // Every policy phrase holds "terms of use", "policy" or "cookie".
      policy = p.filterPolicy && POLICY.some((x) => lower.includes(x));
    }
    if (p.filterCurlyBracket && text.includes('{')) return 'curly_bracket';
    const unspaced = isUnspaced(doc.lang);
    let sentences = 0;
    // Kept lines: while every line so far is kept exactly as it is, they are the text's own
    // prefix and nothing is built; at the first change, `out` starts as that prefix
    // (text.slice(0, s - 1): the lines before this one).
    let out: string[] | undefined;
    let kept = 0;
    let lastEmpty = false;
    const len = text.length;
    // The first '[' at or after the current line (-1: none left), searched for again only
    // once the lines have passed it, so a text without citations is searched once.
    let bracket = p.removeCitations ? text.indexOf('[') : -1;
    for (let s = 0; s <= len; ) {
      let e = text.indexOf('\n', s);
      if (e < 0) e = len;
      const next = e + 1;
      let a = s;
      let b = e;
      while (a < b && isSpace(text.charCodeAt(a))) a++;
      while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
      // The line as a string, only where a check needs one (citations, long words, phrases).
      let line: string | undefined;
      let cited = false;
      if (bracket >= 0 && bracket < a) bracket = text.indexOf('[', a);
      if (b > a && bracket >= 0 && bracket < b) {
        const before = text.slice(a, b);
        line = before.replace(CITATION, '');
        // Removing a mark can join a phrase the document-level check did not see.
        cited = line !== before;
      }
      const lineLen = line !== undefined ? line.length : b - a;
      if (lineLen === 0) {
        if (kept > 0 && !lastEmpty) {
          if (e > s && !out) out = s > 0 ? [text.slice(0, s - 1)] : []; // a blank line that was not empty
          out?.push('');
          kept++;
          lastEmpty = true;
        } else if (!out) out = s > 0 ? [text.slice(0, s - 1)] : [];
        s = next;
        continue;
      }
      const src = line ?? text;
      const from = line !== undefined ? 0 : a;
      const to = line !== undefined ? line.length : b;
      let keep = true;
      if (p.filterNoTerminalPunct) {
        const last = src.charCodeAt(to - 1);
        if (!END_PUNCT.has(last) || (to - from >= 3 && last === 46 && src.charCodeAt(to - 2) === 46 && src.charCodeAt(to - 3) === 46)) keep = false;
      }
      if (keep && countLineWords(src, unspaced, from, to, p.minWordsPerLine) < p.minWordsPerLine) keep = false;
      if (keep && to - from > p.maxWordLength && splitWords(src.slice(from, to), doc.lang).some((w) => w.length > p.maxWordLength)) keep = false;
      if (keep && (js || policy || cited)) {
        const l = src.slice(from, to).toLowerCase();
        if (p.filterJavascript && l.includes('javascript')) keep = false;
        else if (p.filterPolicy && POLICY.some((x) => l.includes(x))) keep = false;
      }
      if (!keep) {
        if (!out) out = s > 0 ? [text.slice(0, s - 1)] : [];
        s = next;
        continue;
      }
      // Sentences count only up to the minimum: past it the decision is made.
      if (sentences < p.minSentences) sentences += countSentences(src, unspaced, from, to, p.minSentences - sentences) || 1;
      if ((cited || a !== s || b !== e) && !out) out = s > 0 ? [text.slice(0, s - 1)] : [];
      out?.push(line ?? text.slice(a, b));
      kept++;
      lastEmpty = false;
      s = next;
    }
    if (sentences < p.minSentences) return 'too_few_sentences';
    if (out) doc.text = out.join('\n').trim();
    else if (text.trim().length !== text.length) doc.text = text.trim();
    return undefined;
  }
}
