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

test('eldDetect equals eld.detect on separator runs, apostrophes, astral characters and the cuts', () => {
  const r = new Rng(12);
  const texts: string[] = [
    "''abc", "'',abc", ",,'abc", "   'x y", "abc''", "abc,'", "abc',", "a'b", "a ' b", "a`'’b", "’", "''", ",'", "'.'.'",
    'İstanbul İzmir', 'ΣΟΦΙΑ ΚΑΙ ΟΔΟΣ', 'ǅemal ǈubica', '\ud83d\ude00abc', 'abc\ud83d', '\udc00abc\ud800', '\ufeffabc\u00a0def\u3000ghi',
  ];
  const alphabet = [
    ..."aeiouxyzAÉßçñ ’`',.-\n\t0123456789", '\u00a0', '\u3000', '\ufeff', '\u200d', '\u0301', '😀', '𝐀', '\ud800', '\udc00',
    'Д', 'ж', 'α', 'Ω', 'ǅ', 'ﬁ', 'ﬀ', 'ا', 'ש', '你', '好', 'か', 'カ', '한', 'ไ', 'İ', 'Σ',
  ];
  const pick = (pool: string[], n: number) => Array.from({ length: n }, () => pool[r.int(pool.length)]).join('');
  // Mixed text over that alphabet, mostly separators and apostrophes, and mostly letters.
  for (let i = 0; i < 500; i++) texts.push(pick(i % 2 ? alphabet : [...alphabet.slice(0, 14), ...'abcdefghijk'], 1 + r.int(1200)));
  // Random code units from the whole BMP (lone surrogates included) and astral pairs.
  for (let i = 0; i < 300; i++) {
    let t = '';
    for (let j = r.int(500); j > 0; j--) t += r.next() < 0.1 ? String.fromCodePoint(0x10000 + r.int(0xfffff)) : String.fromCharCode(r.int(0x10000));
    texts.push(t);
  }
  // Words up to near the 480-character first cut (and the 1,000 one), then a long run of
  // separators and apostrophes across it, then more words.
  for (let i = 0; i < 400; i++) {
    const cut = i % 4 === 0 ? 1000 : 480;
    let t = '';
    while (t.length < cut - 30 + r.int(40)) t += pick([...'abcdefgh'], 1 + r.int(8)) + ' ';
    t += pick([..." ’`',.-0123😀", '\u0301'], r.int(60));
    while (t.length < cut + 200) t += pick(i % 3 ? [...'abcdefgh'] : ['ж', 'α', '你', 'a'], 1 + r.int(8)) + pick([' ', "'", ', ', ' ’'], 1);
    texts.push(t);
  }
  // Few bytes in the first 1,000 characters: what lies across character 1,000 decides.
  for (let k = 980; k <= 1000; k++) for (const run of ['.', " '", '’,', '😀']) texts.push('ab ' + run.repeat(k).slice(0, k - 3) + "cdefgh ij'kl ’mn", 'ab ' + ' '.repeat(k - 3) + 'çaé');
  for (const t of texts) {
    const e = eld.detect(t);
    const want = { language: e.language, score: e.language ? (e.getScores()[e.language] ?? 0) : 0 };
    assert.deepEqual(eldDetect(t), want, JSON.stringify(t.slice(0, 60)));
  }
});

test('the model cache: built and written on first use, read back by later processes, rebuilt when damaged', async () => {
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'anvil-eld-cache-'));
  const texts = ['The quick brown fox jumps over the lazy dog near the river bank.', '今天天气很好，我们去公园散步吧。', 'Der schnelle braune Fuchs springt über den faulen Hund.', 'ΟΔΟΣ ΚΑΙ ΣΟΦΙΑ', 'nǐ hǎo, cafe\u0301 Բարեւ'];
  // Enough text to touch much of the model and of the code-unit table, built or read back.
  const r = new Rng(13);
  for (let i = 0; i < 150; i++) texts.push(i % 3 === 0 ? zhDoc(r) : i % 3 === 1 ? enDoc(r) : perturb(r, enDoc(r), 0.3));
  const url = new URL('./langid.js', import.meta.url).href;
  const run = () => {
    const script = `const m = await import(${JSON.stringify(url)}); const { readFileSync } = await import('node:fs'); console.log(JSON.stringify(JSON.parse(readFileSync(0, 'utf8')).map((t) => m.eldDetect(t))));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      input: JSON.stringify(texts),
      env: { ...process.env, ANVIL_CACHE_DIR: dir },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as unknown;
  };
  try {
    const want = texts.map((t) => {
      const e = eld.detect(t);
      return { language: e.language, score: e.language ? (e.getScores()[e.language] ?? 0) : 0 };
    });
    assert.deepEqual(run(), want); // builds and writes the cache
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin'));
    assert.equal(files.length, 1);
    const path = join(dir, files[0]!);
    const size = statSync(path).size;
    const written = statSync(path).mtimeMs;
    const stale = join(dir, files[0]!.replace(/-u.*$/, '-v1.bin'));
    writeFileSync(stale, 'old');
    assert.deepEqual(run(), want); // reads it (and does not write it again), and removes the v1 file
    assert.equal(statSync(path).mtimeMs, written);
    assert.deepEqual(readdirSync(dir), [files[0]!]);
    // Files of an earlier format for the same eld data go (when the cache is read, as above,
    // or written); those of another eld install stay.
    const older = join(dir, files[0]!.replace(/-u.*$/, '-v1.bin'));
    const otherInstall = join(dir, 'eld-small-1-2-v1.bin');
    writeFileSync(older, 'old');
    writeFileSync(otherInstall, 'other');
    writeFileSync(path, readFileSync(path).subarray(0, size >> 1)); // damaged: cut in half
    assert.deepEqual(run(), want); // rebuilt
    assert.equal(statSync(path).size, size);
    assert.deepEqual(readdirSync(dir).sort(), [files[0]!, 'eld-small-1-2-v1.bin'].sort());
    rmSync(otherInstall);
    // Written for another regex or Unicode version (same length, so only the check catches it).
    const good = readFileSync(path);
    for (const [field, other] of [['"separators":"/', '"separators":"#'], ['"unicode":"', '"unicode":"x']]) {
      const text = good.toString('latin1');
      const at = text.indexOf(field!);
      assert.ok(at > 0);
      writeFileSync(path, Buffer.from(text.slice(0, at) + other + text.slice(at + other!.length), 'latin1'));
      assert.deepEqual(run(), want); // rebuilt
      assert.ok(readFileSync(path).equals(good));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
