// The command batch: what the backend records between reads and the executor replays on the
// GPU as few command buffers. Buffers are named by pool slot; each dispatch's parameters are
// PARAM_WORDS words at index `params` of the batch's parameter block.

/** One recorded command. */
export type Command =
  | { op: 'create'; slot: number; bytes: number }
  | { op: 'write'; slot: number; data: ArrayBuffer }
  | { op: 'copy'; src: number; dst: number; bytes: number }
  | { op: 'dispatch'; shader: string; params: number; bufs: number[]; groups: [number, number, number] };

/** Commands plus their parameter block (u32 words). */
export interface Batch {
  cmds: Command[];
  params: Uint32Array;
}

/** Slot number standing for "no buffer" (an optional binding). */
export const NO_BUFFER = -1;

/** Messages to the Node worker that owns the device. */
export type ToWorker =
  | { type: 'batch'; batch: Batch }
  | { type: 'read'; batch: Batch; slot: number; bytes: number; reply: SharedArrayBuffer }
  | { type: 'readAsync'; batch: Batch; slot: number; bytes: number; id: number }
  | { type: 'dispose' };

/** Layout of a synchronous read's reply: Int32 header [done, status, length], data at 16. */
export const REPLY_HEADER_BYTES = 16;
export const REPLY_OK = 0;
export const REPLY_ERROR = 1;
