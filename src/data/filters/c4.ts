// C4 filter (Raffel et al. 2020, datatrove's C4QualityFilter): drops lines that are too
// short, hold javascript or policy boilerplate or absurd words, strips citation marks,
// then rejects the document for lorem ipsum, curly brackets or too few sentences.

import type { Doc } from '../doc.js';
import type { C4Params } from '../config.js';
import { forLang, type Stage } from '../stage.js';
import { isUnspaced, splitWords } from '../words.js';

const POLICY = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];
const END_PUNCT = /[.?!"'。！？”’」』…]$/;
const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/gi;
const SENTENCE_SPLIT_SPACED = /[.?!]+(?=\s|$)/g;
const SENTENCE_SPLIT_CJK = /[。！？!?]+|[.](?=\s|$)/g;

/** Words in a line (spaced languages: whitespace-separated runs, counted without splitting). */
function countWords(line: string, unspaced: boolean, lang: string | undefined): number {
  if (unspaced) return splitWords(line, lang).length;
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
    const kept: string[] = [];
    let sentences = 0;
    const unspaced = isUnspaced(doc.lang);
    for (const raw of doc.text.split('\n')) {
      let line = raw.trim();
      if (p.removeCitations) line = line.replace(CITATION, '');
      if (line.length === 0) {
        if (kept.length > 0 && kept[kept.length - 1] !== '') kept.push('');
        continue;
      }
      if (p.filterNoTerminalPunct && (!END_PUNCT.test(line) || line.endsWith('...'))) continue;
      if (countWords(line, unspaced, doc.lang) < p.minWordsPerLine) continue;
      if (line.length > p.maxWordLength && splitWords(line, doc.lang).some((w) => w.length > p.maxWordLength)) continue;
      const l = line.toLowerCase();
      if (p.filterJavascript && l.includes('javascript')) continue;
      if (p.filterPolicy && POLICY.some((x) => l.includes(x))) continue;
      sentences += (line.match(unspaced ? SENTENCE_SPLIT_CJK : SENTENCE_SPLIT_SPACED)?.length ?? 0) || 1;
      kept.push(line);
    }
    if (sentences < p.minSentences) return 'too_few_sentences';
    doc.text = kept.join('\n').trim();
    return undefined;
  }
}
