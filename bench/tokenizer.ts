// `npm run bench:tokenizer`: anvil's BPE trainer against SentencePiece's BPE trainer
// (Debian's python3-sentencepiece) on the same >= 50 MB corpus, encoding throughput
// against the `tiktoken` package with the same GPT-2 ranks (single thread, then anvil
// across threads), and characters per token on held-out Chinese text.
//
// The corpus is generated deterministically (seeded RNG) from text shipped in the
// installed `typescript` package, so nothing is downloaded:
//   Chinese: a character-bigram chain over the zh-cn/zh-tw compiler message catalogues
//            (every 10th zh-cn message held out for the characters-per-token figure);
//   English: a word-bigram chain over the English compiler messages, the doc comments
//            of lib.*.d.ts and the READMEs of installed packages;
//   code:    windows of the package's own JavaScript and .d.ts files.
// Flags: --mb N (corpus size, default 50), --vocab N (default 32000), --threads N,
// --encode-mb N (encoding sample, default 8), --no-spm, --json.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, statSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { get_encoding } from 'tiktoken';
import { trainTokenizer, loadTiktokenEncoding, type Tokenizer } from '../src/tokenizer/index.js';
import { EncoderPool } from '../src/tokenizer/batch.js';
import { countChars } from '../src/tokenizer/stats.js';

const { values: flags } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    vocab: { type: 'string', default: '32000' },
    threads: { type: 'string' },
    'encode-mb': { type: 'string', default: '8' },
    'no-spm': { type: 'boolean' },
    json: { type: 'boolean' },
  },
});
const MB = Number(flags.mb);
const VOCAB = Number(flags.vocab);
const THREADS = Number(flags.threads ?? Math.min(availableParallelism(), 8));
const ENCODE_MB = Number(flags['encode-mb']);
const log = (s: string) => process.stderr.write(s + '\n');

const tsLib = dirname(createRequire(import.meta.url).resolve('typescript/lib/typescript.js'));
const nodeModules = dirname(dirname(tsLib));

/** mulberry32: a small seeded RNG, so the corpus is the same on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function messages(lang: string): string[] {
  return Object.values(JSON.parse(readFileSync(join(tsLib, lang, 'diagnosticMessages.generated.json'), 'utf8')) as Record<string, string>);
}

/** The held-out Chinese sample (never seen by the generator). */
export function heldOutChinese(): string[] {
  return messages('zh-cn').filter((_, i) => i % 10 === 0);
}

/**
 * A second, out-of-domain Chinese sample: the translations in the zh_CN gettext
 * catalogues of installed Debian programs (apt, coreutils, git, ...), when present.
 */
function gettextChinese(): string[] {
  const dir = '/usr/share/locale/zh_CN/LC_MESSAGES';
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.mo')).sort()) {
    const b = readFileSync(join(dir, name));
    if (b.length < 28) continue;
    const le = b.readUInt32LE(0) === 0x950412de;
    const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    if (!le && b.readUInt32BE(0) !== 0x950412de) continue;
    const n = u32(8);
    const table = u32(16); // translations: (length, offset) pairs
    for (let k = 1; k < n; k++) {
      const len = u32(table + 8 * k);
      const off = u32(table + 8 * k + 4);
      if (off + len > b.length) break;
      for (const t of b.toString('utf8', off, off + len).split('\0')) if (/[\u4e00-\u9fff]/.test(t)) out.push(t);
    }
  }
  return out;
}

/** A bigram chain over units (characters or words): successors with repetition, so sampling follows frequency. */
function chain(sequences: string[][]): Map<string, string[]> {
  const next = new Map<string, string[]>();
  for (const seq of sequences) {
    let prev = '^';
    for (const u of seq) {
      let l = next.get(prev);
      if (!l) next.set(prev, (l = []));
      l.push(u);
      prev = u;
    }
    const l = next.get(prev) ?? [];
    l.push('$');
    next.set(prev, l);
  }
  return next;
}

function walk(next: Map<string, string[]>, rand: () => number, maxUnits: number, sep: string): string {
  const out: string[] = [];
  let u = '^';
  for (let k = 0; k < maxUnits; k++) {
    const l = next.get(u);
    if (!l) break;
    u = l[Math.floor(rand() * l.length)]!;
    if (u === '$') break;
    out.push(u);
  }
  return out.join(sep);
}

function filesUnder(dir: string, re: RegExp, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) filesUnder(p, re, out);
    else if (re.test(name) && st.size > 2000) out.push(p);
  }
  return out;
}

/** Builds (or reuses) the benchmark corpus of about `mb` MB; returns its path. */
function buildCorpus(mb: number): string {
  const dir = join(tmpdir(), 'anvil-bench-tokenizer');
  const file = join(dir, `corpus-v1-${mb}mb.txt`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const rand = rng(20240501);
  const heldOut = new Set(heldOutChinese());
  const zh = [...messages('zh-cn'), ...messages('zh-tw')].filter((m) => !heldOut.has(m));
  const zhChain = chain(zh.map((m) => [...m]));
  const ts = readFileSync(join(tsLib, 'typescript.js'), 'utf8');
  const english: string[] = [];
  for (const m of ts.matchAll(/diag\(\d+, \d+, "[^"]*", "((?:[^"\\]|\\.)*)"/g)) english.push(m[1]!.replace(/\\"/g, '"'));
  for (const f of readdirSync(tsLib).filter((n) => n.startsWith('lib.') && n.endsWith('.d.ts')).sort()) {
    for (const m of readFileSync(join(tsLib, f), 'utf8').matchAll(/^\s*\* ([A-Z][^@\n]{20,})$/gm)) english.push(m[1]!);
  }
  for (const f of filesUnder(nodeModules, /^README\.md$/i)) english.push(...readFileSync(f, 'utf8').split(/\n\s*\n/).filter((p) => /^[A-Za-z]/.test(p)));
  const enChain = chain(english.map((s) => s.split(/\s+/).filter(Boolean)));
  const codeFiles = filesUnder(tsLib, /\.(js|d\.ts)$/).concat(filesUnder(join(nodeModules, 'yaml'), /\.js$/)).map((f) => readFileSync(f, 'utf8'));
  const parts: string[] = [];
  let bytes = 0;
  const target = mb * 1e6;
  while (bytes < target) {
    const r = rand();
    let doc: string;
    if (r < 0.3) {
      const paras: string[] = [];
      const n = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < n; k++) paras.push(walk(zhChain, rand, 200, ''));
      doc = paras.join('\n');
    } else if (r < 0.7) {
      const sentences: string[] = [];
      const n = 2 + Math.floor(rand() * 10);
      for (let k = 0; k < n; k++) sentences.push(walk(enChain, rand, 60, ' '));
      doc = sentences.join(rand() < 0.5 ? ' ' : '\n');
    } else {
      const src = codeFiles[Math.floor(rand() * codeFiles.length)]!;
      let at = Math.floor(rand() * Math.max(1, src.length - 4000));
      at = src.indexOf('\n', at) + 1;
      doc = src.slice(at, at + 500 + Math.floor(rand() * 3000));
      doc = doc.slice(0, doc.lastIndexOf('\n') + 1 || doc.length);
    }
    doc = doc.trim();
    if (!doc) continue;
    parts.push(doc);
    bytes += Buffer.byteLength(doc) + 2;
  }
  writeFileSync(file + '.tmp', parts.join('\n\n') + '\n');
  writeFileSync(file, readFileSync(file + '.tmp'));
  rmSync(file + '.tmp');
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function charsPerToken(tok: { encode(t: string): ArrayLike<number> }, texts: string[]): number {
  let chars = 0;
  let tokens = 0;
  for (const t of texts) {
    chars += countChars(t);
    tokens += tok.encode(t).length;
  }
  return chars / tokens;
}

async function main() {
  log(`corpus: generating/reusing ${MB} MB ...`);
  const corpus = buildCorpus(MB);
  const corpusBytes = statSync(corpus).size;
  log(`corpus: ${corpus} (${(corpusBytes / 1e6).toFixed(1)} MB)`);

  // --- training
  log(`anvil: training a ${VOCAB} vocabulary with ${THREADS} threads ...`);
  let t0 = performance.now();
  const trained = await trainTokenizer({ inputs: [corpus], vocabSize: VOCAB, pattern: 'cjk', threads: THREADS });
  const anvilTrain = (performance.now() - t0) / 1000;
  log(`anvil: ${anvilTrain.toFixed(1)} s`);
  let spm: { seconds: number; version: string } | undefined;
  if (!flags['no-spm']) {
    log(`sentencepiece: training a ${VOCAB} BPE vocabulary with ${THREADS} threads ...`);
    const script = fileURLToPath(new URL('../../bench/tokenizer_spm.py', import.meta.url));
    const out = join(tmpdir(), 'anvil-bench-tokenizer', 'spm');
    const r = spawnSync('/usr/bin/python3', [script, corpus, String(VOCAB), String(THREADS), out], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (r.status !== 0) throw new Error(`sentencepiece failed: ${r.stderr.slice(-2000)}`);
    spm = JSON.parse(r.stdout.trim().split('\n').pop()!);
    log(`sentencepiece ${spm!.version}: ${spm!.seconds.toFixed(1)} s`);
  }

  // --- Chinese characters per token (held-out real text)
  const zhSample = heldOutChinese();
  const gpt2 = await loadTiktokenEncoding('gpt2');
  const cl100k = await loadTiktokenEncoding('cl100k_base');
  const zh = { anvil: charsPerToken(trained, zhSample), gpt2: charsPerToken(gpt2, zhSample), cl100k: charsPerToken(cl100k, zhSample), chars: zhSample.reduce((s, t) => s + countChars(t), 0) };
  const zhOut = gettextChinese();
  const zh2 = zhOut.length
    ? { anvil: charsPerToken(trained, zhOut), gpt2: charsPerToken(gpt2, zhOut), cl100k: charsPerToken(cl100k, zhOut), chars: zhOut.reduce((s, t) => s + countChars(t), 0) }
    : undefined;

  // --- encoding throughput, GPT-2 ranks, on documents of the corpus
  const text = readFileSync(corpus, 'utf8');
  const docs: string[] = [];
  let used = 0;
  for (const d of text.split('\n\n')) {
    if (used >= ENCODE_MB * 1e6) break;
    docs.push(d);
    used += Buffer.byteLength(d);
  }
  const mbOf = used / 1e6;
  const enc = get_encoding('gpt2');
  const runAnvil = (tok: Tokenizer) => {
    const s = performance.now();
    let n = 0;
    for (const d of docs) n += tok.encode(d).length;
    return { secs: (performance.now() - s) / 1000, n };
  };
  const runTiktoken = () => {
    const s = performance.now();
    let n = 0;
    for (const d of docs) n += enc.encode_ordinary(d).length;
    return { secs: (performance.now() - s) / 1000, n };
  };
  log('encoding: single thread ...');
  const fresh = await loadTiktokenEncoding('gpt2');
  const cold = runAnvil(fresh);
  const anvilRuns = [runAnvil(fresh), runAnvil(fresh), runAnvil(fresh)];
  const tkRuns = [runTiktoken(), runTiktoken(), runTiktoken()];
  if (anvilRuns[0]!.n !== tkRuns[0]!.n) throw new Error(`token counts differ: anvil ${anvilRuns[0]!.n}, tiktoken ${tkRuns[0]!.n}`);
  enc.free();
  const anvilMBs = mbOf / median(anvilRuns.map((r) => r.secs));
  const anvilColdMBs = mbOf / cold.secs;
  const tkMBs = mbOf / median(tkRuns.map((r) => r.secs));
  const scaling: Array<{ threads: number; mbPerS: number }> = [];
  for (const th of [...new Set([1, 2, THREADS])].filter((t) => t <= THREADS)) {
    log(`encoding: ${th} worker threads ...`);
    const pool = new EncoderPool(gpt2, th);
    await pool.encode(docs.slice(0, 64)); // start-up
    const times: number[] = [];
    for (let k = 0; k < 2; k++) {
      const s = performance.now();
      await pool.encode(docs);
      times.push((performance.now() - s) / 1000);
    }
    await pool.close();
    scaling.push({ threads: th, mbPerS: mbOf / Math.min(...times) });
  }

  const result = {
    corpus: { file: corpus, mb: corpusBytes / 1e6, source: 'generated with a seeded RNG from text in the installed typescript package (Chinese, English, code)' },
    train: { vocab: VOCAB, threads: THREADS, anvilSeconds: anvilTrain, sentencepieceSeconds: spm?.seconds ?? null, speedup: spm ? spm.seconds / anvilTrain : null, target: 2 },
    chinese: { sample: 'held-out zh-cn TypeScript messages', chars: zh.chars, anvilCharsPerToken: zh.anvil, gpt2CharsPerToken: zh.gpt2, cl100kCharsPerToken: zh.cl100k, target: 1.2 },
    chineseOutOfDomain: zh2 ? { sample: 'zh_CN gettext catalogues of installed Debian programs', chars: zh2.chars, anvilCharsPerToken: zh2.anvil, gpt2CharsPerToken: zh2.gpt2, cl100kCharsPerToken: zh2.cl100k } : null,
    encode: { sampleMb: mbOf, docs: docs.length, anvilMBs, anvilColdMBs, tiktokenMBs: tkMBs, ratio: anvilMBs / tkMBs, coldRatio: anvilColdMBs / tkMBs, threads: scaling },
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const f = (x: number, d = 2) => x.toFixed(d);
  const lines = [
    `tokenizer benchmark — corpus ${f(result.corpus.mb, 1)} MB (${result.corpus.source})`,
    '',
    `training, ${VOCAB} vocabulary, ${THREADS} threads:`,
    `  anvil          ${f(anvilTrain, 1)} s`,
    spm ? `  sentencepiece  ${f(spm.seconds, 1)} s (BPE, ${spm.version})` : '  sentencepiece  skipped (--no-spm)',
    spm ? `  speedup        ${f(spm.seconds / anvilTrain)}x (target >= 2x)` : '',
    '',
    `Chinese characters per token (${zh.chars} characters of held-out zh-cn text):`,
    `  anvil ${VOCAB} (cjk pattern)  ${f(zh.anvil, 3)} (target >= 1.2)`,
    `  GPT-2                     ${f(zh.gpt2, 3)}`,
    `  cl100k                    ${f(zh.cl100k, 3)}`,
    ...(zh2
      ? [
          `Chinese characters per token, out of domain (${zh2.chars} characters of zh_CN gettext catalogues of installed Debian programs):`,
          `  anvil ${VOCAB} (cjk pattern)  ${f(zh2.anvil, 3)}`,
          `  GPT-2                     ${f(zh2.gpt2, 3)}`,
          `  cl100k                    ${f(zh2.cl100k, 3)}`,
        ]
      : []),
    '',
    `encoding, GPT-2 ranks, ${f(mbOf, 1)} MB in ${docs.length} documents (median of 3):`,
    `  anvil, 1 thread      ${f(anvilMBs)} MB/s (first pass, empty cache: ${f(anvilColdMBs)} MB/s)`,
    `  tiktoken, 1 thread   ${f(tkMBs)} MB/s`,
    `  ratio                ${f(anvilMBs / tkMBs)}x (first pass ${f(anvilColdMBs / tkMBs)}x; target >= 1x)`,
    ...scaling.map((s) => `  anvil, ${s.threads} worker thread${s.threads > 1 ? 's' : ' '}  ${f(s.mbPerS)} MB/s`),
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

await main();
