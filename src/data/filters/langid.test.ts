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
  // Long texts, around the 480-character first cut: separator runs, Greek final sigma and
  // multi-byte scripts straddling it, and texts whose first 480 characters are too few bytes.
  const seps = ' ,.!?-\n0123456789    ';
  for (let i = 0; i < 600; i++) {
    let s = '';
    const len = 380 + r.int(800);
    const pool = i % 3 === 0 ? alphabet : i % 3 === 1 ? [...'ΣσςαβΣ ΑΣ Σ.'] : [...seps + 'ab'];
    for (let j = 0; j < len; j++) s += pool[r.int(pool.length)];
    texts.push(s);
  }
  for (let k = 0; k < 40; k++) texts.push('ab '.repeat(150 + k) + "'".repeat(k % 9) + ', ' + "'".repeat(k % 5) + ' ΑΣ'.repeat(200));
  for (let k = 460; k < 500; k++) texts.push('word '.repeat(k / 5) + 'x'.repeat(k % 7) + ' ,,, '.repeat(20) + 'ΟΔΟΣ ΚΑΙ '.repeat(60));
  for (const t of texts) {
    const e = eld.detect(t);
    const want = { language: e.language, score: e.language ? (e.getScores()[e.language] ?? 0) : 0 };
    assert.deepEqual(eldDetect(t), want, JSON.stringify(t.slice(0, 60)));
  }
});
