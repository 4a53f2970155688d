// Step 3 of a run, for one unit: split the unit's candidates into OUT/docs (kept) and
// OUT/rejected (duplicates, with the id of the document kept in their cluster), adjust
// the unit's statistics, and write its final marker. A unit with nothing removed has its
// candidate file renamed into place; either way the output bytes depend only on the input.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { docId, type KeptRecord } from './doc.js';
import { layout } from './layout.js';
import { lines, fileChunks } from './read/bytes.js';
import { LineWriter, writeFileAtomic, removeStaleTemps } from './write.js';
import { dirname, join } from 'node:path';
import { count, countKept, emptyStats, type Stats } from './stats.js';
import type { Removal } from './dedup.js';
import { InputError } from '../util/errors.js';

export interface FinalTask {
  out: string;
  unit: number;
  removed: Removal[];
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
  if (t.removed.length === 0 && want.size === 0) {
    // Nothing to take out: the candidates are the documents. A rerun after a kill between
    // the rename and the marker finds the file already in place.
    if (existsSync(src)) {
      mkdirSync(dirname(dst), { recursive: true });
      renameSync(src, dst);
    }
    else if (!existsSync(dst)) throw new InputError('candidates of this unit are missing; delete the unit marker to redo it', src);
    for (let i = 0; i < candidates; i++) count(stats, 'dedup', undefined);
  } else {
    const byRecord = new Map<number, Removal>();
    for (const r of t.removed) byRecord.set(r[0], r);
    const kept = new LineWriter(dst);
    const rejected = new LineWriter(layout.rejectedDedup(out, unit));
    try {
      for await (const { line } of lines(fileChunks(src))) {
        const s = line.toString('utf8');
        // Every candidate line starts with `{"id":"UUUUU-RRRRRRRR"` (toRecord puts id first).
        const id = s.slice(7, s.indexOf('"', 7));
        const record = Number(id.slice(id.indexOf('-') + 1));
        if (want.has(id)) snippets[id] = (JSON.parse(s) as KeptRecord).text.slice(0, 300);
        const rem = byRecord.get(record);
        if (!rem) {
          kept.write(s);
          count(stats, 'dedup', undefined);
          continue;
        }
        const reason = rem[1] === 'exact' ? 'exact_duplicate' : 'near_duplicate';
        count(stats, 'dedup', reason);
        const rec = JSON.parse(s) as KeptRecord;
        // Take the removed document back out of the kept-document histograms.
        countKept(stats, rec.lang, rec.license, rec.text.length, -1);
        rejected.write(JSON.stringify({ ...rec, stage: 'dedup', reason, duplicateOf: docId(rem[2], rem[3]) }));
      }
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
  writeFileAtomic(layout.finalMarker(out, unit), JSON.stringify(marker));
  rmSync(src, { force: true });
  return marker;
}
