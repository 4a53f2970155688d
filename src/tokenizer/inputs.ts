// Streams training text out of the inputs `anvil tokenizer train` accepts: plain text
// files, JSONL with a "text" field (optionally gzipped), and document folders written by
// `anvil data prepare` (DIR/docs/*.jsonl.gz), in batches of about `batchChars` characters.

import { createReadStream, existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { InputError, UsageError } from '../util/errors.js';

const TEXT_EXT = /\.(txt|md|text|jsonl|jsonl\.gz|json\.gz|txt\.gz)$/i;

/** Expands directories into the files inside them (a prepared folder: its docs/ only). */
export function listInputFiles(inputs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (TEXT_EXT.test(name)) out.push(p);
    }
  };
  for (const input of inputs) {
    if (!existsSync(input)) throw new UsageError(`input ${input} does not exist`);
    if (statSync(input).isDirectory()) {
      const docs = join(input, 'docs');
      walk(existsSync(docs) && statSync(docs).isDirectory() ? docs : input);
    } else out.push(input);
  }
  return out;
}

function isJsonl(file: string): boolean {
  return /\.jsonl(\.gz)?$|\.json\.gz$/i.test(file);
}

/** Yields batches of texts from every file; for JSONL each text is one document. */
export async function* readTextBatches(files: string[], batchChars = 1 << 20, onBytes?: (n: number) => void): AsyncGenerator<string[]> {
  let batch: string[] = [];
  let chars = 0;
  const add = (t: string) => {
    batch.push(t);
    chars += t.length;
  };
  for (const file of files) {
    const gz = file.toLowerCase().endsWith('.gz');
    const raw = createReadStream(file, { highWaterMark: 1 << 20 });
    raw.on('data', (b) => onBytes?.((b as Buffer).length));
    const stream = gz ? raw.pipe(createGunzip()) : raw;
    if (isJsonl(file)) {
      let line = 0;
      const rl = createInterface({ input: stream, crlfDelay: Infinity });
      try {
        for await (const l of rl) {
          line++;
          if (!l.trim()) continue;
          let rec: unknown;
          try {
            rec = JSON.parse(l);
          } catch {
            throw new InputError('not valid JSON', file, line);
          }
          const text = (rec as { text?: unknown } | null)?.text;
          if (typeof text !== 'string') throw new InputError('record has no string field "text"', file, line);
          add(text);
          if (chars >= batchChars) {
            yield batch;
            batch = [];
            chars = 0;
          }
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'Z_DATA_ERROR') throw new InputError('corrupt gzip data', file);
        throw e;
      }
    } else {
      // plain text: cut at the last newline of each chunk so pieces never straddle a batch
      const decoder = new TextDecoder('utf-8');
      let carry = '';
      for await (const chunk of stream) {
        const s = carry + decoder.decode(chunk as Buffer, { stream: true });
        const cut = s.lastIndexOf('\n') + 1;
        carry = s.slice(cut);
        if (cut > 0) add(s.slice(0, cut));
        if (chars >= batchChars) {
          yield batch;
          batch = [];
          chars = 0;
        }
      }
      carry += decoder.decode();
      if (carry) add(carry);
    }
  }
  if (batch.length) yield batch;
}
