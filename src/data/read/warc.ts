// WARC and WET records (ISO 28500; Common Crawl's .warc.gz / .warc.wet.gz): a header
// block, Content-Length bytes of content, then CRLF CRLF. Response records carry an HTTP
// message whose Content-Type gives the media type and charset; WET "conversion" records
// carry extracted UTF-8 text. A record cut short is reported with its offset.

/** One WARC record: named header fields (lower-cased) and the content block. */
export interface WarcRecord {
  offset: number;
  headers: Record<string, string>;
  block: Buffer;
}

/** Raised when the stream ends or breaks inside a record. */
export class WarcError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Parses records from decompressed WARC bytes, streaming. */
export async function* warcRecords(chunks: AsyncIterable<Buffer>): AsyncGenerator<WarcRecord> {
  let buf: Buffer = Buffer.alloc(0);
  let base = 0; // stream offset of buf[0]
  let need: { headers: Record<string, string>; offset: number; start: number; length: number } | undefined;
  const take = async function* (): AsyncGenerator<WarcRecord> {
    for (;;) {
      if (!need) {
        // Skip blank lines between records.
        let s = 0;
        while (s < buf.length && (buf[s] === 13 || buf[s] === 10)) s++;
        if (s > 0) {
          buf = buf.subarray(s);
          base += s;
        }
        if (buf.length === 0) return;
        const end = buf.indexOf(CRLF2);
        if (end < 0) {
          if (buf.length > 1 << 20) throw new WarcError('WARC header longer than 1 MiB', base);
          return;
        }
        const head = buf.toString('latin1', 0, end).split('\r\n');
        if (!head[0]!.startsWith('WARC/')) throw new WarcError(`expected a WARC/ version line, found "${head[0]!.slice(0, 40)}"`, base);
        const headers: Record<string, string> = {};
        for (const l of head.slice(1)) {
          const i = l.indexOf(':');
          if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const length = Number(headers['content-length']);
        if (!Number.isInteger(length) || length < 0) throw new WarcError('WARC record without a valid Content-Length', base);
        need = { headers, offset: base, start: end + 4, length };
      }
      if (buf.length < need.start + need.length) return;
      const block = Buffer.from(buf.subarray(need.start, need.start + need.length));
      const consumed = need.start + need.length;
      yield { offset: need.offset, headers: need.headers, block };
      buf = buf.subarray(consumed);
      base += consumed;
      need = undefined;
    }
  };
  for await (const chunk of chunks) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    yield* take();
  }
  yield* take();
  if (need) throw new WarcError(`WARC record cut short: ${need.length} content bytes announced, ${Math.max(0, buf.length - need.start)} present`, need.offset);
  if (buf.length > 0 && buf.toString('latin1').trim()) throw new WarcError('WARC stream ends inside a record header', base);
}

/** Splits an HTTP response block into its headers (lower-cased) and body. */
export function parseHttp(block: Buffer): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  let end = block.indexOf(CRLF2);
  let sep = 4;
  if (end < 0) {
    end = block.indexOf('\n\n');
    sep = 2;
  }
  if (end < 0) return undefined;
  const lines = block.toString('latin1', 0, end).split(/\r?\n/);
  const m = /^HTTP\/[\d.]+\s+(\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(m[1]), headers, body: block.subarray(end + sep) };
}
