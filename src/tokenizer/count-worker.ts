// Worker thread of BPE training: receives batches of texts, counts their pieces, and
// when told "done" sends its counts back (keys and counts as two arrays) and exits.

import { parentPort, workerData } from 'node:worker_threads';
import { countPieces } from './count.js';
import { regexSplitter, scanner, type PatternName } from './pretokenize.js';

const { pattern, regex } = workerData as { pattern?: PatternName; regex: string };
const split = pattern ? scanner(pattern) : regexSplitter(regex);
const counts = new Map<string, number>();

parentPort!.on('message', (msg: { type: 'texts'; texts: string[] } | { type: 'done' }) => {
  if (msg.type === 'texts') {
    countPieces(split, msg.texts, counts);
    parentPort!.postMessage({ type: 'ack' });
  } else {
    const keys = [...counts.keys()];
    const values = Float64Array.from(counts.values());
    parentPort!.postMessage({ type: 'counts', keys, values }, [values.buffer]);
  }
});
