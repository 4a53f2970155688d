// WARC parsing over arbitrary chunk boundaries, and the error for a record cut short.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warcRecords, WarcError, parseHttp } from './warc.js';

function record(type: string, body: string): Buffer {
  const b = Buffer.from(body);
  return Buffer.from(`WARC/1.0\r\nWARC-Type: ${type}\r\nWARC-Target-URI: https://x.example/${type}\r\nContent-Length: ${b.length}\r\n\r\n${body}\r\n\r\n`);
}

async function* chunks(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

test('records parse identically whatever the chunk size', async () => {
  const all = Buffer.concat([record('warcinfo', 'software: x\r\n'), record('response', 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>héllo</p>'), record('conversion', 'plain text\nline two')]);
  for (const size of [1, 7, 64, 1 << 20]) {
    const got = [];
    for await (const r of warcRecords(chunks(all, size))) got.push([r.offset, r.headers['warc-type'], r.block.toString()]);
    assert.equal(got.length, 3, `chunk ${size}`);
    assert.equal(got[0]![0], 0);
    assert.equal(got[2]![2], 'plain text\nline two');
    const http = parseHttp(Buffer.from(got[1]![2] as string))!;
    assert.equal(http.status, 200);
    assert.equal(http.headers['content-type'], 'text/html');
    assert.equal(http.body.toString(), '<p>héllo</p>');
  }
});

test('a record cut short raises WarcError at its offset after yielding the complete ones', async () => {
  const first = record('conversion', 'complete record');
  const full = record('conversion', 'this one is cut short');
  const cut = full.subarray(0, full.length - 12);
  const seen: string[] = [];
  await assert.rejects(async () => {
    for await (const r of warcRecords(chunks(Buffer.concat([first, cut]), 16))) seen.push(r.block.toString());
  }, (e: unknown) => e instanceof WarcError && e.offset === first.length && /cut short/.test(e.message));
  assert.deepEqual(seen, ['complete record']);
  await assert.rejects(async () => {
    for await (const _ of warcRecords(chunks(Buffer.concat([first, full.subarray(0, 40)]), 16))) void _;
  }, (e: unknown) => e instanceof WarcError && e.offset === first.length && /header/.test(e.message));
});
