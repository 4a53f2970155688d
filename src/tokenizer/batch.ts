// Batch encoding across worker threads, for corpora: each worker builds the tokenizer
// from its tokenizer.json once and encodes a contiguous share of each batch.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { toTokenizerConfig, toTokenizerJson } from './hf-json.js';
import type { Tokenizer } from './tokenizer.js';

type Reply = { id: number; ids: Int32Array; ends: Int32Array } | { id: number; error: string };

/** A pool of encoding workers; close() it when done. */
export class EncoderPool {
  private readonly workers: Worker[];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();

  constructor(tok: Tokenizer, threads = Math.min(availableParallelism(), 8)) {
    const data = { json: toTokenizerJson(tok), config: toTokenizerConfig(tok) };
    this.workers = Array.from({ length: Math.max(1, threads) }, () => {
      const w = new Worker(new URL('./batch-worker.js', import.meta.url), { workerData: data });
      w.on('message', (r: Reply) => {
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        p?.resolve(r);
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      return w;
    });
  }

  /** Encodes every text (special tokens allowed if asked); the result keeps the input order. */
  async encode(texts: string[], allowSpecial = false): Promise<Int32Array[]> {
    const n = this.workers.length;
    const share = Math.ceil(texts.length / n);
    const parts = await Promise.all(
      this.workers.map((w, k) => {
        const slice = texts.slice(k * share, (k + 1) * share);
        if (slice.length === 0) return Promise.resolve<Int32Array[]>([]);
        const id = this.nextId++;
        return new Promise<Reply>((resolve, reject) => {
          this.pending.set(id, { resolve, reject });
          w.postMessage({ id, texts: slice, allowSpecial });
        }).then((r) => {
          if ('error' in r) throw new Error(r.error);
          const out: Int32Array[] = [];
          let prev = 0;
          for (const e of r.ends) {
            out.push(r.ids.subarray(prev, e));
            prev = e;
          }
          return out;
        });
      }),
    );
    return parts.flat();
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Encodes many texts across threads (a pool made and closed for this call). */
export async function encodeBatch(tok: Tokenizer, texts: string[], opts: { threads?: number; allowSpecial?: boolean } = {}): Promise<Int32Array[]> {
  const pool = new EncoderPool(tok, opts.threads);
  try {
    return await pool.encode(texts, opts.allowSpecial);
  } finally {
    await pool.close();
  }
}
