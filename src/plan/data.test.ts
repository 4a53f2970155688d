// Tokens to raw text per language, language mixes, and open-dataset coverage.

import test from 'node:test';
import assert from 'node:assert/strict';
import { dataPlan, parseLanguageMix } from './data.js';
import { UsageError } from '../util/errors.js';

test('nanochat d20: 11.2B tokens of English is ~50 GB of raw text at 4.6 bytes per token', () => {
  const d = dataPlan(11.2e9, { en: 1 });
  assert.equal(d.languages.length, 1);
  assert.ok(Math.abs(d.rawGB - 11.2 * 4.6) < 1e-9);
  // FineWeb-Edu covers it in one pass; English Wikipedia does not
  const en = d.languages[0]!;
  assert.ok(en.openDataEnough);
  assert.equal(en.datasets.find((x) => x.name.startsWith('FineWeb-Edu (score'))!.enough, true);
  const wiki = en.datasets.find((x) => x.name.startsWith('Wikipedia'))!;
  assert.equal(wiki.enough, false);
  assert.ok(Math.abs(wiki.epochs - 11.2e9 / wiki.tokens) < 1e-12);
});

test('a Chinese share uses Chinese bytes per token and Chinese datasets', () => {
  const d = dataPlan(10e9, { en: 0.7, zh: 0.3 });
  const zh = d.languages.find((l) => l.lang === 'zh')!;
  assert.equal(zh.tokens, 3e9);
  assert.ok(Math.abs(zh.rawGB - 3 * 3.2) < 1e-9);
  assert.ok(zh.datasets.length > 0 && zh.datasets.every((x) => x.license.length > 0));
  assert.ok(Math.abs(d.rawGB - (7 * 4.6 + 3 * 3.2)) < 1e-9);
  // 2T Chinese tokens are more than any open Chinese set in the catalogue holds
  assert.equal(dataPlan(4e12, { zh: 1 }).languages[0]!.openDataEnough, false);
});

test('language mixes: equal shares, weights normalised, errors list the languages', () => {
  assert.deepEqual(parseLanguageMix('en,zh'), { en: 0.5, zh: 0.5 });
  assert.deepEqual(parseLanguageMix('en=3, zh=1'), { en: 0.75, zh: 0.25 });
  assert.deepEqual(parseLanguageMix('EN'), { en: 1 });
  assert.throws(() => parseLanguageMix('en,fr'), (e: unknown) => e instanceof UsageError && /unknown language "fr"; accepted: en, zh/.test(e.message));
  assert.throws(() => parseLanguageMix('en=-1'), /positive/);
  assert.throws(() => parseLanguageMix(''), /empty/);
});
