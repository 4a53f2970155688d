// Step 1 of a run, for one input file (a "unit"): read, run the stages, write rejected
// documents, the surviving candidates and their dedup signatures, then the unit's marker
// with its statistics. Everything is written under temporary names first, and the marker
// last, so a unit is either complete or redone from scratch.

import { rmSync } from 'node:fs';
import { docId, toRecord, type Doc, type RejectedRecord } from './doc.js';
import type { PipelineConfig, FieldMap } from './config.js';
import { buildStages } from './stages.js';
import { runStages } from './stage.js';
import { count, countKept, countMalformed, countPii, emptyStats, type Stats } from './stats.js';
import { readFile } from './read/index.js';
import { LineWriter, U32Writer } from './write.js';
import { writeFileAtomic, removeStaleTemps } from '../util/atomic-file.js';
import { join } from 'node:path';
import { layout } from './layout.js';
import { MinHasher } from './minhash.js';
import { statSync } from 'node:fs';

export interface UnitTask {
  out: string;
  unit: number;
  path: string;
  license: string;
  fields: FieldMap;
  config: PipelineConfig;
}

/** What a unit's filter marker holds. */
export interface FilterMarker {
  unit: number;
  path: string;
  candidates: number;
  stats: Stats;
}

/** Words per signature record: record index, exact hash (2), band keys (B x 2). */
export function sigWords(bands: number): number {
  return 3 + 2 * bands;
}

/** Runs step 1 for one unit and returns its marker. */
export async function runUnit(t: UnitTask): Promise<FilterMarker> {
  const { out, unit, config } = t;
  const prefix = String(unit).padStart(5, '0') + '.';
  for (const d of ['work', 'rejected', 'markers']) removeStaleTemps(join(out, d), prefix);
  const stats = emptyStats();
  stats.bytesIn = statSync(t.path).size;
  const { stages, pii } = buildStages(config);
  const hasher = new MinHasher(config.dedup.minhash);
  const rejected = new LineWriter(layout.rejectedFilter(out, unit));
  const cands = new LineWriter(layout.candidates(out, unit));
  const sigs = new U32Writer(layout.signatures(out, unit));
  const row = new Uint32Array(sigWords(config.dedup.minhash.bands));
  let record = 0;
  try {
    for await (const ev of readFile(t.path, t.fields)) {
      if ('malformed' in ev) {
        countMalformed(stats, ev.malformed);
        if (!ev.lost) continue;
        // A record lost to malformation is still accounted for: read -> rejected.
        const rec = record++;
        count(stats, 'read', ev.malformed.kind);
        const r: RejectedRecord = {
          id: docId(unit, rec), text: ev.raw ?? '', source: t.path, license: t.license, lang: 'unknown',
          offset: ev.malformed.at, stage: 'read', reason: ev.malformed.kind,
        };
        rejected.write(JSON.stringify(r));
        continue;
      }
      const raw = ev.doc;
      const rec = record++;
      count(stats, 'read', undefined);
      // Every field present from the start, in one order: all documents share one object
      // shape, so the stages' property accesses stay monomorphic.
      const doc: Doc = {
        id: docId(unit, rec), file: unit, record: rec, text: raw.text ?? '', source: t.path, offset: raw.offset, license: t.license,
        url: raw.url || undefined, date: raw.date || undefined, html: raw.html, meta: raw.sourceId ? { sourceId: raw.sourceId } : undefined,
        lang: undefined, langScore: undefined, wordCache: undefined,
      };
      const rej = runStages(doc, stages, stats);
      if (rej) {
        const r: RejectedRecord = { ...toRecord(doc), stage: rej.stage, reason: rej.reason };
        rejected.write(JSON.stringify(r));
        continue;
      }
      cands.write(JSON.stringify(toRecord(doc)));
      countKept(stats, doc.lang ?? 'unknown', doc.license, doc.text.length);
      row[0] = rec;
      hasher.sketch(doc.text, doc.lang, row);
      sigs.write(row);
    }
  } catch (e) {
    rejected.abort();
    cands.abort();
    sigs.abort();
    throw e;
  }
  if (pii) countPii(stats, pii.counts);
  // An empty rejected file is not worth keeping.
  rejected.close();
  if (rejected.lines === 0) rmSync(layout.rejectedFilter(out, unit), { force: true });
  cands.close();
  sigs.close();
  const marker: FilterMarker = { unit, path: t.path, candidates: cands.lines, stats };
  writeFileAtomic(layout.filterMarker(out, unit), JSON.stringify(marker), false);
  return marker;
}
