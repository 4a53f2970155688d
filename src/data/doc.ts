// The one document type that flows through every stage of the data pipeline, and the
// record shapes written to OUT/docs and OUT/rejected (the contract scripts rely on).

import type { WordCache } from './words.js';

/** One document in flight. Stages read and replace `text`; `meta` carries extras. */
export interface Doc {
  /** Stable id: `<input file index>-<record index>`, the same on every rerun. */
  id: string;
  /** Position of the input file in the run's sorted input list. */
  file: number;
  /** Record number inside that file (line, WARC record, row), from 0. */
  record: number;
  text: string;
  /** Input file path as given. */
  source: string;
  /** Line number (JSONL, text), byte offset (WARC) or row (Parquet) in the source. */
  offset?: number;
  url?: string;
  date?: string;
  /** SPDX identifier given for the source, or "unknown". */
  license: string;
  /** ISO 639-1 code from language identification, and its score. */
  lang?: string;
  langScore?: number;
  /** Raw HTML still to extract, or raw bytes for charset detection, before extraction. */
  html?: string;
  /** Anything else worth keeping (e.g. unmapped JSONL fields, HTTP content type). */
  meta?: Record<string, unknown>;
  /** Word offsets of `text` for the filters (words.ts wordSpansOf); never written out. */
  wordCache?: WordCache;
}

/** Builds a document id from file and record indices (zero-padded, so ids sort like keys). */
export function docId(file: number, record: number): string {
  return `${String(file).padStart(5, '0')}-${String(record).padStart(8, '0')}`;
}

/** One line of OUT/docs/*.jsonl.gz. */
export interface KeptRecord {
  id: string;
  text: string;
  source: string;
  license: string;
  lang: string;
  langScore?: number;
  offset?: number;
  url?: string;
  date?: string;
  meta?: Record<string, unknown>;
}

/** One line of OUT/rejected/*.jsonl.gz. */
export interface RejectedRecord extends KeptRecord {
  stage: string;
  reason: string;
  /** For duplicates: the id of the document kept in its cluster. */
  duplicateOf?: string;
}

/** The output form of a document. */
export function toRecord(d: Doc): KeptRecord {
  const r: KeptRecord = { id: d.id, text: d.text, source: d.source, license: d.license, lang: d.lang ?? 'unknown' };
  if (d.langScore !== undefined) r.langScore = Math.round(d.langScore * 1000) / 1000;
  if (d.offset !== undefined) r.offset = d.offset;
  if (d.url !== undefined) r.url = d.url;
  if (d.date !== undefined) r.date = d.date;
  if (d.meta && Object.keys(d.meta).length > 0) r.meta = d.meta;
  return r;
}
