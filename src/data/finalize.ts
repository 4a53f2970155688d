// Step 3 of a run, for one unit: split the unit's candidates into OUT/docs (kept) and
// OUT/rejected (duplicates, with the id of the document kept in their cluster), adjust
// the unit's statistics, and write its final marker. Candidates are uncompressed, so the
// kept documents are compressed once, here; the output bytes depend only on the input.

import { existsSync, readFileSync, rmSync } from 'node:fs';
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

/** A unit's removal rows, checked to be whole rows. */
function readRemovals(path: string): Uint32Array {
  const b = readFileSync(path);
  if (b.length % (4 * REMOVAL_WORDS) !== 0) throw new InputError(`size ${b.length} is not whole removal rows; delete markers/dedup.json to redo dedup`, path);
  const rows = new Uint32Array(b.length / 4);
  new Uint8Array(rows.buffer).set(b);
  return rows;
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
    // This unit's removal rows (dedup.ts), by record; no file: nothing removed.
    const rows = existsSync(layout.removed(out, unit)) ? readRemovals(layout.removed(out, unit)) : new Uint32Array(0);
    const byRecord = new Map<number, number>();
    for (let i = 0; i < rows.length; i += REMOVAL_WORDS) byRecord.set(rows[i]!, i);
    const kept = new LineWriter(dst);
    const rejected = new LineWriter(layout.rejectedDedup(out, unit));
    try {
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
        const at = byRecord.get(record);
        if (at === undefined) {
          kept.writeBytes(line);
          count(stats, 'dedup', undefined);
          return;
        }
        const reason = rows[at + 1] === REMOVED_EXACT ? 'exact_duplicate' : 'near_duplicate';
        count(stats, 'dedup', reason);
        const rec = JSON.parse(line.toString('utf8')) as KeptRecord;
        // Take the removed document back out of the kept-document histograms.
        countKept(stats, rec.lang, rec.license, rec.text.length, -1);
        rejected.write(JSON.stringify({ ...rec, stage: 'dedup', reason, duplicateOf: docId(rows[at + 2]!, rows[at + 3]!) }));
      });
      if (seen !== candidates) throw new InputError(`has ${seen} lines, its filter marker says ${candidates}; delete the unit's markers to redo it`, src);
    } catch (e) {
      kept.abort();
      rejected.abort();
      throw e;
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
