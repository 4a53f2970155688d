// A small pool of worker threads for the CPU-heavy steps (a whole unit per task: read,
// decompress, extract, filter, hash). With one thread, tasks run inline, one at a time
// (which is also what tests use to keep stack traces simple).

import { Worker } from 'node:worker_threads';
import { runUnit, type UnitTask, type FilterMarker } from './unit.js';
import { finalizeUnit, type FinalTask, type FinalMarker } from './finalize.js';
import { AnvilError, InputError } from '../util/errors.js';

export type Task = { kind: 'unit'; task: UnitTask } | { kind: 'final'; task: FinalTask; candidates: number };
export type TaskResult<T extends Task> = T extends { kind: 'unit' } ? FilterMarker : FinalMarker;

/** Runs one task in the current thread. */
export async function runTask(t: Task): Promise<FilterMarker | FinalMarker> {
  return t.kind === 'unit' ? runUnit(t.task) : finalizeUnit(t.task, t.candidates);
}

interface Pending {
  resolve: (v: FilterMarker | FinalMarker) => void;
  reject: (e: Error) => void;
}

export class Pool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Inline tasks (a pool of one) run one after another, as a worker would run them. */
  private inline: Promise<unknown> = Promise.resolve();

  constructor(readonly size: number) {
    if (size <= 1) return;
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./worker.js', import.meta.url));
      w.on('message', (m: { id: number; ok: boolean; result?: FilterMarker | FinalMarker; error?: string; input?: boolean }) => {
        const p = this.pending.get(m.id)!;
        this.pending.delete(m.id);
        this.release(w);
        if (m.ok) p.resolve(m.result!);
        else p.reject(m.input ? new InputError(m.error!) : new AnvilError(m.error!));
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  private release(w: Worker): void {
    this.idle.push(w);
    this.waiting.shift()?.();
  }

  /** Runs a task on the next free worker (or inline for a pool of one). */
  async run(t: Task): Promise<FilterMarker | FinalMarker> {
    if (this.size <= 1) {
      // Without this, every unit of a run would be in flight at once on this thread,
      // interleaved at each await: memory growing with the number of input files.
      const p = this.inline.then(() => runTask(t));
      this.inline = p.catch(() => undefined);
      return p;
    }
    while (this.idle.length === 0) await new Promise<void>((r) => this.waiting.push(r));
    const w = this.idle.pop()!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, task: t });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
