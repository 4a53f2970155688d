// MinHash: the estimated Jaccard similarity tracks the true one, band keys collide for
// near duplicates and not for unrelated texts, and Chinese is shingled by characters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MinHasher, MINHASH_DEFAULTS, estimateJaccard, pairCandidateProbability } from './minhash.js';
import { Rng, enDoc, zhDoc, perturb } from './synth.js';

function jaccard(a: Uint32Array, b: Uint32Array): number {
  const A = new Set(a);
  const B = new Set(b);
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  return inter / (A.size + B.size - inter);
}

test('estimated Jaccard is within 0.12 of the exact shingle Jaccard', () => {
  const h = new MinHasher(MINHASH_DEFAULTS);
  const r = new Rng(7);
  for (let i = 0; i < 30; i++) {
    const a = enDoc(r);
    const b = perturb(r, a, 0.02 + 0.1 * r.next());
    const sa = h.shingles(a, 'en');
    const sb = h.shingles(b, 'en');
    const exact = jaccard(sa, sb);
    const est = estimateJaccard(h.signature(sa).slice(), h.signature(sb).slice());
    assert.ok(Math.abs(est - exact) < 0.12, `exact ${exact.toFixed(3)} estimate ${est.toFixed(3)}`);
  }
});

test('datatrove figures: 14 x 8 bands keep a 0.8-similar pair as candidate with p = 0.924', () => {
  assert.equal(pairCandidateProbability(0.8, 14, 8).toFixed(3), '0.924');
});

test('band keys: near duplicates share one, unrelated documents share none', () => {
  const h = new MinHasher(MINHASH_DEFAULTS);
  const r = new Rng(9);
  const shares = (a: string, b: string, lang: string) => {
    const ka = h.bandKeys(h.signature(h.shingles(a, lang))).slice();
    const kb = h.bandKeys(h.signature(h.shingles(b, lang)));
    for (let i = 0; i < ka.length; i += 2) if (ka[i] === kb[i] && ka[i + 1] === kb[i + 1]) return true;
    return false;
  };
  for (let i = 0; i < 20; i++) {
    const en = enDoc(r);
    assert.ok(shares(en, perturb(r, en, 0.01), 'en'));
    assert.ok(!shares(en, enDoc(r), 'en'));
    const zh = zhDoc(r);
    assert.ok(shares(zh, perturb(r, zh, 0.01, true), 'zh'));
    assert.ok(!shares(zh, zhDoc(r), 'zh'));
  }
});

test('Chinese is shingled by characters, English by words; case and digits are folded', () => {
  const h = new MinHasher(MINHASH_DEFAULTS);
  assert.equal(h.shingles('今天天气很好我们去公园', 'zh').length, 11 - 5 + 1);
  assert.equal(h.shingles('one two three four five six seven', 'en').length, 3);
  assert.deepEqual([...h.shingles('The Year 1999 was GOOD and warm', 'en')], [...h.shingles('the year 2024 was good, and warm!', 'en')]);
});
