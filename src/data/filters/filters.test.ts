// Quality filters at datatrove's default thresholds: each rule fires just past its
// threshold and not before; Chinese documents use the FineWeb-2 settings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../config.js';
import { GopherQuality } from './gopher.js';
import { GopherRepetition } from './gopher-repetition.js';
import { C4 } from './c4.js';
import { FineWeb } from './fineweb.js';
import { UrlBlocklist, WordBlocklist } from './blocklist.js';
import type { Doc } from '../doc.js';
import { Rng, enDoc, zhDoc } from '../synth.js';
import { gopherRepetitionReference, segments } from '../../../test/helpers/filter-references.js';

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

test('stop words match whole tokens, case-insensitively', () => {
  // "THE" and "With" count, "them" and "the," do not.
  const g = new GopherQuality({ ...cfg.params.gopherQuality, minWords: 1, minStopWords: 2 });
  const base = 'alpha beta gamma delta epsilon zeta eta theta iota kappa';
  assert.equal(g.apply(doc(`${base} THE With`)), undefined);
  assert.equal(g.apply(doc(`${base} them the,`)), 'too_few_stop_words');
});

test('Gopher duplicate paragraphs and lines equal split/trim/Set counting', async () => {
  const { duplicateSegments } = await import('./gopher-repetition.js');
  const fc = (await import('fast-check')).default;
  const ref = segments;
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

test('Gopher repetition equals a string-based datatrove reference: decisions and n-gram shares', async () => {
  const { ngramShares } = await import('./gopher-repetition.js');
  const { splitWords } = await import('../words.js');
  type P = typeof cfg.params.gopherRepetition;
  // datatrove's gopher_repetition_filter.py on the words of words.ts, with strings: the top
  // n-gram by Counter.most_common over " ".join, duplicates by find_all_duplicate over
  // "".join; lines and paragraphs trimmed and non-empty (as duplicateSegments documents).
  const ref = (text: string, lang: string, p: P) => gopherRepetitionReference(text, splitWords(text, lang), p);

  const r = new Rng(41);
  const en = cfg.params.gopherRepetition;
  const zh = { ...en, ...cfg.langParams.zh!.gopherRepetition! };
  // Documents that trip each rule: repeated phrases, duplicated lines and paragraphs, words
  // from a tiny alphabet (so "".join n-grams meet across different word boundaries: "a b"
  // and "ab"), one very long word, and fewer words than n.
  const phrase = (text: string, k: number) => {
    const w = text.split(/\s+/).filter(Boolean);
    const at = r.int(Math.max(1, w.length - k));
    return w.slice(at, at + k).join(' ');
  };
  const repeatPhrases = (text: string, zhText: boolean) => {
    const w = zhText ? [...text] : text.split(' ');
    const p = zhText ? [...phrase([...text].join(' '), 4 + r.int(12))].filter((c) => c !== ' ').join('') : phrase(text, 2 + r.int(9));
    for (let m = 1 + r.int(8); m > 0; m--) w.splice(r.int(w.length + 1), 0, p);
    return w.join(zhText ? '' : ' ');
  };
  const tiny = () => Array.from({ length: 5 + r.int(120) }, () => r.pick(['a', 'b', 'ab', 'ba', 'aab', 'c', 'bc', 'abc'])).join(r.next() < 0.9 ? ' ' : '\n');
  const docs: [string, string][] = [];
  for (let i = 0; i < 500; i++) {
    const kind = i % 10;
    if (kind === 0) docs.push([enDoc(r), 'en']);
    else if (kind === 1) docs.push([repeatPhrases(enDoc(r, 1 + r.int(3)), false), 'en']);
    else if (kind === 2) {
      const lines = enDoc(r, 2).split(/(?<=\.) /);
      docs.push([[...lines, ...lines.slice(0, r.int(lines.length))].join(r.next() < 0.5 ? '\n' : '\n\n'), 'en']);
    } else if (kind === 3) docs.push([tiny(), 'en']);
    else if (kind === 4) docs.push([`${enDoc(r, 1)} ${'x'.repeat(200 + r.int(2000))} ${enDoc(r, 1)}`, 'en']);
    else if (kind === 5) docs.push([Array.from({ length: r.int(12) }, () => r.pick(['buy', 'now', 'cheap', 'a', 'b'])).join(' '), 'en']);
    else if (kind === 6) docs.push([zhDoc(r), 'zh']);
    else if (kind === 7) docs.push([repeatPhrases(zhDoc(r, 1 + r.int(2)), true), 'zh']);
    else if (kind === 8) docs.push([Array.from({ length: 20 + r.int(200) }, () => r.pick(['你', '好', '的', '是', 'ab', ' ', '，', 'a'])).join(''), 'zh']);
    else docs.push([repeatPhrases(tiny(), false), 'en']);
  }
  // The default settings, then tighter ones so that the n-gram rules decide more often
  // (line and paragraph rules off), and a list out of ascending order (no early exits).
  const tight = (p: P): P => ({
    ...p, dupLineFrac: 2, dupParaFrac: 2, dupLineCharFrac: 2, dupParaCharFrac: 2,
    topNgrams: p.topNgrams.map(([n, m]) => [n, m / 2]), dupNgrams: p.dupNgrams.map(([n, m]) => [n, m / 3]),
  });
  const shuffled = (p: P): P => ({ ...tight(p), topNgrams: [...p.topNgrams].reverse(), dupNgrams: [...p.dupNgrams].reverse().map(([n, m]) => [n, m / 3]) });
  const reasons = new Set<string | undefined>();
  for (const [text, lang] of docs) {
    for (const p of lang === 'zh' ? [zh, tight(zh), shuffled(zh)] : [en, tight(en), shuffled(en)]) {
      const want = ref(text, lang, p);
      const got = new GopherRepetition(p).apply(doc(text, lang));
      assert.equal(got, want.reason, `${lang} ${JSON.stringify(text.slice(0, 80))}`);
      assert.deepEqual(ngramShares(doc(text, lang), p), { top: want.top, dup: want.dup }, JSON.stringify(text.slice(0, 80)));
      reasons.add(got);
    }
  }
  // Every kind of rule was exercised.
  for (const k of [undefined, 'dup_line_frac', 'dup_para_frac', 'top_2_gram', 'top_3_gram', 'duplicated_5_n_grams', 'duplicated_8_n_grams']) assert.ok(reasons.has(k), `no document decided by ${k}: ${[...reasons].join(', ')}`);
});
