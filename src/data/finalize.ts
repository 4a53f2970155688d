// Step 3 of a run, for one unit: split the unit's candidates into OUT/docs (kept) and
// OUT/rejected (duplicates, with the id of the document kept in their cluster), adjust
// the unit's statistics, and write its final marker. Candidates are uncompressed, so the
// kept documents are compressed once, here; the output bytes depend only on the input.

import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { RowReader } from './dedup-files.js';
import { docId, type KeptRecord } from './doc.js';
import { layout } from './layout.js';
import { forEachLineSync } from './read/bytes.js';
import { LineWriter } from './write.js';
import { writeFileAtomic, removeStaleTemps } from '../util/atomic-file.js';
import { join } from 'node:path';
import { count, countKept, emptyStats, type Stats } from './stats.js';
import { REMOVAL_WORDS, REMOVED_EXACT } from './dedup.js';
import { InputError } from '../util/errors.js';

export interface FinalTask {
  out: string;
  unit: number;
  /** Ids whose text the report shows as cluster examples. */
  exampleIds: string[];
}

export interface FinalMarker {
  unit: number;
  kept: number;
  /** Dedup stage counts, and the removed documents taken back out of langs/licenses/lengths. */
  stats: Stats;
  snippets: Record<string, string>;
}

/** A unit's removal rows (record, kind, kept unit, kept record; ascending records), read as the candidates go by. */
class Removals {
  private readonly rows: RowReader | undefined;
  private more: boolean;
  /** Rows in the file, and rows matched to a candidate so far. */
  readonly total: number;
  matched = 0;

  constructor(readonly path: string) {
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size % (4 * REMOVAL_WORDS) !== 0) throw new InputError(`size ${size} is not whole removal rows; delete markers/dedup.json to redo dedup`, path);
    this.total = size / (4 * REMOVAL_WORDS);
    this.rows = size > 0 ? new RowReader(path, REMOVAL_WORDS, 1024) : undefined;
    this.more = this.rows?.next() ?? false;
  }

  /** Whether `record` was removed (its row is then block[at, at + 4) of `row`); ask in ascending record order. */
  find(record: number): boolean {
    const r = this.rows;
    while (this.more && r!.block[r!.at]! < record) this.more = r!.next();
    if (!this.more || r!.block[r!.at] !== record) return false;
    this.matched++;
    return true;
  }

  get row(): { block: Uint32Array; at: number } {
    return this.rows!;
  }

  close(): void {
    this.rows?.close();
  }
}

/** Runs step 3 for one unit. `candidates` is the count from its filter marker. */
export async function finalizeUnit(t: FinalTask, candidates: number): Promise<FinalMarker> {
  const { out, unit } = t;
  // Another shard's process may have finished this unit meanwhile (shards ending together).
  if (existsSync(layout.finalMarker(out, unit))) return JSON.parse(readFileSync(layout.finalMarker(out, unit), 'utf8')) as FinalMarker;
  const prefix = String(unit).padStart(5, '0') + '.';
  for (const d of ['docs', 'rejected', 'markers']) removeStaleTemps(join(out, d), prefix);
  const stats = emptyStats();
  const snippets: Record<string, string> = {};
  const src = layout.candidates(out, unit);
  const dst = layout.docs(out, unit);
  const want = new Set(t.exampleIds);
  // The candidates are deleted only after the marker is written, so they are here.
  if (!existsSync(src)) throw new InputError('candidates of this unit are missing; delete the unit marker to redo it', src);
  {
    const kept = new LineWriter(dst);
    const rejected = new LineWriter(layout.rejectedDedup(out, unit));
    let removals: Removals | undefined;
    try {
      // This unit's removal rows (dedup.ts), in record order like the candidates; no file: nothing removed.
      const rm = (removals = new Removals(layout.removed(out, unit)));
      // Candidates are uncompressed JSONL written by this pipeline: kept lines go out as
      // the same bytes, only removed ones (and report examples) are parsed.
      let seen = 0;
      forEachLineSync(src, (line) => {
        seen++;
        // Every candidate line starts with `{"id":"UUUUU-RRRRRRRR"` (toRecord puts id first).
        const record = Number(line.toString('latin1', 13, 21));
        if (want.size > 0) {
          const id = line.toString('latin1', 7, 21);
          if (want.has(id)) snippets[id] = (JSON.parse(line.toString('utf8')) as KeptRecord).text.slice(0, 300);
        }
        if (!rm.find(record)) {
          kept.writeBytes(line);
          count(stats, 'dedup', undefined);
          return;
        }
        const { block: rows, at } = rm.row;
        const reason = rows[at + 1] === REMOVED_EXACT ? 'exact_duplicate' : 'near_duplicate';
        count(stats, 'dedup', reason);
        const rec = JSON.parse(line.toString('utf8')) as KeptRecord;
        // Take the removed document back out of the kept-document histograms.
        countKept(stats, rec.lang, rec.license, rec.text.length, -1);
        rejected.write(JSON.stringify({ ...rec, stage: 'dedup', reason, duplicateOf: docId(rows[at + 2]!, rows[at + 3]!) }));
      });
      if (seen !== candidates) throw new InputError(`has ${seen} lines, its filter marker says ${candidates}; delete the unit's markers to redo it`, src);
      if (rm.matched !== rm.total) {
        throw new InputError(`${rm.total - rm.matched} of its ${rm.total} removal rows name no candidate of this unit; delete markers/dedup.json to redo dedup`, rm.path);
      }
    } catch (e) {
      kept.abort();
      rejected.abort();
      throw e;
    } finally {
      removals?.close();
    }
    kept.close();
    rejected.close();
    if (rejected.lines === 0) rmSync(layout.rejectedDedup(out, unit), { force: true });
  }
  const marker: FinalMarker = { unit, kept: stats.stages.dedup?.kept ?? 0, stats, snippets };
  writeFileAtomic(layout.finalMarker(out, unit), JSON.stringify(marker), false);
  rmSync(src, { force: true });
  return marker;
}
