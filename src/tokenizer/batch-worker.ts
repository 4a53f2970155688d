// Worker of EncoderPool: rebuilds the tokenizer from tokenizer.json, then encodes the
// batches it is sent and returns all ids in one transferable array with end offsets.

import { parentPort, workerData } from 'node:worker_threads';
import { fromTokenizerJson } from './hf-json.js';

const { json, config } = workerData as { json: unknown; config: Record<string, unknown> };
const tok = fromTokenizerJson(json, config);

parentPort!.on('message', (m: { id: number; texts: string[]; allowSpecial: boolean }) => {
  try {
    // a growing typed buffer: one huge number[] would be slower (growth copies, GC)
    let buf = new Int32Array(1 << 16);
    let n = 0;
    const ends = new Int32Array(m.texts.length);
    m.texts.forEach((t, k) => {
      const ids = tok.encode(t, { allowSpecial: m.allowSpecial });
      if (n + ids.length > buf.length) {
        const grown = new Int32Array(Math.max(buf.length * 2, n + ids.length));
        grown.set(buf.subarray(0, n));
        buf = grown;
      }
      for (let q = 0; q < ids.length; q++) buf[n + q] = ids[q]!;
      n += ids.length;
      ends[k] = n;
    });
    const ids = buf.slice(0, n);
    parentPort!.postMessage({ id: m.id, ids, ends }, [ids.buffer, ends.buffer]);
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: (e as Error).message });
  }
});
