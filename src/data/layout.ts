// Where everything lives under OUT. Markers are small JSON files whose presence means a
// step is complete; they hold that step's statistics, so the report can be rebuilt from
// them alone.

import { join } from 'node:path';

const pad = (u: number) => String(u).padStart(5, '0');

export const layout = {
  run: (out: string) => join(out, 'run.json'),
  docs: (out: string, u: number) => join(out, 'docs', `${pad(u)}.jsonl.gz`),
  rejectedFilter: (out: string, u: number) => join(out, 'rejected', `${pad(u)}.filter.jsonl.gz`),
  rejectedDedup: (out: string, u: number) => join(out, 'rejected', `${pad(u)}.dedup.jsonl.gz`),
  candidates: (out: string, u: number) => join(out, 'work', `${pad(u)}.candidates.jsonl`),
  signatures: (out: string, u: number) => join(out, 'work', `${pad(u)}.sig`),
  /** Dedup's removal rows for a unit (dedup.ts REMOVAL_WORDS words each), when it has any. */
  removed: (out: string, u: number) => join(out, 'work', `${pad(u)}.removed`),
  filterMarker: (out: string, u: number) => join(out, 'markers', `${pad(u)}.filter.json`),
  finalMarker: (out: string, u: number) => join(out, 'markers', `${pad(u)}.final.json`),
  shardMarker: (out: string, i: number, n: number) => join(out, 'markers', `shard-${pad(i)}-of-${pad(n)}.done`),
  dedup: (out: string) => join(out, 'markers', 'dedup.json'),
  report: (out: string) => join(out, 'report.json'),
  reportHtml: (out: string) => join(out, 'report.html'),
  work: (out: string) => join(out, 'work'),
};
