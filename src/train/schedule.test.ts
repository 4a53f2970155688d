// Tests for the learning-rate schedule: warmup ramp, cosine and linear decay to min-lr.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate, type Schedule } from './schedule.js';

const s: Schedule = { lr: 1e-3, minLr: 1e-4, warmup: 10, steps: 110, decay: 'cosine' };

test('warmup rises linearly to lr', () => {
  assert.equal(learningRate(0, s), 1e-4);
  assert.ok(Math.abs(learningRate(4, s) - 5e-4) < 1e-12);
  assert.equal(learningRate(10, s), 1e-3);
});

test('cosine reaches min-lr at the last step and is halfway in the middle', () => {
  assert.ok(Math.abs(learningRate(109, s) - 1e-4) < 1e-12);
  const mid = learningRate(10 + 49.5, s);
  assert.ok(Math.abs(mid - 5.5e-4) < 1e-9);
  for (let i = 11; i < 110; i++) assert.ok(learningRate(i, s) <= learningRate(i - 1, s));
});

test('linear and constant decay', () => {
  const lin = { ...s, decay: 'linear' as const };
  assert.ok(Math.abs(learningRate(109, lin) - 1e-4) < 1e-12);
  assert.ok(Math.abs(learningRate(10 + 49.5, lin) - 5.5e-4) < 1e-12);
  assert.equal(learningRate(80, { ...s, decay: 'constant' }), 1e-3);
  assert.equal(learningRate(0, { ...s, warmup: 0 }), 1e-3);
});
