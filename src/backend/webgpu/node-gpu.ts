/// <reference types="@webgpu/types" />
// The `GPU` object in Node: Dawn through the `webgpu` npm package (kept apart from device.ts
// so that the browser bundle never sees the Node-only package).

import { WebGpuError } from './errors.js';

/** The `GPU` object in Node, from the `webgpu` package (Dawn); throws how to get it when absent. */
export async function nodeGpu(): Promise<{ gpu: GPU; keepAlive: unknown }> {
  let mod: { create(options: string[]): GPU; globals: object };
  try {
    mod = (await import('webgpu')) as unknown as typeof mod;
  } catch (err) {
    throw new WebGpuError(`webgpu: the 'webgpu' npm package (Dawn for Node) could not be loaded: ${(err as Error).message}`);
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  return { gpu, keepAlive: gpu };
}
