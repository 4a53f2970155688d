// metrics.jsonl: one JSON object per line with step, loss, lr, tokensPerSec and, on
// evaluation steps, valLoss (and valBpb). Lines are appended and flushed as they come;
// on resume, lines after the checkpoint's step are dropped so the file matches the run.

import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';

/** One line of metrics.jsonl. */
export interface MetricsLine {
  step: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  valLoss?: number;
  valBpb?: number;
  gradNorm?: number;
  tokens?: number;
  elapsed?: number;
}

/** Appends metric lines to a JSONL file. */
export class MetricsWriter {
  constructor(readonly file: string) {}

  /** Appends one line. */
  write(line: MetricsLine): void {
    appendFileSync(this.file, JSON.stringify(line) + '\n');
  }

  /** Drops every line with step > `step` (resuming from a checkpoint at `step`). */
  truncateAfter(step: number): void {
    if (!existsSync(this.file)) return;
    const kept = readMetrics(this.file).filter((l) => l.step <= step);
    writeFileAtomic(this.file, kept.map((l) => JSON.stringify(l) + '\n').join(''));
  }
}

/** Reads metrics.jsonl (a torn last line from a kill is ignored). */
export function readMetrics(file: string): MetricsLine[] {
  if (!existsSync(file)) return [];
  const out: MetricsLine[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricsLine);
    } catch {
      // Only the last line can be torn by a kill; skip it.
    }
  }
  return out;
}
