// The one-pass double hash equals two single hashes, over any range of any text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashRange, hashRange2 } from './hash.js';

test('hashRange2 equals hashRange with each seed', () => {
  const out = new Uint32Array(3);
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 50 }), fc.nat(), fc.nat(), fc.integer(), fc.integer(), (s, x, y, seed1, seed2) => {
      const a = Math.min(x % (s.length + 1), y % (s.length + 1));
      const b = Math.max(x % (s.length + 1), y % (s.length + 1));
      hashRange2(s, a, b, seed1, seed2, out, 1);
      assert.equal(out[1], hashRange(s, a, b, seed1));
      assert.equal(out[2], hashRange(s, a, b, seed2));
    }),
    { numRuns: 2000 },
  );
});
