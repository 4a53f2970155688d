// Build step for the WebAssembly kernels: compiles src/backend/cpu/assembly/index.ts with
// AssemblyScript twice, into dist/wasm/kernels-simd.wasm (plain SIMD, runs everywhere) and
// dist/wasm/kernels-relaxed.wasm (relaxed SIMD: fused multiply-add), both importing one
// shared memory. The runtime picks the relaxed build where WebAssembly.validate accepts it.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'src/backend/cpu/assembly/index.ts';
mkdirSync(`${root}dist/wasm`, { recursive: true });

const common = [
  entry,
  '-O3',
  '--noAssert',
  '--runtime', 'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory', '1',
  '--maximumMemory', '65536',
  // Kernels have no strings or arrays; an abort import would be the only import besides memory.
  '--use', 'abort=',
];

for (const [name, features] of [['simd', 'simd,threads'], ['relaxed', 'simd,threads,relaxed-simd']]) {
  const out = `dist/wasm/kernels-${name}.wasm`;
  const wat = `dist/wasm/kernels-${name}.wat`;
  const { error, stderr } = await asc.main([...common, '--enable', features, '--outFile', out, '--textFile', wat], { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for ${out}: ${error.message}`);
  }
  // Active data segments would be re-written by every thread's instantiation (into memory
  // the arena owns); the kernels must have none.
  const text = readFileSync(`${root}${wat}`, 'utf8');
  rmSync(`${root}${wat}`);
  if (/\(data\b/.test(text)) throw new Error(`${out} has a data segment: kernels must not use static data`);
}
