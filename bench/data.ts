// `npm run bench:data`: throughput of `anvil data prepare` in MB of (uncompressed) input
// per second per core, beside a floor measured in the same run on the same files (read,
// gunzip, split and JSON.parse every line, JSON.stringify and gzip it back out: the least
// any JSONL pipeline must do), and peak memory (max RSS) on the full corpus, on half and on
// a quarter of it, to show how memory grows with input size (V8 sizes its heap up over
// the first ~100 MB, then it stays; dedup holds at most its budget, dedup.memoryMB = 64 MB, and
// sorts on disk beyond it), and on input that is mostly duplicates (the first quarter's
// files given a quarter of --dup-copies and --dup-copies times over: 200 MB with 75% and
// 800 MB with 94% duplicates by default, both past V8's heap growth), to show memory does
// not grow with the duplicates found either (dedup's pairs and clusters are sorted on disk
// beyond the budget).
// The corpus is generated deterministically (seeded) and cached in the temp folder:
// English and Chinese documents, 5% exact and 5% near duplicates, some personal data.
// Flags: --mb N (corpus size, default 200), --repeat N (median of N runs, default 3),
// --workers N (threads for the prepare run, default 1 = per core), --dup-copies N (default 16;
// 0 skips the duplicate runs), --json.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { Rng, enDoc, zhDoc, perturb, plantPii } from '../src/data/synth.js';
import { fileChunks, lines } from '../src/data/read/bytes.js';
import { LineWriter } from '../src/data/write.js';
import { prepare } from '../src/data/pipeline.js';
import { defaultConfig } from '../src/data/config.js';

const FILE_MB = 12.5;

/** Generates (or reuses) the corpus: files of ~12.5 MB of JSONL each, gzip-compressed. */
function corpus(mb: number): { dir: string; files: string[]; rawBytes: number } {
  const nFiles = Math.max(1, Math.ceil(mb / FILE_MB));
  const dir = join(tmpdir(), `anvil-bench-data-v1-${nFiles}`);
  const meta = join(dir, 'raw-bytes.txt');
  if (!existsSync(meta)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const r = new Rng(12345);
    const recent: string[] = [];
    let raw = 0;
    for (let f = 0; f < nFiles; f++) {
      const parts: string[] = [];
      let size = 0;
      for (let i = 0; size < FILE_MB * 1e6; i++) {
        const roll = r.next();
        let text: string;
        if (roll < 0.05 && recent.length) text = r.pick(recent);
        else if (roll < 0.1 && recent.length) text = perturb(r, r.pick(recent), 0.01);
        else text = roll < 0.7 ? enDoc(r) : zhDoc(r);
        if (r.next() < 0.05) text += '\n\n' + plantPii(r).slice(0, 3).map((p) => p.sentence).join(' ');
        if (recent.length < 2000) recent.push(text);
        else recent[r.int(recent.length)] = text;
        const line = JSON.stringify({ text, url: `https://bench.example/${f}/${i}` }) + '\n';
        parts.push(line);
        size += Buffer.byteLength(line);
      }
      raw += size;
      writeFileSync(join(dir, `part-${String(f).padStart(4, '0')}.jsonl.gz`), gzipSync(parts.join(''), { level: 6 }));
    }
    writeFileSync(meta + '.tmp', String(raw));
    renameSync(meta + '.tmp', meta);
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl.gz')).sort().map((f) => join(dir, f));
  const rawBytes = Number(readFileSync(meta));
  return { dir, files, rawBytes };
}


/** The floor: read, gunzip, parse and write back every line of every file (one thread). */
async function floor(files: string[], out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  for (const f of files) {
    const w = new LineWriter(join(out, f.split('/').pop()!));
    for await (const { line } of lines(fileChunks(f))) {
      if (line.length === 0) continue;
      w.write(JSON.stringify(JSON.parse(line.toString('utf8'))));
    }
    w.close();
  }
}

async function child(mode: string, files: string[], out: string, workers: number): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  if (mode === 'floor') await floor(files, out);
  else {
    const res = await prepare({ inputs: files, out, config: { ...defaultConfig(), license: 'CC0-1.0', workers } });
    if (res.status !== 'complete') throw new Error('prepare did not complete');
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0); // all threads of the process, from t0 on
  process.stdout.write(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

interface ChildResult {
  seconds: number;
  cpuSeconds: number;
  maxRssMB: number;
}

function runChild(mode: string, files: string[], workers: number): ChildResult {
  const out = join(tmpdir(), `anvil-bench-data-out-${process.pid}-${mode}`);
  rmSync(out, { recursive: true, force: true });
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [self, '--child', mode, '--workers', String(workers), '--out', out, ...files], { encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`bench child ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

/**
 * Runs prepare on `files` given `copies` times over (hard links under new names, or copies
 * across file systems; not symbolic links, which prepare reads once per real file): all but
 * one copy of each document is a duplicate.
 */
function runCopies(files: string[], copies: number, workers: number): ChildResult {
  const dir = join(tmpdir(), `anvil-bench-data-copies-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  try {
    const links: string[] = [];
    for (let c = 0; c < copies; c++) {
      for (const f of files) {
        const link = join(dir, `${String(links.length).padStart(5, '0')}.jsonl.gz`);
        try {
          linkSync(f, link);
        } catch {
          copyFileSync(f, link);
        }
        links.push(link);
      }
    }
    return runChild('prepare', links, workers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: {
      child: { type: 'string' },
      out: { type: 'string' },
      mb: { type: 'string', default: '200' },
      repeat: { type: 'string', default: '3' },
      workers: { type: 'string', default: '1' },
      'dup-copies': { type: 'string', default: '16' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const workers = Number(values.workers);
  if (values.child) return child(values.child, positionals, values.out!, workers);

  const mb = Number(values.mb);
  const repeat = Math.max(1, Number(values.repeat));
  const tGen = performance.now();
  const { files, rawBytes } = corpus(mb);
  const genSeconds = (performance.now() - tGen) / 1000;
  const compressed = files.reduce((s, f) => s + statSync(f).size, 0);
  const quarter = files.slice(0, Math.max(1, Math.floor(files.length / 4)));
  const quarterRaw = (rawBytes * quarter.length) / files.length;
  const half = files.slice(0, Math.max(1, Math.floor(files.length / 2)));
  const halfRaw = (rawBytes * half.length) / files.length;

  const floorRuns = [];
  const prepRuns = [];
  for (let i = 0; i < repeat; i++) {
    floorRuns.push(runChild('floor', files, 1));
    prepRuns.push(runChild('prepare', files, workers));
  }
  const small = runChild('prepare', quarter, workers);
  const mid = runChild('prepare', half, workers);
  const copies = Number(values['dup-copies']);
  const dups = copies >= 4 ? [Math.floor(copies / 4), copies].map((n) => ({ copies: n, rawMB: +((n * quarterRaw) / 1e6).toFixed(1), duplicateShare: +(1 - 1 / n).toFixed(3), maxRssMB: Math.round(runCopies(quarter, n, workers).maxRssMB) })) : [];
  const floorS = median(floorRuns.map((x) => x.seconds));
  const prepS = median(prepRuns.map((x) => x.seconds));
  const floorMBs = rawBytes / 1e6 / floorS;
  const prepMBsPerCore = rawBytes / 1e6 / prepS / workers;
  // Per CPU-second: robust on a shared machine, where wall time depends on other load.
  const floorCpu = median(floorRuns.map((x) => x.cpuSeconds));
  const prepCpu = median(prepRuns.map((x) => x.cpuSeconds));
  const floorMBcpu = rawBytes / 1e6 / floorCpu;
  const prepMBcpu = rawBytes / 1e6 / prepCpu;
  const result = {
    bench: 'data',
    corpus: { files: files.length, rawMB: +(rawBytes / 1e6).toFixed(1), gzipMB: +(compressed / 1e6).toFixed(1), generatedSeconds: +genSeconds.toFixed(1) },
    workers,
    repeat,
    floor: { seconds: +floorS.toFixed(2), MBps: +floorMBs.toFixed(2), cpuSeconds: +floorCpu.toFixed(2), MBperCpuSecond: +floorMBcpu.toFixed(2), maxRssMB: Math.round(median(floorRuns.map((x) => x.maxRssMB))) },
    prepare: { seconds: +prepS.toFixed(2), MBpsPerCore: +prepMBsPerCore.toFixed(2), cpuSeconds: +prepCpu.toFixed(2), MBperCpuSecond: +prepMBcpu.toFixed(2), maxRssMB: Math.round(median(prepRuns.map((x) => x.maxRssMB))) },
    prepareQuarter: { rawMB: +(quarterRaw / 1e6).toFixed(1), seconds: +small.seconds.toFixed(2), maxRssMB: Math.round(small.maxRssMB) },
    prepareHalf: { rawMB: +(halfRaw / 1e6).toFixed(1), seconds: +mid.seconds.toFixed(2), maxRssMB: Math.round(mid.maxRssMB) },
    ratioToFloor: +(prepMBsPerCore / floorMBs).toFixed(3),
    ratioToFloorCpu: +(prepMBcpu / floorMBcpu).toFixed(3),
    target: 0.25,
    memoryGrowth: +(median(prepRuns.map((x) => x.maxRssMB)) / small.maxRssMB).toFixed(2),
    memoryGrowthFromHalf: +(median(prepRuns.map((x) => x.maxRssMB)) / mid.maxRssMB).toFixed(2),
    /** The first quarter given --dup-copies / 4 and --dup-copies times: peak RSS, and its growth between the two. */
    duplicates: dups.length === 2 ? { runs: dups, memoryGrowth: +(dups[1]!.maxRssMB / dups[0]!.maxRssMB).toFixed(2) } : null,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
    return;
  }
  const p = (s: string) => process.stdout.write(s + '\n');
  p(`data prepare benchmark: ${result.corpus.files} files, ${result.corpus.rawMB} MB JSONL (${result.corpus.gzipMB} MB gzip), median of ${repeat}`);
  p(`  floor (read+gunzip+parse+write gz, 1 thread): ${floorMBs.toFixed(1)} MB/s wall, ${floorMBcpu.toFixed(1)} MB per CPU-second, peak RSS ${result.floor.maxRssMB} MB`);
  p(`  prepare (${workers} worker${workers > 1 ? 's' : ''}):                      ${prepMBsPerCore.toFixed(2)} MB/s per core wall, ${prepMBcpu.toFixed(2)} MB per CPU-second, peak RSS ${result.prepare.maxRssMB} MB`);
  p(`  ratio prepare/floor per core: ${result.ratioToFloor} by wall time, ${result.ratioToFloorCpu} by CPU time (target >= ${result.target})`);
  p(`  peak RSS on ${result.prepareQuarter.rawMB} MB: ${result.prepareQuarter.maxRssMB} MB; on ${result.prepareHalf.rawMB} MB: ${result.prepareHalf.maxRssMB} MB; on ${result.corpus.rawMB} MB: ${result.prepare.maxRssMB} MB (x${result.memoryGrowth} for x${(rawBytes / quarterRaw).toFixed(0)} input, x${result.memoryGrowthFromHalf} for x${(rawBytes / halfRaw).toFixed(0)})`);
  const d = result.duplicates;
  if (d) {
    const [a, b] = d.runs as [(typeof d.runs)[0], (typeof d.runs)[0]];
    p(`  peak RSS with the quarter given ${a.copies} times (${a.rawMB} MB, ${Math.round(100 * a.duplicateShare)}% duplicates): ${a.maxRssMB} MB; ${b.copies} times (${b.rawMB} MB, ${Math.round(100 * b.duplicateShare)}% duplicates): ${b.maxRssMB} MB (x${d.memoryGrowth})`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench data: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
