// Checkpoints as Hugging Face model folders (config.json, model.safetensors,
// generation_config.json, tokenizer files) with the trainer state beside them
// (optimizer.safetensors, trainer_state.json). A checkpoint is written into a temporary
// folder, each file fsynced, then renamed into place, so a kill at any moment leaves only
// complete checkpoints; the last K are kept.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDir, writeFileAtomic } from '../util/atomic-file.js';
import { writeModelFolder, type ModelFolder } from '../io/model-folder.js';
import { readSafetensors, writeSafetensors, type NamedTensor } from '../io/safetensors.js';
import { InputError } from '../util/errors.js';
import type { TransformerConfig } from '../model/config.js';
import type { DataPosition } from './data.js';

export type { ModelFolder };

/** trainer_state.json: everything besides the tensors that `--resume` needs. */
export interface TrainerState {
  format: 'anvil-trainer-state';
  version: 1;
  /** Optimizer steps completed. */
  step: number;
  tokensSeen: number;
  /** Seconds of training so far (for throughput across resumes). */
  elapsed: number;
  data: DataPosition;
  /** The engine's RNG state (dropout), when it has one. */
  engineRng?: unknown;
  model: TransformerConfig;
  /** The training settings the run was started with. */
  train: Record<string, unknown>;
  /** Last validation result, if any. */
  lastEval?: { step: number; valLoss: number; bpb?: number };
}

/** Name of the checkpoint folder of a step. */
export function checkpointName(step: number): string {
  return `checkpoint-${String(step).padStart(6, '0')}`;
}

/**
 * Saves a checkpoint as OUT/checkpoint-<step>/ (atomically, as one folder rename) and
 * deletes all but the newest `keep` checkpoints. Returns the folder.
 */
export function saveCheckpoint(outDir: string, m: ModelFolder, optimizer: Map<string, NamedTensor>, state: TrainerState, keep: number): string {
  mkdirSync(outDir, { recursive: true });
  const final = join(outDir, checkpointName(state.step));
  const tmp = `${final}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  writeModelFolder(tmp, m);
  writeSafetensors(join(tmp, 'optimizer.safetensors'), optimizer, { step: String(state.step) });
  writeFileAtomic(join(tmp, 'trainer_state.json'), JSON.stringify(state, null, 2) + '\n');
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  fsyncDir(outDir);
  const all = listCheckpoints(outDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(outDir, checkpointName(old)), { recursive: true, force: true });
  // Leftovers of a run killed mid-write are incomplete by construction.
  for (const f of readdirSync(outDir)) if (/^checkpoint-\d+\.tmp-\d+$/.test(f) && join(outDir, f) !== tmp) rmSync(join(outDir, f), { recursive: true, force: true });
  return final;
}

/** Steps of the complete checkpoints in OUT, oldest first. */
export function listCheckpoints(outDir: string): number[] {
  if (!existsSync(outDir)) return [];
  return readdirSync(outDir)
    .map((f) => /^checkpoint-(\d+)$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(outDir, m[0], 'trainer_state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** The newest complete checkpoint folder in OUT, if any. */
export function latestCheckpoint(outDir: string): string | undefined {
  const steps = listCheckpoints(outDir);
  return steps.length ? join(outDir, checkpointName(steps[steps.length - 1]!)) : undefined;
}

/** Reads and checks a checkpoint's trainer_state.json. */
export function readTrainerState(dir: string): TrainerState {
  const file = join(dir, 'trainer_state.json');
  if (!existsSync(file)) throw new InputError('not a training checkpoint: trainer_state.json is missing', dir);
  let s: TrainerState;
  try {
    s = JSON.parse(readFileSync(file, 'utf8')) as TrainerState;
  } catch (e) {
    throw new InputError(`invalid JSON: ${(e as Error).message}`, file);
  }
  if (s.format !== 'anvil-trainer-state' || !Number.isInteger(s.step) || !s.data || !s.model) {
    throw new InputError('not an anvil trainer state (format, step, data or model missing)', file);
  }
  return s;
}

/** Reads a checkpoint's optimizer.safetensors. */
export function readOptimizer(dir: string): Map<string, NamedTensor> {
  return readSafetensors(join(dir, 'optimizer.safetensors')).tensors;
}
