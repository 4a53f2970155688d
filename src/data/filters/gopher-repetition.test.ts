// The Gopher repetition filter against a string-based datatrove reference, on odd inputs:
// astral characters and lone surrogates, empty text, CJK, mixed scripts, long runs, words
// that leave out some of the text's non-whitespace, and n-gram keys that meet; and the
// bound that lets one pass of sums stand for every top n-gram rule.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultConfig, type GopherRepetitionParams } from '../config.js';
import type { Doc } from '../doc.js';
import { splitWords, wordSpansOf } from '../words.js';
import { GopherRepetition, charsKey, coverBound, ngramShares } from './gopher-repetition.js';
import { gopherRepetitionReference } from '../../../test/helpers/filter-references.js';

type P = GopherRepetitionParams;
const cfg = defaultConfig();
const en = cfg.params.gopherRepetition;
const zh: P = { ...en, ...cfg.langParams.zh!.gopherRepetition! };

/** Every n-gram of words as " ".join, with its count, in order of first sight. */
function ngramCounts(words: string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const g = words.slice(i, i + n).join(' ');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  return counts;
}

const reference = gopherRepetitionReference;

const doc = (text: string, lang: string): Doc => ({ id: 'x', file: 0, record: 0, text, source: 's', license: 'l', lang });

/**
 * A document whose cached words are `keep` of its own words, trimmed by `trim` characters
 * at the front (so that some non-whitespace is in no word, as a different split could do).
 */
function docWithWords(text: string, lang: string, keep: (i: number) => boolean, trim: number): [Doc, string[]] {
  const d = doc(text, lang);
  const all = wordSpansOf(d); // stamps the cache; its spans are replaced below
  const start: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < all.count; i++) {
    const s = Math.min(all.start[i]! + trim, all.end[i]! - 1);
    if (keep(i)) {
      start.push(s);
      end.push(all.end[i]!);
    }
  }
  d.wordCache!.spans = { count: start.length, start: Int32Array.from(start), end: Int32Array.from(end) };
  return [d, start.map((s, i) => text.slice(s, end[i]))];
}

// Rule sets: the defaults; tighter thresholds with the line and paragraph rules off, so
// that the n-gram rules decide; lists out of ascending order (no early exits); and only the
// duplicate rules, at thresholds low enough that their exact passes run.
const tight = (p: P): P => ({
  ...p, dupLineFrac: 2, dupParaFrac: 2, dupLineCharFrac: 2, dupParaCharFrac: 2,
  topNgrams: p.topNgrams.map(([n, m]) => [n, m / 2]), dupNgrams: p.dupNgrams.map(([n, m]) => [n, m / 3]),
});
const shuffled = (p: P): P => ({ ...tight(p), topNgrams: [...tight(p).topNgrams].reverse(), dupNgrams: [...tight(p).dupNgrams].reverse() });
const dupOnly = (p: P): P => ({ ...tight(p), topNgrams: p.topNgrams.map(([n]) => [n, 2]), dupNgrams: p.dupNgrams.map(([n]) => [n, 0.02]) });
const ruleSets = (lang: string): P[] => {
  const p = lang === 'zh' ? zh : en;
  return [p, tight(p), shuffled(p), dupOnly(p)];
};

function check(d: Doc, words: string[], p: P): string | undefined {
  const want = reference(d.text, words, p);
  const label = JSON.stringify(d.text.slice(0, 80));
  assert.deepEqual(ngramShares(d, p), { top: want.top, dup: want.dup }, label);
  const got = new GopherRepetition(p).apply(d);
  assert.equal(got, want.reason, label);
  return got;
}

// Texts with the odd cases in them: short words from a tiny alphabet (so that n-grams
// repeat, and "".join n-grams meet across different word boundaries), CJK, an astral
// character, a lone surrogate, punctuation, long runs, and every kind of whitespace
// between them (or none); some of them say it all again, or part of it.
const pieces = ['a', 'b', 'ab', 'ba', 'abc', 'a', 'b', '中', '文', '的', '中文', '😀', '\ud800', '，', '.', 'x'.repeat(40)];
const gaps = [' ', ' ', ' ', ' ', '', '\t', '\n', '\n\n', '\u3000', '\u00a0'];
const texts = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom(...pieces), fc.constantFrom(...gaps)), { maxLength: 80, size: 'max' }), fc.integer({ min: 0, max: 2 }), fc.nat())
  .map(([xs, again, cut]) => {
    const once = xs.map(([w, g]) => w + g).join('');
    return again === 0 ? once : once.repeat(again + 1).slice(0, once.length * again + (cut % (once.length + 1)));
  });

test('n-gram shares and decisions equal the string reference on odd texts', () => {
  const reasons = new Set<string | undefined>();
  fc.assert(
    fc.property(texts, fc.constantFrom('en', 'zh'), (text, lang) => {
      const words = splitWords(text, lang);
      for (const p of ruleSets(lang)) reasons.add(check(doc(text, lang), words, p));
    }),
    { numRuns: 1500 },
  );
  for (const k of [undefined, 'dup_line_frac', 'top_2_gram', 'top_3_gram', 'duplicated_5_n_grams', 'duplicated_8_n_grams']) assert.ok(reasons.has(k), `no text decided by ${k}: ${[...reasons].join(', ')}`);
});

test('words that leave out some non-whitespace are hashed word by word, with the same results', () => {
  fc.assert(
    fc.property(texts, fc.constantFrom('en', 'zh'), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 3 }), (text, lang, trim, every) => {
      for (const p of ruleSets(lang)) {
        const [d, words] = docWithWords(text, lang, (i) => i % every !== 1, trim);
        check(d, words, p);
      }
    }),
    { numRuns: 500 },
  );
});

test('long documents: scratch grows past its first sizes, and repeats far apart are found', () => {
  const long = Array.from({ length: 6000 }, (_, i) => `w${i % 2500}`).join(' ');
  const zhLong = Array.from({ length: 12000 }, (_, i) => '的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年'[(i * 7) % 30]).join('');
  for (const [text, lang] of [[long, 'en'], [zhLong, 'zh'], ['', 'en'], ['', 'zh'], ['😀'.repeat(3000), 'en'], ['a'.repeat(20000), 'en']] as const) {
    for (const p of ruleSets(lang)) check(doc(text, lang), splitWords(text, lang), p);
  }
});

test('n-grams whose keys meet are still counted apart', () => {
  // Two distinct four-letter words with one key: the 2-grams "X q" and "Y q" (and "Xq" and
  // "Yq") share a key too.
  const byKey = new Map<number, string>();
  let pair: [string, string] | undefined;
  const a = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < 26 ** 4 && !pair; i++) {
    const w = a[i % 26]! + a[Math.floor(i / 26) % 26]! + a[Math.floor(i / 676) % 26]! + a[Math.floor(i / 17576)]!;
    const k = charsKey(w);
    const other = byKey.get(k);
    if (other !== undefined) pair = [other, w];
    else byKey.set(k, w);
  }
  assert.ok(pair, 'no two four-letter words share a key');
  const [x, y] = pair;
  const p: P = { ...en, dupLineFrac: 2, dupParaFrac: 2, dupLineCharFrac: 2, dupParaCharFrac: 2, topNgrams: [[2, 0.3], [3, 0.3]], dupNgrams: [[2, 0.3]] };
  // "X q" twice, "Y q" three times: the merged count (5) would put "X q" first.
  for (const text of [`${x} q ${x} q ${y} q ${y} q ${y} q`, `${x} q ${y} q ${x} q ${y} q`, `${y} q ${x} q`]) {
    for (const rules of [p, { ...p, topNgrams: [[2, 0]] as [number, number][] }, { ...p, topNgrams: [], dupNgrams: [[2, 0]] as [number, number][] }]) {
      check(doc(text, 'en'), splitWords(text, 'en'), rules);
    }
  }
});

test('coverBound: one top n-gram sum bounds every longer n-gram', () => {
  fc.assert(
    fc.property(texts, fc.constantFrom('en', 'zh'), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 8 }), (text, lang, k, extra) => {
      const words = splitWords(text, lang);
      // The largest count * joined length at k: topBound(k) is never below it.
      const most = (n: number) => Math.max(0, ...[...ngramCounts(words, n)].map(([g, c]) => c * g.length));
      const n = k + extra;
      assert.ok(most(n) <= coverBound(n, k, most(k)), `${n} from ${k}: ${JSON.stringify(text.slice(0, 60))}`);
    }),
    { numRuns: 2000 },
  );
});
