// The fast eld scorer must agree exactly with eld.detect(): language and score.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eld } from 'eld/small';
import { eldDetect } from './langid.js';
import { Rng, enDoc, zhDoc, perturb } from '../synth.js';

test('eldDetect equals eld.detect on prose, noise and edge cases', () => {
  const r = new Rng(11);
  const texts: string[] = ['', ' ', 'a', 'ab', 'abc', 'abcd', "don't", 'x'.repeat(200), '你'.repeat(100), 'ǅǆǇǈ'.repeat(30) + ' x', 'constructor __proto__ toString'];
  for (let i = 0; i < 300; i++) texts.push(r.next() < 0.6 ? enDoc(r) : zhDoc(r));
  for (let i = 0; i < 100; i++) texts.push(perturb(r, enDoc(r), 0.2));
  const alphabet = [..."abcdefghijklmnopqrstuvwxyz   éüßçñøœ'’`-.,!?0123 ДЖИКнопαβγזאבمرح你好世界的日本語ですカタカナ한국어ไทย😀\n"];
  for (let i = 0; i < 1000; i++) {
    let s = '';
    for (let j = r.int(400); j > 0; j--) s += alphabet[r.int(alphabet.length)];
    texts.push(s);
  }
  for (const t of texts) {
    const e = eld.detect(t);
    const want = { language: e.language, score: e.language ? (e.getScores()[e.language] ?? 0) : 0 };
    assert.deepEqual(eldDetect(t), want, JSON.stringify(t.slice(0, 60)));
  }
});
