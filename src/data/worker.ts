// Worker-thread entry point of the pool: runs tasks posted by pool.ts and posts back
// their markers or the error message.

import { parentPort } from 'node:worker_threads';
import { runTask, type Task } from './pool.js';
import { InputError } from '../util/errors.js';

parentPort!.on('message', (m: { id: number; task: Task }) => {
  runTask(m.task).then(
    (result) => parentPort!.postMessage({ id: m.id, ok: true, result }),
    (e: unknown) => parentPort!.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e), input: e instanceof InputError }),
  );
});
