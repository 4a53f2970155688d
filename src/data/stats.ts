// Per-stage accounting (in = kept + rejected, with reasons) and the other counters a
// report needs. One Stats object per unit of work; units merge by simple addition, so
// shards computed on different machines add up to the same report.

/** Counters of one stage. */
export interface StageCount {
  in: number;
  kept: number;
  rejected: Record<string, number>;
}

/** A problem in the input that did not stop the run (broken line, truncated file...). */
export interface Malformed {
  file: string;
  /** 1-based line, or byte offset, or record/row, as `where` says. */
  at: number;
  where: 'line' | 'offset' | 'row' | 'record';
  kind: string;
  message: string;
}

/** Everything counted while processing one unit (an input file). */
export interface Stats {
  /** Stage order is the order stages first appear. */
  stages: Record<string, StageCount>;
  pii: Record<string, number>;
  langs: Record<string, number>;
  licenses: Record<string, number>;
  /** Histogram of kept characters per doc, by power-of-two bucket (key = bucket's lower bound). */
  lengths: Record<string, number>;
  bytesIn: number;
  malformed: { count: Record<string, number>; examples: Malformed[] };
}

export const MAX_MALFORMED_EXAMPLES = 50;

export function emptyStats(): Stats {
  return { stages: {}, pii: {}, langs: {}, licenses: {}, lengths: {}, bytesIn: 0, malformed: { count: {}, examples: [] } };
}

function add(to: Record<string, number>, key: string, n = 1): void {
  const v = (to[key] ?? 0) + n;
  if (v === 0) delete to[key];
  else to[key] = v;
}

/** Records one document entering a stage and its fate (reason undefined = kept). */
export function count(stats: Stats, stage: string, reason: string | undefined): void {
  const s = (stats.stages[stage] ??= { in: 0, kept: 0, rejected: {} });
  s.in++;
  if (reason === undefined) s.kept++;
  else add(s.rejected, reason);
}

export function countMalformed(stats: Stats, m: Malformed): void {
  add(stats.malformed.count, m.kind);
  if (stats.malformed.examples.length < MAX_MALFORMED_EXAMPLES) stats.malformed.examples.push(m);
}

export function countPii(stats: Stats, counts: Record<string, number>): void {
  for (const [k, n] of Object.entries(counts)) add(stats.pii, k, n);
}

/** Records a kept document's language, license and length (sign -1 takes one back out). */
export function countKept(stats: Stats, lang: string, license: string, chars: number, sign = 1): void {
  add(stats.langs, lang, sign);
  add(stats.licenses, license, sign);
  const bucket = chars <= 0 ? 0 : 2 ** Math.floor(Math.log2(chars));
  add(stats.lengths, String(bucket), sign);
}

/** Adds b into a (in place) and returns a. */
export function mergeStats(a: Stats, b: Stats): Stats {
  for (const [name, s] of Object.entries(b.stages)) {
    const t = (a.stages[name] ??= { in: 0, kept: 0, rejected: {} });
    t.in += s.in;
    t.kept += s.kept;
    for (const [r, n] of Object.entries(s.rejected)) add(t.rejected, r, n);
  }
  for (const k of ['pii', 'langs', 'licenses', 'lengths'] as const) for (const [r, n] of Object.entries(b[k])) add(a[k], r, n);
  a.bytesIn += b.bytesIn;
  for (const [r, n] of Object.entries(b.malformed.count)) add(a.malformed.count, r, n);
  for (const m of b.malformed.examples) if (a.malformed.examples.length < MAX_MALFORMED_EXAMPLES) a.malformed.examples.push(m);
  return a;
}
