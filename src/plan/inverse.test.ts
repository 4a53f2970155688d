// The inverse question: the largest compute-optimal model for a budget or a deadline.

import test from 'node:test';
import assert from 'node:assert/strict';
import { countParams } from './architecture.js';
import { hoursAvailable, largestModelForBudget } from './inverse.js';
import { plan } from './index.js';
import { UsageError } from '../util/errors.js';

test("nanochat's $100 tier: 8 x H100 at $24/h buys ~4 h and a model around half a billion parameters", () => {
  const r = largestModelForBudget({ budget: 100, gpu: 'H100', gpus: 8 });
  assert.ok(Math.abs(r.hoursAvailable - 100 / 24) < 1e-9);
  assert.equal(r.limitedBy, 'budget');
  assert.ok(r.params > 0.4e9 && r.params < 0.8e9, `${r.params}`);
  assert.equal(r.params, countParams(r.arch));
  assert.ok(r.params <= r.idealParams);
  assert.equal(r.tokens, 20 * r.params);
  const p = plan({ budget: 100, gpu: 'H100', gpus: 8 });
  assert.ok(p.wallClockHours > 3.5 && p.wallClockHours <= 100 / 24, `${p.wallClockHours}`);
  assert.ok(p.costUsd <= 100 && p.costUsd > 85, `${p.costUsd}`);
  assert.equal(p.budget?.proposed, true);
  assert.equal(p.budget?.withinBudget, true);
});

test('the next depth up would not fit the budget (the proposal is the largest)', () => {
  const r = largestModelForBudget({ budget: 500, gpu: 'A100', gpus: 8 });
  const next = plan({ depth: r.arch.layers + 1, gpu: 'A100', gpus: 8 });
  assert.ok(next.costUsd > 500, `${next.costUsd}`);
  assert.ok(plan({ depth: r.arch.layers, gpu: 'A100', gpus: 8 }).costUsd <= 500);
});

test('--hours limits too; the tighter of budget and hours wins; tokens per parameter is honoured', () => {
  assert.deepEqual(hoursAvailable(100, 24, 3, 8), { hours: 100 / 24, limitedBy: 'budget' });
  assert.deepEqual(hoursAvailable(1000, 24, 3, 8), { hours: 24, limitedBy: 'hours' });
  const h = largestModelForBudget({ hours: 24, gpu: 'RTX-4090', gpus: 1 });
  assert.equal(h.limitedBy, 'hours');
  const p = plan({ hours: 24, gpu: 'RTX-4090', gpus: 1 });
  assert.ok(p.wallClockHours <= 24);
  const lean = largestModelForBudget({ hours: 24, gpu: 'RTX-4090', tokensPerParam: 80 });
  assert.ok(lean.params < h.params);
  assert.equal(lean.tokens, 80 * lean.params);
});

test('with a model given, --budget checks it instead: tokens/s needed and whether it is within budget', () => {
  const p = plan({ params: 7e9, gpu: 'H100', gpus: 8, budget: 1000 });
  assert.equal(p.budget?.proposed, false);
  assert.equal(p.budget?.withinBudget, false);
  assert.ok(p.tokensPerSecond.needed! > p.tokensPerSecond.expected);
  assert.match(p.verdict, /over the \$1000 budget/);
});

test('budgets too small, or an inverse question for fine-tuning, are usage errors', () => {
  assert.throws(() => largestModelForBudget({ budget: 0.01, gpu: 'cpu' }), (e: unknown) => e instanceof UsageError && /smallest model/.test(e.message));
  assert.throws(() => plan({ budget: 100, mode: 'lora' }), /give the model/);
  assert.throws(() => plan({ budget: 100, price: 0 }), /price above 0/);
});
