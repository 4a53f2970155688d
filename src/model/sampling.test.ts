// Tests for token sampling: greedy, seeded reproducibility, top-k/top-p support, the
// repetition penalty rule, and stop strings during streaming.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, findStop, safeLength, sampleToken } from './sampling.js';
import { Rng } from './rng.js';

const logits = [1, 3, 2, 0.5, -1];

test('temperature 0 is greedy; the repetition penalty can move the argmax', () => {
  assert.equal(sampleToken(logits, { temperature: 0 }, new Rng(1)), 1);
  // 3 / 2 = 1.5 < 2: token 2 wins once token 1 is penalised.
  assert.equal(sampleToken(logits, { temperature: 0, repetitionPenalty: 2 }, new Rng(1), [1]), 2);
  // Negative logits are multiplied, so they fall further.
  assert.equal(sampleToken([-1, -1.5], { temperature: 0, repetitionPenalty: 2 }, new Rng(1), [0]), 1);
  assert.equal(argmax([0, 5, 5]), 1);
});

test('same seed, same samples; frequencies follow softmax', () => {
  const draw = (seed: number) => { const r = new Rng(seed); return Array.from({ length: 50 }, () => sampleToken(logits, {}, r)); };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const r = new Rng(3);
  const counts = new Array(5).fill(0);
  const N = 20000;
  for (let i = 0; i < N; i++) counts[sampleToken(logits, {}, r)]++;
  const z = logits.reduce((a, l) => a + Math.exp(l), 0);
  logits.forEach((l, i) => assert.ok(Math.abs(counts[i] / N - Math.exp(l) / z) < 0.015, `token ${i}`));
});

test('top-k and top-p restrict the support', () => {
  const r = new Rng(5);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(sampleToken(logits, { topK: 2 }, r));
  assert.deepEqual([...seen].sort(), [1, 2]);
  // Probabilities ~ .63 .23 .09 .05 .01: top-p 0.8 keeps tokens 1 and 2.
  const seenP = new Set<number>();
  for (let i = 0; i < 2000; i++) seenP.add(sampleToken(logits, { topP: 0.8 }, r));
  assert.deepEqual([...seenP].sort(), [1, 2]);
  const tiny = new Set<number>();
  for (let i = 0; i < 200; i++) tiny.add(sampleToken(logits, { topP: 0.01 }, r));
  assert.deepEqual([...tiny], [1]);
});

test('rng state round-trips exactly', () => {
  const a = new Rng(42);
  a.next();
  const b = new Rng(a.state);
  assert.deepEqual(Array.from({ length: 10 }, () => a.nextU32()), Array.from({ length: 10 }, () => b.nextU32()));
});

test('stop strings: first match, and holding back a partial stop', () => {
  assert.equal(findStop('abc\nUser: hi', ['\nUser:', 'zz']), 3);
  assert.equal(findStop('abc', ['x']), -1);
  assert.equal(safeLength('hello\nUs', ['\nUser:']), 5);
  assert.equal(safeLength('hello', ['\nUser:']), 5);
  assert.equal(safeLength('ab<|im', ['<|im_end|>']), 2);
});
