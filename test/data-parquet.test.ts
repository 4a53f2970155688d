// Parquet input: a small Parquet file (two row groups, UTF-8 columns `content` and
// `link`, plain encoding) is written here by a minimal writer, then read by the pipeline
// through a per-source field mapping and license; every row becomes a document with its
// row number.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { prepare } from '../src/data/pipeline.js';
import { defaultConfig } from '../src/data/config.js';
import { Rng, enDoc } from '../src/data/synth.js';

// ---- Thrift compact protocol, just what Parquet metadata needs ----------------------
class Thrift {
  bytes: number[] = [];
  private last: number[] = [0];
  varint(n: bigint): void {
    let v = n;
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v) b |= 0x80;
      this.bytes.push(b);
    } while (v);
  }
  zigzag(n: number | bigint): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n);
  }
  field(id: number, type: number): void {
    const d = id - this.last[this.last.length - 1]!;
    this.bytes.push((d << 4) | type);
    this.last[this.last.length - 1] = id;
  }
  i32(id: number, v: number): void {
    this.field(id, 5);
    this.zigzag(v);
  }
  i64(id: number, v: number): void {
    this.field(id, 6);
    this.zigzag(v);
  }
  str(id: number, s: string): void {
    this.field(id, 8);
    const b = Buffer.from(s);
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }
  begin(id: number): void {
    this.field(id, 12);
    this.last.push(0);
  }
  end(): void {
    this.bytes.push(0);
    this.last.pop();
  }
  list(id: number, type: number, n: number): void {
    this.field(id, 9);
    this.bytes.push((n << 4) | type);
  }
  beginElem(): void {
    this.last.push(0);
  }
}

function parquet(columns: string[], rowGroups: string[][][]): Buffer {
  const parts: Buffer[] = [Buffer.from('PAR1')];
  let offset = 4;
  const groups: { cols: { offset: number; size: number; n: number }[]; rows: number }[] = [];
  for (const rows of rowGroups) {
    const cols = columns.map((_, c) => {
      const values = rows.map((r) => Buffer.from(r[c]!));
      const data = Buffer.concat(values.flatMap((v) => [Buffer.from(Uint32Array.of(v.length).buffer), v]));
      const h = new Thrift();
      h.i32(1, 0); // DATA_PAGE
      h.i32(2, data.length);
      h.i32(3, data.length);
      h.begin(5);
      h.i32(1, values.length);
      h.i32(2, 0); // PLAIN
      h.i32(3, 3); // RLE
      h.i32(4, 3);
      h.end();
      h.bytes.push(0);
      const chunk = Buffer.concat([Buffer.from(h.bytes), data]);
      const at = offset;
      parts.push(chunk);
      offset += chunk.length;
      return { offset: at, size: chunk.length, n: values.length };
    });
    groups.push({ cols, rows: rows.length });
  }
  const m = new Thrift();
  m.i32(1, 1);
  m.list(2, 12, columns.length + 1);
  m.beginElem();
  m.str(4, 'schema');
  m.i32(5, columns.length);
  m.end();
  for (const c of columns) {
    m.beginElem();
    m.i32(1, 6); // BYTE_ARRAY
    m.i32(3, 0); // REQUIRED
    m.str(4, c);
    m.i32(6, 0); // UTF8
    m.end();
  }
  m.i64(3, rowGroups.reduce((s, g) => s + g.length, 0));
  m.list(4, 12, groups.length);
  for (const g of groups) {
    m.beginElem();
    m.list(1, 12, g.cols.length);
    g.cols.forEach((c, k) => {
      m.beginElem();
      m.i64(2, c.offset);
      m.begin(3);
      m.i32(1, 6);
      m.list(2, 5, 1);
      m.zigzag(0);
      m.list(3, 8, 1);
      const name = Buffer.from(columns[k]!);
      m.varint(BigInt(name.length));
      m.bytes.push(...name);
      m.i32(4, 0);
      m.i64(5, c.n);
      m.i64(6, c.size);
      m.i64(7, c.size);
      m.i64(9, c.offset);
      m.end();
      m.end();
    });
    m.i64(2, g.cols.reduce((s, c) => s + c.size, 0));
    m.i64(3, g.rows);
    m.end();
  }
  m.bytes.push(0);
  const meta = Buffer.from(m.bytes);
  parts.push(meta, Buffer.from(Uint32Array.of(meta.length).buffer), Buffer.from('PAR1'));
  return Buffer.concat(parts);
}

test('Parquet rows become documents through a field mapping, row group by row group', async () => {
  const root = mkdtempSync(join(tmpdir(), 'anvil-data-parquet-'));
  const r = new Rng(11);
  const rows = Array.from({ length: 12 }, (_, i) => [enDoc(r), `https://p.example/${i}`]);
  const file = join(root, 'web.parquet');
  writeFileSync(file, parquet(['content', 'link'], [rows.slice(0, 7), rows.slice(7)]));
  const out = join(root, 'out');
  // License and field names come from a per-source entry, as a pipeline file gives them.
  const config = { ...defaultConfig(), workers: 1, license: 'unknown', sources: [{ match: join(root, '*.parquet'), license: 'ODC-BY-1.0', fields: { text: 'content', url: 'link' } }] };
  const res = await prepare({ inputs: [file], out, config });
  assert.equal(res.status, 'complete');
  assert.equal(res.report!.documents.read, 12);
  const docs = gunzipSync(readFileSync(join(out, 'docs', '00000.jsonl.gz'))).toString().trim().split('\n').map((l) => JSON.parse(l) as { text: string; url: string; offset: number; license: string });
  assert.equal(docs.length, 12);
  docs.forEach((d, i) => {
    assert.equal(d.url, `https://p.example/${i}`);
    assert.equal(d.offset, i);
    assert.equal(d.text, rows[i]![0]);
    assert.equal(d.license, 'ODC-BY-1.0');
  });
});
