// MinHash: the estimated Jaccard similarity tracks the true one, band keys collide for
// near duplicates and not for unrelated texts, Chinese is shingled by characters, and the
// WebAssembly signature kernel is bit-identical to the JavaScript reference (and its fallback).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { MinHasher, MINHASH_DEFAULTS, EXACT_SEED1, EXACT_SEED2, compileMinhashKernel, estimateJaccard, pairCandidateProbability } from './minhash.js';
import { hashRange2 } from './hash.js';
import { Rng, enDoc, zhDoc, perturb } from './synth.js';

/** A MinHasher made with ANVIL_DATA_WASM=off: the JavaScript signature path. */
function jsHasher(): MinHasher {
  const before = process.env.ANVIL_DATA_WASM;
  process.env.ANVIL_DATA_WASM = 'off';
  try {
    return new MinHasher(MINHASH_DEFAULTS);
  } finally {
    if (before === undefined) delete process.env.ANVIL_DATA_WASM;
    else process.env.ANVIL_DATA_WASM = before;
  }
}

function jaccard(a: Uint32Array, b: Uint32Array): number {
  const A = new Set(a);
  const B = new Set(b);
  let inter = 0;
  for (const x of A) if (B.has(x)) inter++;
  return inter / (A.size + B.size - inter);
}

test('estimated Jaccard tracks the exact shingle Jaccard: within 4 standard errors, unbiased on average', () => {
  // With P = 112 independent minima the estimate is binomial: sd = sqrt(J (1 - J) / 112).
  const h = new MinHasher(MINHASH_DEFAULTS);
  const r = new Rng(7);
  let absErr = 0;
  let err = 0;
  const n = 60;
  for (let i = 0; i < n; i++) {
    const a = enDoc(r);
    const b = perturb(r, a, 0.02 + 0.1 * r.next());
    const sa = h.shingles(a, 'en');
    const sb = h.shingles(b, 'en');
    const exact = jaccard(sa, sb);
    const est = estimateJaccard(h.signature(sa).slice(), h.signature(sb).slice());
    const sd = Math.sqrt((exact * (1 - exact)) / 112);
    assert.ok(Math.abs(est - exact) <= 4 * sd + 1e-9, `exact ${exact.toFixed(3)} estimate ${est.toFixed(3)}`);
    absErr += Math.abs(est - exact);
    err += est - exact;
  }
  // Expected mean |error| is about 0.8 sd (~0.035 here); a biased hash family would show.
  assert.ok(absErr / n < 0.06, `mean |error| ${(absErr / n).toFixed(3)}`);
  assert.ok(Math.abs(err / n) < 0.03, `mean error ${(err / n).toFixed(3)}`);
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

// The WebAssembly kernel against the JavaScript reference (signatureJs), and both against
// the plain definition: sig[i] = min over x of (a_i * x + b_i) mod 2^32, unsigned, stored
// with the sign bit flipped.

/** A MinHasher's multipliers and offsets, which the class keeps private. */
function params(h: MinHasher): { a: Int32Array; b: Int32Array } {
  return h as unknown as { a: Int32Array; b: Int32Array };
}

function definition(h: MinHasher, xs: Uint32Array): Int32Array {
  const { a, b } = params(h);
  const out = new Int32Array(h.perms);
  for (let i = 0; i < h.perms; i++) {
    let m = 0xffffffff;
    for (const x of xs) m = Math.min(m, Number((BigInt(a[i]! >>> 0) * BigInt(x) + BigInt(b[i]! >>> 0)) % 2n ** 32n));
    out[i] = (m ^ 0x80000000) | 0;
  }
  return out;
}

/** Random uint32 values with the edge cases (0, 1, 2^31, 2^32 - 1) mixed in. */
function randomShingles(r: Rng, n: number): Uint32Array {
  const edges = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
  const xs = new Uint32Array(n);
  for (let i = 0; i < n; i++) xs[i] = r.next() < 0.05 ? r.pick(edges) : (r.next() * 2 ** 32) >>> 0;
  return xs;
}

/** Bands x rows giving P = 1, 3, 5, 112 and 130 permutations. */
const SHAPES = [[1, 1], [3, 1], [1, 5], [14, 8], [13, 10]] as const;
const COUNTS = [0, 1, 3, 7, 8, 9, 1000, 1027, 40_000];

test('the wasm kernel is built and used (the comparisons below are not vacuous)', () => {
  assert.equal(new MinHasher(MINHASH_DEFAULTS).usesWasm, true, 'dist/wasm/minhash.wasm missing: run `npm run build`');
});

test('wasm signature is bit-identical to the JavaScript one for P = 1, 3, 5, 112, 130 and N = 0..40000', () => {
  const r = new Rng(11);
  for (const [bands, rows] of SHAPES) {
    for (const seed of [1, 0xdeadbeef]) {
      const h = new MinHasher({ ...MINHASH_DEFAULTS, bands, rows, seed });
      for (const n of COUNTS) {
        const xs = randomShingles(r, n);
        const wasm = h.signature(xs).slice();
        assert.deepEqual(wasm, h.signatureJs(xs).slice(), `P=${h.perms} N=${n} seed=${seed}`);
        if (n <= 9) assert.deepEqual(wasm, definition(h, xs), `P=${h.perms} N=${n} vs definition`);
      }
    }
  }
});

test('no shingles give the empty signature (all minima at the top), on both paths', () => {
  const h = new MinHasher({ ...MINHASH_DEFAULTS, bands: 3, rows: 1 });
  h.signature(new Uint32Array([5, 6, 7])); // leave a previous result behind
  assert.deepEqual([...h.signature(new Uint32Array(0))], [0x7fffffff, 0x7fffffff, 0x7fffffff]);
  assert.deepEqual([...h.signatureJs(new Uint32Array(0))], [0x7fffffff, 0x7fffffff, 0x7fffffff]);
});

test('the kernel memory grows for a long document and stays right for short ones after it', () => {
  const r = new Rng(12);
  const h = new MinHasher(MINHASH_DEFAULTS);
  for (const n of [5, 100_000, 3, 70_000, 9, 300_000, 1]) {
    const xs = randomShingles(r, n);
    assert.deepEqual(h.signature(xs).slice(), h.signatureJs(xs).slice(), `N=${n}`);
  }
});

test('wasm and JavaScript agree on real shingles and on views into a larger array', () => {
  const r = new Rng(13);
  const h = new MinHasher(MINHASH_DEFAULTS);
  for (let i = 0; i < 10; i++) {
    for (const [text, lang] of [[enDoc(r), 'en'], [zhDoc(r), 'zh']] as const) {
      const xs = h.shingles(text, lang);
      assert.deepEqual(h.signature(xs).slice(), h.signatureJs(xs).slice());
      const view = xs.subarray(1 + r.int(3), xs.length - r.int(3));
      assert.deepEqual(h.signature(view).slice(), h.signatureJs(view).slice());
    }
  }
});

test('random P and shingles (property): wasm equals JavaScript', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 300 }),
      (bands, rows, seed, xs) => {
        const h = new MinHasher({ ...MINHASH_DEFAULTS, bands, rows, seed });
        const x = Uint32Array.from(xs);
        assert.deepEqual(h.signature(x).slice(), h.signatureJs(x).slice());
      },
    ),
    { numRuns: 200 },
  );
});

test('fallback: a missing or invalid kernel file compiles to null, ANVIL_DATA_WASM=off forces JavaScript', () => {
  assert.equal(compileMinhashKernel(undefined), null);
  assert.equal(compileMinhashKernel(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff])), null);
  assert.notEqual(compileMinhashKernel(readFileSync(new URL('../../wasm/minhash.wasm', import.meta.url))), null);
  const h = jsHasher();
  assert.equal(h.usesWasm, false);
  const xs = randomShingles(new Rng(14), 500);
  assert.deepEqual(h.signature(xs).slice(), new MinHasher(MINHASH_DEFAULTS).signature(xs).slice());
});

test('shingles: the one-pass path equals the regex definition, and rolling windows equal direct hashing', () => {
  const h = new MinHasher(MINHASH_DEFAULTS);
  const alphabet = ['the', 'Cat', 'sat', ' ', ' ', ',', '.', '1999', '٣', 'İ', 'é', '中', '文', '数', '据', '\n', 'ǅ', '—'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }), fc.constantFrom('en', 'zh'), (parts, lang) => {
      const text = parts.join('');
      assert.deepEqual([...h.shingles(text, lang)], [...h.shinglesByRegex(text, lang)]);
    }),
    { numRuns: 1500 },
  );
  // Window i of a long text is the single shingle of exactly its own five words (characters).
  const words = 'one two three four five six seven eight nine ten eleven'.split(' ');
  const all = h.shingles(words.join(' '), 'en');
  for (let i = 0; i + 5 <= words.length; i++) assert.equal(all[i], h.shingles(words.slice(i, i + 5).join(' '), 'en')[0]);
  const zh = '今天天气很好我们去公园散步';
  const allZh = h.shingles(zh, 'zh');
  for (let i = 0; i + 5 <= zh.length; i++) assert.equal(allZh[i], h.shingles(zh.slice(i, i + 5), 'zh')[0]);
});

test('sketch: the fused pass equals the exact hash and band keys made separately, kernel and JavaScript, on any text', () => {
  const withWasm = new MinHasher(MINHASH_DEFAULTS);
  const withJs = jsHasher();
  const words = 3 + 2 * MINHASH_DEFAULTS.bands;
  const expected = (h: MinHasher, text: string, lang: string | undefined) => {
    const row = new Uint32Array(words);
    hashRange2(text, 0, text.length, EXACT_SEED1, EXACT_SEED2, row, 1);
    h.bandKeys(h.signature(h.shingles(text, lang)), row, 3);
    return [...row];
  };
  // Σ (final sigma) and İ (two-unit lower case) and astral characters take the other path.
  const alphabet = ['the', 'Cat', 'SAT', ' ', ' ', ',', '.', '1999', '٣', 'İ', 'Σ', 'ΟΔΟΣ', 'é', 'Ä', '中', '文', '数', '据', '\n', 'ǅ', '—', '😀', '𠀋', 'ß', 'ẞ'];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }), fc.constantFrom('en', 'zh', undefined), (parts, lang) => {
      const text = parts.join('');
      for (const h of [withWasm, withJs]) {
        const row = new Uint32Array(words).fill(7);
        h.sketch(text, lang, row);
        assert.equal(row[0], 7); // left alone
        assert.deepEqual([...row].slice(1), expected(h, text, lang).slice(1));
      }
    }),
    { numRuns: 1500 },
  );
  // Long documents of both languages, where the kernel's memory grows.
  const r = new Rng(31);
  for (let i = 0; i < 20; i++) {
    const text = Array.from({ length: 1 + r.int(40) }, () => (i % 2 ? zhDoc(r) : enDoc(r))).join('\n\n');
    const lang = i % 2 ? 'zh' : 'en';
    const row = new Uint32Array(words);
    withWasm.sketch(text, lang, row);
    assert.deepEqual([...row].slice(1), expected(withJs, text, lang).slice(1));
  }
});

test('sketch: every BMP code unit is lowered and classed as the toLowerCase() path does', () => {
  const h = new MinHasher(MINHASH_DEFAULTS);
  const words = 3 + 2 * MINHASH_DEFAULTS.bands;
  for (let c0 = 0; c0 < 0x10000; c0 += 32) {
    // 32 consecutive units, in words of 1 to 3 units beside letters and separators.
    let text = 'a ';
    for (let c = c0; c < c0 + 32; c++) if (c < 0xd800 || c > 0xdfff) text += String.fromCharCode(c) + (c % 3 === 0 ? ' ' : c % 3 === 1 ? 'x' : '');
    for (const lang of ['en', 'zh']) {
      const row = new Uint32Array(words);
      h.sketch(text, lang, row);
      const ref = new Uint32Array(words);
      hashRange2(text, 0, text.length, EXACT_SEED1, EXACT_SEED2, ref, 1);
      h.bandKeys(h.signature(h.shinglesByRegex(text, lang)), ref, 3);
      assert.deepEqual([...row], [...ref], `units ${c0.toString(16)}.. (${lang})`);
    }
  }
});
