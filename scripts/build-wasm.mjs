// Build step for the WebAssembly kernels: compiles src/backend/cpu/assembly/index.ts with
// AssemblyScript twice, into dist/wasm/kernels-simd.wasm (plain SIMD, runs everywhere) and
// dist/wasm/kernels-relaxed.wasm (relaxed SIMD: fused multiply-add), both importing one
// shared memory. The runtime picks the relaxed build where WebAssembly.validate accepts it.
// A second, separate step compiles the data pipeline's MinHash kernel,
// src/data/assembly/minhash.ts, into dist/wasm/minhash.wasm with its own exported memory.
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

// The MinHash kernel (src/data/minhash.ts): plain SIMD, its own non-shared memory, exported
// so that TypeScript lays out the arrays and grows it; every thread instantiates its own.
{
  const out = 'dist/wasm/minhash.wasm';
  const wat = 'dist/wasm/minhash.wat';
  const args = [
    'src/data/assembly/minhash.ts',
    '-O3',
    '--noAssert',
    '--runtime', 'stub',
    '--initialMemory', '1',
    '--use', 'abort=',
    '--enable', 'simd',
    '--outFile', out,
    '--textFile', wat,
  ];
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    console.error(stderr.toString());
    throw new Error(`asc failed for ${out}: ${error.message}`);
  }
  // TypeScript owns the whole memory from address 0: static data there would be overwritten.
  const text = readFileSync(`${root}${wat}`, 'utf8');
  rmSync(`${root}${wat}`);
  if (/\(data\b/.test(text)) throw new Error(`${out} has a data segment: the MinHash kernel must not use static data`);
}
