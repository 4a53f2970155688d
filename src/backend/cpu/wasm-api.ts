// The slice of the WebAssembly JS API the cpu backend uses, typed here because the
// project's TypeScript lib (ES2023 + @types/node 20) declares no WebAssembly namespace.
// Module-scoped on purpose: no global declaration that could clash with another one.

/** A compiled module (opaque; structured-cloneable to worker_threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A shared linear memory. */
export interface WasmMemory {
  readonly buffer: SharedArrayBuffer;
  grow(pages: number): number;
}

interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (desc: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  validate(bytes: Uint8Array): boolean;
}

/** The runtime's WebAssembly object. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
