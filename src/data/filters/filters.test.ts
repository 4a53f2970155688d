// Quality filters at datatrove's default thresholds: each rule fires just past its
// threshold and not before; Chinese documents use the FineWeb-2 settings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../config.js';
import { GopherQuality, GopherRepetition } from './gopher.js';
import { C4 } from './c4.js';
import { FineWeb } from './fineweb.js';
import { UrlBlocklist, WordBlocklist } from './blocklist.js';
import type { Doc } from '../doc.js';
import { Rng, enDoc, zhDoc } from '../synth.js';

const cfg = defaultConfig();
const doc = (text: string, lang = 'en'): Doc => ({ id: 'x', file: 0, record: 0, text, source: 's', license: 'l', lang });
const words = (n: number) => Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 'the' : i % 4 === 1 ? 'and' : `word${i}`)).join(' ');

test('Gopher quality: 50 words minimum, stop words, hashes, bullets', () => {
  const g = new GopherQuality(cfg.params.gopherQuality, cfg.langParams.zh && { zh: cfg.langParams.zh.gopherQuality! });
  assert.equal(g.apply(doc(words(49))), 'too_few_words');
  assert.equal(g.apply(doc(words(50))), undefined);
  assert.equal(g.apply(doc(Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '))), 'too_few_stop_words');
  assert.equal(g.apply(doc(words(100) + ' #'.repeat(12))), 'too_many_hashes'); // 12 / 112 words > 0.1
  assert.equal(g.apply(doc(words(100) + ' #'.repeat(9))), undefined);
  const bullets = Array.from({ length: 20 }, () => `- ${words(5)}`).join('\n');
  assert.equal(g.apply(doc(bullets)), 'too_many_bullet_lines');
  assert.equal(g.apply(doc(zhDoc(new Rng(2)), 'zh')), undefined, 'Chinese prose passes with character words');
  assert.equal(g.apply(doc('今天天气很好。', 'zh')), 'too_few_words');
});

test('Gopher repetition: duplicated lines and the top 2-gram share', () => {
  const g = new GopherRepetition(cfg.params.gopherRepetition);
  const r = new Rng(3);
  assert.equal(g.apply(doc(enDoc(r))), undefined);
  const lines = Array.from({ length: 10 }, () => enDoc(r, 1).split('. ')[0]!);
  assert.equal(g.apply(doc([...lines, ...lines.slice(0, 5)].join('\n'))), 'dup_line_frac');
  assert.equal(g.apply(doc(Array.from({ length: 40 }, (_, i) => `buy now ${'x'.repeat(i % 7)}${i}`).join(' '))), 'top_2_gram');
});

test('C4: drops javascript and policy lines, rejects lorem ipsum, braces and too few sentences', () => {
  const c4 = new C4(cfg.params.c4);
  const r = new Rng(4);
  const text = enDoc(r, 3);
  const d = doc(`${text}\nPlease enable JavaScript to view the comments.\nRead our privacy policy here.`);
  assert.equal(c4.apply(d), undefined);
  assert.equal(d.text, text.replace(/\n\n/g, '\n\n'));
  assert.equal(c4.apply(doc('Lorem ipsum dolor sit amet. ' + text)), 'lorem_ipsum');
  assert.equal(c4.apply(doc(text + '\nconst x = {a: 1};')), 'curly_bracket');
  assert.equal(c4.apply(doc('One short sentence here. And another one here.')), 'too_few_sentences');
});

test('FineWeb: line punctuation, short lines, duplicated line characters, newline ratio', () => {
  const f = new FineWeb(cfg.params.fineweb, { zh: cfg.langParams.zh!.fineweb! });
  const r = new Rng(5);
  assert.equal(f.apply(doc(enDoc(r))), undefined);
  assert.equal(f.apply(doc(Array.from({ length: 10 }, (_, i) => `a heading without a stop number ${i} here and more`).join('\n'))), 'line_punct_ratio');
  assert.equal(f.apply(doc(Array.from({ length: 10 }, (_, i) => `Item ${i}.`).join('\n'))), 'short_line_ratio');
  const para = enDoc(r, 3).split('\n\n');
  assert.equal(f.apply(doc([...para, para[0]!].join('\n'))), 'char_dup_ratio');
  assert.equal(f.apply(doc(zhDoc(r), 'zh')), undefined);
});

test('blocklists: parent domains and URL prefixes; words on boundaries, substrings for Chinese', () => {
  const u = new UrlBlocklist(['spam.example', 'example.org/ads/']);
  assert.equal(u.apply({ ...doc('x'), url: 'https://www.spam.example/page' }), 'blocked_domain');
  assert.equal(u.apply({ ...doc('x'), url: 'http://example.org/ads/1' }), 'blocked_url');
  assert.equal(u.apply({ ...doc('x'), url: 'https://notspam.example/' }), undefined);
  const w = new WordBlocklist(['casino', '赌博'], 1);
  assert.equal(w.apply(doc('Visit the Casino tonight.')), 'blocked_words');
  assert.equal(w.apply(doc('The occasional visitor.')), undefined);
  assert.equal(w.apply(doc('网上赌博是违法的。', 'zh')), 'blocked_words');
});

test('C4 sentence count equals the match count of its regexes', async () => {
  const { countSentences } = await import('./c4.js');
  const fc = (await import('fast-check')).default;
  const alphabet = ['a', 'b', ' ', '\t', '.', '.', '?', '!', '。', '！', '？', '中', '\u3000', '\u00a0', '"'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), fc.boolean(), (chars, unspaced) => {
      const s = chars.join('');
      const re = unspaced ? /[。！？!?]+|[.](?=\s|$)/g : /[.?!]+(?=\s|$)/g;
      assert.equal(countSentences(s, unspaced), s.match(re)?.length ?? 0);
    }),
    { numRuns: 3000 },
  );
});

test('Gopher line shapes equal the per-line regexes', async () => {
  const { lineShapes } = await import('./gopher.js');
  const fc = (await import('fast-check')).default;
  const alphabet = ['a', ' ', '\t', '\n', '\n', '.', '.', '…', '•', '-', '*', '·', '\u00a0', '\r'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }), (chars) => {
      const s = chars.join('');
      const lines = s.split('\n');
      assert.deepEqual(lineShapes(s), [lines.length, lines.filter((l) => /^\s*[•‣⁃◦∙·*\-–—]\s/.test(l)).length, lines.filter((l) => /(\.\.\.|…)\s*$/.test(l)).length]);
    }),
    { numRuns: 3000 },
  );
});

test('word spans split exactly like splitWords, and stop words match case-insensitively', async () => {
  const { splitWords, splitWordSpans } = await import('../words.js');
  const fc = (await import('fast-check')).default;
  const alphabet = ['a', 'The', ' ', '\n', '\u3000', '中', '文', '，', '。', 'x1', '!', '\ud83d\ude00', '\u00a0'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 25 }), fc.constantFrom('en', 'zh', undefined), (parts, lang) => {
      const s = parts.join('');
      const sp = splitWordSpans(s, lang);
      const words = Array.from({ length: sp.count }, (_, i) => s.slice(sp.start[i], sp.end[i]));
      assert.deepEqual(words, splitWords(s, lang));
    }),
    { numRuns: 2000 },
  );
  // Stop words: "THE" and "With" count, "them" and "the," do not (whole tokens only).
  const g = new GopherQuality({ ...cfg.params.gopherQuality, minWords: 1, minStopWords: 2 });
  const base = 'alpha beta gamma delta epsilon zeta eta theta iota kappa';
  assert.equal(g.apply(doc(`${base} THE With`)), undefined);
  assert.equal(g.apply(doc(`${base} them the,`)), 'too_few_stop_words');
});

test('Gopher duplicate paragraphs and lines equal split/trim/Set counting', async () => {
  const { duplicateSegments } = await import('./gopher.js');
  const fc = (await import('fast-check')).default;
  const ref = (text: string, sep: RegExp | string): [number, number, number] => {
    const items = text.split(sep).map((x) => x.trim()).filter(Boolean);
    const seen = new Set<string>();
    let n = 0;
    let chars = 0;
    for (const x of items) {
      if (seen.has(x)) {
        n++;
        chars += x.length;
      } else seen.add(x);
    }
    return [items.length, n, chars];
  };
  const alphabet = ['a', 'b', 'ab', ' ', '\t', '\n', '\n', '\n\n', '中', '\u3000'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }), (parts) => {
      const s = parts.join('');
      assert.deepEqual(duplicateSegments(s, true), ref(s, /\n{2,}/));
      assert.deepEqual(duplicateSegments(s, false), ref(s, '\n'));
    }),
    { numRuns: 3000 },
  );
  // Many lines: the set grows past its first capacity.
  const many = Array.from({ length: 500 }, (_, i) => `line ${i % 300}`).join('\n');
  assert.deepEqual(duplicateSegments(many, false), ref(many, '\n'));
});

test('C4 keeps a clean document\'s text object, and rewrites one whose lines change', () => {
  const c4 = new C4(cfg.params.c4);
  const lines = Array.from({ length: 6 }, (_, i) => `This is sentence number ${i} of a clean paragraph. It ends well.`);
  const clean = doc(lines.join('\n') + '\n\n' + lines.join('\n'));
  const before = clean.text;
  assert.equal(c4.apply(clean), undefined);
  assert.ok(Object.is(clean.text, before));
  const messy = doc(lines.join('  \n') + '\n\n\n' + 'Cited fact [12] here is kept.\nshort line\n' + lines.join('\n'));
  assert.equal(c4.apply(messy), undefined);
  assert.equal(messy.text, lines.join('\n') + '\n\nCited fact  here is kept.\n' + lines.join('\n'));
});

test('FineWeb filter decides as its line-array definition does', async () => {
  const fc = (await import('fast-check')).default;
  const p = cfg.params.fineweb;
  const TERMINAL = /[.?!"'。！？”’」』…:;：；)）]$/;
  const ref = (text: string, words: number): string | undefined => {
    const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length === 0) return 'empty';
    if (lines.filter((l) => TERMINAL.test(l)).length / lines.length < p.linePunctThr) return 'line_punct_ratio';
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
  };
  const f = new FineWeb(p);
  const pieces = ['A sentence that ends well.', 'short', 'A line without an end', 'Same line again.', '\n', '\n', '\n\n', '  ', '中文句子。', '\ud83d\ude00'.repeat(12), 'x'.repeat(35)];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), (parts) => {
      const text = parts.join(' ');
      const d = doc(text);
      const words = text.split(/\s+/).filter(Boolean).length;
      assert.equal(f.apply(d), ref(text, words));
    }),
    { numRuns: 2000 },
  );
});

test('C4 over line offsets decides and rewrites exactly as its line-array definition', async () => {
  const fc = (await import('fast-check')).default;
  const { splitWords } = await import('../words.js');
  const POLICY = ['terms of use', 'privacy policy', 'cookie policy', 'uses cookies', 'use of cookies', 'use cookies'];
  const CITATION = /\[\d*\]|\[edit\]|\[citation needed\]/gi;
  const END = /[.?!"'。！？”’」』…]$/;
  // The definition (datatrove's C4QualityFilter as this project reads it), on strings.
  const ref = (p: typeof cfg.params.c4, text: string, lang: string): [string | undefined, string] => {
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
      if (p.filterNoTerminalPunct && (!END.test(line) || line.endsWith('...'))) continue;
      if (splitWords(line, lang).length < p.minWordsPerLine) continue;
      if (splitWords(line, lang).some((w) => w.length > p.maxWordLength)) continue;
      const l = line.toLowerCase();
      if (p.filterJavascript && l.includes('javascript')) continue;
      if (p.filterPolicy && POLICY.some((x) => l.includes(x))) continue;
      sentences += (line.match(unspaced ? /[。！？!?]+|[.](?=\s|$)/g : /[.?!]+(?=\s|$)/g)?.length ?? 0) || 1;
      kept.push(line);
    }
    if (sentences < p.minSentences) return ['too_few_sentences', text];
    return [undefined, kept.join('\n').trim()];
  };
  const pieces = [
    'A full sentence that ends here.', 'Another one with four words!', 'no end here at all', 'two words', '  padded line of words.  ',
    'See the note [12] for this claim.', '[edit]', 'Enable JavaScript to continue.', 'Read our Cookie Policy now.', 'This site uses cookies, sadly.',
    'Lorem Ipsum dolor sit amet.', '{ brace }', 'coo\u212aie policy word list.', 'x'.repeat(40) + ' long word line.', '中文的句子很好。', '今天。明天！后天？',
    '', '', ' ', '\t',
  ];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), fc.constantFrom('en', 'zh'), fc.boolean(), fc.integer({ min: 1, max: 4 }), (parts, lang, punct, minSentences) => {
      const p = { ...cfg.params.c4, filterNoTerminalPunct: punct, minSentences, maxWordLength: 30 };
      const text = parts.join('\n');
      const d = doc(text, lang);
      const got = new C4(p).apply(d);
      const [want, wantText] = ref(p, text, lang);
      assert.equal(got, want);
      if (want === undefined) assert.equal(d.text, wantText);
    }),
    { numRuns: 3000 },
  );
});
