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
