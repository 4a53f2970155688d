// `anvil data prepare | report | tokenize`: raw files to clean, deduplicated, PII-scrubbed
// JSONL with a report; re-rendering the report; JSONL to token shards. The data pipeline
// is imported by the subcommand that runs it, not for `anvil data --help`.

import { type Command, parseFlags, printJson, table } from './command.js';
import { Progress } from './progress.js';
import { UsageError } from '../util/errors.js';
import { parseCount, parseInteger, parseNumber } from '../util/units.js';
import type { DataReport } from '../data/report.js';

const HELP = `anvil data: prepare training text from raw files.

Usage:
  anvil data prepare --input <paths or globs> --out OUT [--config pipeline.json]
                     [--license SPDX] [--langs en,zh] [--shard i/N | --shards N]
                     [--workers N] [--json]
  anvil data report OUT [--json]
  anvil data tokenize --tokenizer DIR --input OUT/docs --out TOKDIR [--val-fraction F]
                      [--shard-tokens N] [--threads N] [--json]

prepare reads plain text, Markdown, JSONL (.jsonl, .jsonl.gz, .jsonl.zst), HTML, WARC/WET
(.warc, .warc.gz, .wet.gz) and Parquet; extracts main text from HTML, repairs mojibake,
identifies languages, applies Gopher, C4 and FineWeb quality filters (Chinese-aware),
removes exact and near duplicates across all shards, and replaces personal data (emails,
phones, IPs, cards, IBANs, Chinese ids, SSNs, keys and tokens) with <TYPE> placeholders.
It writes OUT/docs/*.jsonl.gz (id, text, source, license, lang), OUT/rejected/*.jsonl.gz
(plus stage, reason), OUT/report.json and OUT/report.html. Rerun the same command after
an interruption: finished work is skipped and the output is identical.

  --input P        file, folder or glob; repeat for more (quote globs); folders are walked
                   through symbolic links, and each file is read once
  --out OUT        output folder
  --config FILE    pipeline.json: thresholds, per-source licenses and fields, blocklists
  --license SPDX   license of the sources without their own entry (default: unknown)
  --langs L,L      languages to keep (ISO 639-1), e.g. en,zh (default: all)
  --shard i/N      this process handles files i, i+N, ...; defaults from JOB_COMPLETION_INDEX
                   (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID with --shards N
  --workers N      worker threads (default: all cores)

A pipeline file overrides any default (datatrove's thresholds; FineWeb-2's for Chinese):
  { "license": "CC-BY-4.0",
    "sources": [ { "match": "crawl/*.warc.gz", "license": "CC-BY-4.0" },
                 { "match": "wiki/", "license": "CC-BY-SA-4.0", "fields": { "text": "content", "url": "meta.url" } } ],
    "urlBlocklist": "lists/domains.txt", "wordBlocklist": "lists/words.txt",
    "params": { "gopherQuality": { "minWords": 30 }, "c4": { "filterNoTerminalPunct": true } },
    "langParams": { "zh": { "fineweb": { "charDupRatio": 0.1 } } },
    "dedup": { "memoryMB": 64, "minhash": { "bands": 14, "rows": 8, "wordNgram": 5, "charNgram": 5 } } }
dedup.memoryMB bounds what deduplication holds in memory, whatever the number of documents
or of duplicates: beyond it, it sorts on disk under OUT/work (hash partitions, sorted runs,
clusters found by sorting).

tokenize encodes the text of each document, follows it with the end-of-text id, and
writes TOKDIR/train_000000.bin..., val_000000.bin... (DESIGN.md token shards), a copy of
the tokenizer in TOKDIR/tokenizer/ and TOKDIR/meta.json (tokens, UTF-8 bytes, documents
per split). --val-fraction (default 0.01) sends every 1/F-th document to validation;
--shard-tokens (default 100M) starts a new shard after that many tokens.

Examples:
  anvil data prepare --input 'crawl/*.warc.gz' --input wiki.jsonl.gz --out clean --license CC-BY-SA-4.0 --langs en,zh
  JOB_COMPLETION_INDEX=3 anvil data prepare --input crawl/ --out /shared/clean --shards 16
  anvil data report clean
  anvil data tokenize --tokenizer tok/ --input clean/docs --out tokens --val-fraction 0.005
`;

function summary(r: DataReport): string {
  const d = r.documents;
  const rows = r.stages.map((s) => [s.name, String(s.in), String(s.kept), Object.entries(s.rejected).map(([k, n]) => `${k} ${n}`).join(', ')]);
  return [
    `read ${d.read}, kept ${d.kept}, rejected ${d.rejected}; duplicates: exact ${r.duplicates.exact}, near ${r.duplicates.near}; malformed input: ${r.malformed.total}`,
    '',
    table(rows, ['stage', 'in', 'kept', 'rejected by reason']),
    '',
    `personal data replaced: ${Object.entries(r.pii).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`,
    `languages: ${Object.entries(r.languages).map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ].join('\n');
}

async function runPrepare(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      input: { type: 'string', multiple: true },
      out: { type: 'string' },
      config: { type: 'string' },
      license: { type: 'string' },
      langs: { type: 'string' },
      shard: { type: 'string' },
      shards: { type: 'string' },
      workers: { type: 'string' },
      json: { type: 'boolean' },
    },
    'data prepare',
  );
  if (!values.input?.length) throw new UsageError('data prepare: --input is required (see anvil data --help)');
  if (!values.out) throw new UsageError('data prepare: --out is required (see anvil data --help)');
  const { loadConfig } = await import('../data/config.js');
  const { prepare, resolveShard } = await import('../data/pipeline.js');
  const config = loadConfig(values.config);
  if (values.license) {
    if (!/^[A-Za-z0-9.+-]+(?: (?:AND|OR|WITH) [A-Za-z0-9.+-]+)*$/.test(values.license)) throw new UsageError(`--license ${values.license}: use an SPDX identifier such as CC-BY-4.0`);
    config.license = values.license;
  }
  if (values.langs) config.langs = values.langs.split(',').map((s) => s.trim()).filter(Boolean);
  if (values.workers) config.workers = parseInteger(values.workers, '--workers', 1, 256);
  const shard = resolveShard(values.shard, values.shards, process.env);
  let bar: Progress | undefined;
  let step = '';
  const res = await prepare({
    inputs: values.input,
    out: values.out,
    config,
    shard,
    onProgress: (p) => {
      if (p.step !== step) {
        bar?.finish();
        step = p.step;
        bar = new Progress(p.step, p.total, p.step === 'dedup' ? 'step' : 'files');
      }
      bar!.update(p.done);
    },
  });
  bar?.finish();
  if (values.json) {
    printJson({ status: res.status, out: values.out, shard: `${shard.index}/${shard.count}`, units: res.units, missing: res.missing, ...(res.report ?? {}) });
  } else if (res.status === 'waiting') {
    process.stdout.write(`shard ${shard.index}/${shard.count} done; ${res.missing} of ${res.units} files wait for other shards. The last shard to finish (or any rerun) deduplicates and writes the report.\n`);
  } else {
    process.stdout.write(summary(res.report!) + `\nreport: ${values.out}/report.html\n`);
  }
  return 0;
}

async function runReport(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } }, 'data report', true);
  if (positionals.length !== 1) throw new UsageError('data report: give the output folder of a prepare run, e.g. anvil data report clean');
  const { writeReport } = await import('../data/report.js');
  const r = writeReport(positionals[0]!);
  if (values.json) printJson(r);
  else process.stdout.write(summary(r) + `\nreport: ${positionals[0]}/report.html\n`);
  return 0;
}

async function runTokenize(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      tokenizer: { type: 'string' },
      input: { type: 'string', multiple: true },
      out: { type: 'string' },
      'val-fraction': { type: 'string' },
      'shard-tokens': { type: 'string' },
      threads: { type: 'string' },
      json: { type: 'boolean' },
    },
    'data tokenize',
  );
  if (!values.tokenizer) throw new UsageError('data tokenize: --tokenizer DIR is required (a folder with tokenizer.json)');
  if (!values.input?.length) throw new UsageError('data tokenize: --input is required, e.g. --input clean/docs');
  if (!values.out) throw new UsageError('data tokenize: --out TOKDIR is required');
  const { tokenizeDocs } = await import('../data/tokenize.js');
  const bar = new Progress('tokenize', undefined, 'docs');
  const meta = await tokenizeDocs({
    tokenizer: values.tokenizer,
    input: values.input,
    out: values.out,
    valFraction: values['val-fraction'] ? parseNumber(values['val-fraction'], '--val-fraction', 0, 0.99) : 0.01,
    shardTokens: values['shard-tokens'] ? parseCount(values['shard-tokens'], '--shard-tokens') : 100e6,
    threads: values.threads ? parseInteger(values.threads, '--threads', 1, 256) : undefined,
    onProgress: (docs, tokens) => bar.update(docs, `${tokens} tokens`),
  });
  bar.finish();
  if (values.json) printJson({ out: values.out, ...meta });
  else {
    const s = meta.splits;
    process.stdout.write(
      table(
        [
          ['train', String(s.train.documents), String(s.train.tokens), String(s.train.bytes), String(s.train.shards.length)],
          ['val', String(s.val.documents), String(s.val.tokens), String(s.val.bytes), String(s.val.shards.length)],
        ],
        ['split', 'documents', 'tokens', 'bytes', 'shards'],
      ) + `\nvocab ${meta.vocabSize}, end-of-text id ${meta.eotId}; written to ${values.out}\n`,
    );
    if (s.val.documents === 0 && s.train.documents > 0) process.stderr.write('anvil: note: the validation split is empty; raise --val-fraction or add documents\n');
  }
  return 0;
}

export const dataCommand: Command = {
  help: HELP,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub === 'prepare') return runPrepare(rest);
    if (sub === 'report') return runReport(rest);
    if (sub === 'tokenize') return runTokenize(rest);
    throw new UsageError(`data: unknown subcommand "${sub ?? ''}"; use prepare, report or tokenize (see anvil data --help)`);
  },
};
