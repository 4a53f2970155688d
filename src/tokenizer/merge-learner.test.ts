// The incremental merge learner must learn exactly the merges of naive BPE training
// (recount every pair after every merge), ties broken the same way.

import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { learnMerges } from './merge-learner.js';

/** Naive BPE: count all pairs, merge the most frequent (ties: smallest ids), repeat. */
function naive(pieces: Map<string, number>, newTokens: number, minFrequency: number): Array<[number, number]> {
  const words = [...pieces].map(([p, c]) => ({ s: [...Buffer.from(p, 'utf8')], c }));
  const tokens: string[] = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
  const merges: Array<[number, number]> = [];
  while (tokens.length - 256 < newTokens) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.s.length; i++) counts.set(`${w.s[i]},${w.s[i + 1]}`, (counts.get(`${w.s[i]},${w.s[i + 1]}`) ?? 0) + w.c);
    let best: [number, number] | undefined;
    let bestCount = 0;
    for (const [k, c] of counts) {
      const [a, b] = k.split(',').map(Number) as [number, number];
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) (best = [a, b]), (bestCount = c);
    }
    if (!best || bestCount < minFrequency) break;
    const joined = tokens[best[0]]! + tokens[best[1]]!;
    let id = tokens.indexOf(joined);
    if (id < 0) (id = tokens.length), tokens.push(joined);
    merges.push(best);
    for (const w of words) {
      const out: number[] = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === best[0] && w.s[i + 1] === best[1]) out.push(id), i++;
        else out.push(w.s[i]!);
      }
      w.s = out;
    }
  }
  return merges;
}

test('the classic example: ug, then un, then hug', () => {
  const pieces = new Map([['hug', 10], ['pug', 5], ['pun', 12], ['bun', 4], ['hugs', 5]]);
  const { tokens, merges } = learnMerges(pieces, 3, 1);
  const u = 'u'.charCodeAt(0);
  assert.deepEqual(merges, [[u, 'g'.charCodeAt(0)], [u, 'n'.charCodeAt(0)], ['h'.charCodeAt(0), 256]]);
  assert.deepEqual(tokens.slice(256).map((t) => Buffer.from(t).toString()), ['ug', 'un', 'hug']);
});

test('incremental merges equal naive BPE on random corpora', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.stringMatching(/^[abcd中]{1,12}$/), fc.integer({ min: 1, max: 20 })), { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 1, max: 3 }),
      (entries, minFrequency) => {
        const pieces = new Map<string, number>();
        for (const [p, c] of entries) pieces.set(p, (pieces.get(p) ?? 0) + c);
        assert.deepEqual(learnMerges(pieces, 40, minFrequency).merges, naive(pieces, 40, minFrequency));
      },
    ),
    { numRuns: 400 },
  );
});
