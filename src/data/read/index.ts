// Readers: turn one input file into documents, streaming. Formats by extension: JSONL
// (.jsonl/.ndjson, optionally .gz/.zst), plain text and Markdown (one document per file),
// HTML (one per file), WARC/WET (.warc, .warc.gz, .wet.gz), Parquet. A malformed record
// (broken JSON, missing text field, a WARC record cut short, a broken compressed stream,
// invalid UTF-8) becomes an event with its file and line or offset; reading goes on.

import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { compressionOf, DecompressError, fileChunks, lines } from './bytes.js';
import { parseHttp, warcRecords, WarcError } from './warc.js';
import { decodeBytes, charsetFromContentType } from '../charset.js';
import type { FieldMap } from '../config.js';
import type { Malformed } from '../stats.js';

export type Format = 'jsonl' | 'text' | 'html' | 'warc' | 'parquet';

/** The format of a path by its extension, or undefined if not readable. */
export function formatOf(path: string): Format | undefined {
  const p = path.toLowerCase().replace(/\.(gz|zst)$/, '');
  if (/\.(jsonl|ndjson|json)$/.test(p)) return 'jsonl';
  if (/\.(warc|wet|arc)$/.test(p)) return 'warc';
  if (/\.(html?|xhtml)$/.test(p)) return 'html';
  if (/\.(txt|text|md|markdown)$/.test(p)) return 'text';
  if (/\.parquet$/.test(p)) return 'parquet';
  return undefined;
}

/** A record as read: text or HTML plus what the source says about it. */
export interface RawDoc {
  /** Line (JSONL/text), byte offset (WARC) or row (Parquet). */
  offset: number;
  text?: string;
  html?: string;
  url?: string;
  date?: string;
  sourceId?: string;
  meta?: Record<string, unknown>;
}

/** A read event: a document, or a problem (with `raw` when a record was lost to it). */
export type ReadEvent = { doc: RawDoc } | { malformed: Malformed; lost: boolean; raw?: string };

/** Gets a dotted path from an object. */
function field(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return undefined;
}

function fromObject(o: unknown, fields: FieldMap): RawDoc | string {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return 'not a JSON object';
  const text = field(o, fields.text);
  if (typeof text !== 'string') return text === undefined ? `no "${fields.text}" field` : `"${fields.text}" is not a string`;
  const d: RawDoc = { offset: 0, text };
  const url = fields.url ? str(field(o, fields.url)) : undefined;
  const date = fields.date ? str(field(o, fields.date)) : undefined;
  const id = fields.id ? str(field(o, fields.id)) : undefined;
  if (url) d.url = url;
  if (date) d.date = date;
  if (id) d.sourceId = id;
  return d;
}

async function* readJsonl(path: string, fields: FieldMap): AsyncGenerator<ReadEvent> {
  let last = 0;
  try {
    for await (const { line, n } of lines(fileChunks(path))) {
      last = n;
      if (line.length === 0 || (line.length < 4 && line.toString().trim() === '')) continue;
      if (!isUtf8(line)) yield { malformed: { file: path, at: n, where: 'line', kind: 'invalid_utf8', message: 'invalid UTF-8 bytes replaced by U+FFFD' }, lost: false };
      const s = line.toString('utf8');
      let o: unknown;
      try {
        o = JSON.parse(s);
      } catch (e) {
        yield { malformed: { file: path, at: n, where: 'line', kind: 'broken_json', message: (e as Error).message }, lost: true, raw: s.slice(0, 2000) };
        continue;
      }
      const d = fromObject(o, fields);
      if (typeof d === 'string') {
        yield { malformed: { file: path, at: n, where: 'line', kind: 'missing_text', message: d }, lost: true, raw: s.slice(0, 2000) };
        continue;
      }
      d.offset = n;
      yield { doc: d };
    }
  } catch (e) {
    if (!(e instanceof DecompressError)) throw e;
    yield { malformed: { file: path, at: last + 1, where: 'line', kind: 'truncated_stream', message: `${e.message} after line ${last}` }, lost: false };
  }
}

async function wholeFile(path: string): Promise<Buffer> {
  if (compressionOf(path) === 'none') return readFileSync(path);
  const parts: Buffer[] = [];
  for await (const c of fileChunks(path)) parts.push(c);
  return Buffer.concat(parts);
}

async function* readWhole(path: string, kind: 'text' | 'html'): AsyncGenerator<ReadEvent> {
  let bytes: Buffer;
  try {
    bytes = await wholeFile(path);
  } catch (e) {
    if (!(e instanceof DecompressError)) throw e;
    yield { malformed: { file: path, at: e.decompressedOffset, where: 'offset', kind: 'truncated_stream', message: e.message }, lost: true };
    return;
  }
  const { text, invalid, charset } = decodeBytes(bytes);
  if (invalid) yield { malformed: { file: path, at: 0, where: 'offset', kind: 'invalid_bytes', message: `bytes invalid in ${charset} replaced by U+FFFD` }, lost: false };
  yield { doc: kind === 'html' ? { offset: 0, html: text, meta: { charset } } : { offset: 0, text } };
}

async function* readWarc(path: string): AsyncGenerator<ReadEvent> {
  try {
    for await (const r of warcRecords(fileChunks(path))) {
      const type = r.headers['warc-type'];
      const url = r.headers['warc-target-uri'];
      const date = r.headers['warc-date'];
      const base = (d: RawDoc): RawDoc => {
        if (url) d.url = url;
        if (date) d.date = date;
        const id = r.headers['warc-record-id'];
        if (id) d.sourceId = id;
        return d;
      };
      if (type === 'conversion') {
        yield { doc: base({ offset: r.offset, text: r.block.toString('utf8') }) };
      } else if (type === 'response' || type === 'resource') {
        let ct = r.headers['content-type'] ?? '';
        let body = r.block;
        if (/application\/http/i.test(ct)) {
          const http = parseHttp(r.block);
          if (!http) {
            yield { malformed: { file: path, at: r.offset, where: 'offset', kind: 'bad_http', message: 'response record without a parsable HTTP header' }, lost: true };
            continue;
          }
          ct = http.headers['content-type'] ?? '';
          body = http.body;
        }
        if (/html|xml/i.test(ct) || ct === '') {
          const { text, charset, invalid } = decodeBytes(body, charsetFromContentType(ct) ? ct : undefined);
          if (invalid) yield { malformed: { file: path, at: r.offset, where: 'offset', kind: 'invalid_bytes', message: `bytes invalid in ${charset} replaced by U+FFFD` }, lost: false };
          yield { doc: base({ offset: r.offset, html: text, meta: { charset } }) };
        } else if (/^text\//i.test(ct)) {
          yield { doc: base({ offset: r.offset, text: decodeBytes(body, ct).text }) };
        }
        // Other media types (images, PDFs...) are not text documents; they are skipped.
      }
      // warcinfo, request, metadata, revisit records describe the crawl, not documents.
    }
  } catch (e) {
    if (e instanceof WarcError) {
      yield { malformed: { file: path, at: e.offset, where: 'offset', kind: 'truncated_record', message: e.message }, lost: true };
    } else if (e instanceof DecompressError) {
      yield { malformed: { file: path, at: e.decompressedOffset, where: 'offset', kind: 'truncated_stream', message: e.message }, lost: false };
    } else throw e;
  }
}

async function* readParquet(path: string, fields: FieldMap): AsyncGenerator<ReadEvent> {
  const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } = await import('hyparquet');
  let file;
  let metadata;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file);
  } catch (e) {
    yield { malformed: { file: path, at: 0, where: 'offset', kind: 'bad_parquet', message: (e as Error).message }, lost: false };
    return;
  }
  const names = new Set(metadata.schema.map((s) => s.name));
  const cols = [fields.text, fields.id, fields.url, fields.date].filter((c): c is string => !!c && names.has(c.split('.')[0]!)).map((c) => c.split('.')[0]!);
  if (!names.has(fields.text.split('.')[0]!)) {
    yield { malformed: { file: path, at: 0, where: 'offset', kind: 'missing_text', message: `no "${fields.text}" column` }, lost: false };
    return;
  }
  let row = 0;
  // One row group at a time keeps memory bounded by the largest row group.
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, columns: [...new Set(cols)], rowStart: row, rowEnd: row + n });
    } catch (e) {
      yield { malformed: { file: path, at: row, where: 'row', kind: 'bad_parquet', message: (e as Error).message }, lost: false };
      row += n;
      continue;
    }
    for (const o of rows) {
      const d = fromObject(o, fields);
      if (typeof d === 'string') yield { malformed: { file: path, at: row, where: 'row', kind: 'missing_text', message: d }, lost: true };
      else {
        d.offset = row;
        yield { doc: d };
      }
      row++;
    }
  }
}

/** Reads one input file as a stream of documents and problems. */
export function readFile(path: string, fields: FieldMap): AsyncGenerator<ReadEvent> {
  switch (formatOf(path)) {
    case 'jsonl':
      return readJsonl(path, fields);
    case 'warc':
      return readWarc(path);
    case 'html':
      return readWhole(path, 'html');
    case 'text':
      return readWhole(path, 'text');
    case 'parquet':
      return readParquet(path, fields);
    default:
      throw new Error(`${path}: no reader for this file type`);
  }
}
