// MinHash signatures and LSH band keys (datatrove's scheme: shingles of 5 words, 14
// bands x 8 rows = 112 hashes by default; character n-grams for Chinese, as NeMo-Curator
// and data-juicer advise, because Chinese has no spaces between words).
// Signatures run in a WebAssembly SIMD kernel (./assembly/minhash.ts, built into
// dist/wasm/minhash.wasm) where it is present and valid, else in JavaScript; both give
// bit-identical minima. ANVIL_DATA_WASM=off forces the JavaScript path.
// Dimensions: P = bands * rows permutations; a signature is P uint32 minima;
// V = ceil(P / 4) kernel vectors of four lanes; N = shingles of a document.

import { readFileSync } from 'node:fs';
import { fmix32, fmix32i, hashRange, hashRange2, murmurKey, murmurStep } from './hash.js';

const SURROGATE = /[\ud800-\udfff]/;
/** Class of a BMP code unit after lower-casing: 0 separator, 1 letter or number, 2 decimal digit. */
const ND = 2;
const WORD = /[\p{L}\p{N}]/u;
const DIGIT = /\p{Nd}/u;
let classTable: Uint8Array | undefined;
function classes(): Uint8Array {
  if (classTable) return classTable;
  const t = new Uint8Array(0x10000);
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    if (DIGIT.test(ch)) t[c] = ND;
    else if (WORD.test(ch)) t[c] = 1;
  }
  return (classTable = t);
}

// Per UTF-16 code unit, filled in on first sight: 0 not seen yet, SPECIAL where its lower
// case is not one unit whatever the context (U+0130, whose lower case is two units; the
// final-sigma Σ; surrogates), else KNOWN | class << 1 | element << 3, with the class of its
// lower case (0 separator, 1 letter or number, ND digit) and the unit the shingles hash: the
// lower case, or '0' for digits. Texts with a SPECIAL unit take the toLowerCase() path.
const KNOWN = 1;
const SPECIAL = 0x7;
const LOWER_INFO = new Uint32Array(0x10000);

function learnLower(c: number): number {
  if (c >= 0xd800 && c <= 0xdfff) return (LOWER_INFO[c] = SPECIAL);
  const ch = String.fromCharCode(c);
  const l = ch.toLowerCase();
  if (l.length !== 1 || ('A' + ch + ' ').toLowerCase() !== 'a' + l + ' ' || (' ' + ch + 'A').toLowerCase() !== ' ' + l + 'a') return (LOWER_INFO[c] = SPECIAL);
  const u = l.charCodeAt(0);
  // The class of the lower case, as classes() has it (not built here: it costs ~0.1 s).
  const k = DIGIT.test(l) ? ND : WORD.test(l) ? 1 : 0;
  return (LOWER_INFO[c] = KNOWN | (k << 1) | ((k === ND ? 48 : u) << 3));
}


/** The element hash of one code unit of a character n-gram. */
function unitHash(c: number): number {
  return fmix32i(c ^ 0x27d4eb2f);
}

/** Odd multiplier of the polynomial n-gram hash. */
const NGRAM_BASE = 0x2f0b3c4d | 1;

/**
 * Shingles of the element hashes e[0, m): one per window of n (a single one over all m
 * when m < n, and for m = 0), as fmix32 of the window's polynomial hash mod 2^32, which a
 * rolling update gives in two multiplications per window whatever n is.
 */
function ngramShingles(e: Int32Array, m: number, n: number): Uint32Array {
  const out = new Uint32Array(Math.max(1, m - n + 1));
  ngramShinglesInto(e, m, n, out, 0);
  return out;
}

/** ngramShingles written to out from `at` (room for max(1, m - n + 1)); returns the count. */
function ngramShinglesInto(e: Int32Array, m: number, n: number, out: Uint32Array, at: number): number {
  const k = Math.min(n, m);
  const count = Math.max(1, m - n + 1);
  const seed = Math.imul(k + 1, 0x2545f491);
  let h = 0;
  let top = 1; // NGRAM_BASE^(k-1): the weight of a window's first element
  for (let j = 0; j < k; j++) {
    h = (Math.imul(h, NGRAM_BASE) + e[j]!) | 0;
    if (j > 0) top = Math.imul(top, NGRAM_BASE);
  }
  out[at] = fmix32i(h ^ seed);
  for (let i = 1; i < count; i++) {
    h = (Math.imul(h - Math.imul(e[i - 1]!, top), NGRAM_BASE) + e[i - 1 + k]!) | 0;
    out[at + i] = fmix32i(h ^ seed);
  }
  return count;
}

/** The slice of the WebAssembly JS API used here (the project's TypeScript lib declares none). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => MinhashKernelModule;
  Instance: new (module: MinhashKernelModule, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
}
/** A compiled MinHash kernel (opaque). */
export interface MinhashKernelModule {
  readonly __minhashKernel?: never;
}
interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
type SignatureFn = (a: number, b: number, sig: number, x: number, n: number, vecs: number) => void;

const WASM = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
const PAGE = 65536;
/** dist/wasm/minhash.wasm, beside dist/src/ (this file runs as dist/src/data/minhash.js). */
const KERNEL_URL = new URL('../../wasm/minhash.wasm', import.meta.url);
let kernelModule: MinhashKernelModule | null | undefined;

/**
 * Compiles the kernel's bytes; null where they are missing or WebAssembly.validate rejects
 * them (no WebAssembly, no SIMD, a broken file), and then the JavaScript path runs.
 */
export function compileMinhashKernel(bytes: Uint8Array | undefined): MinhashKernelModule | null {
  if (WASM === undefined || bytes === undefined || !WASM.validate(bytes)) return null;
  return new WASM.Module(bytes);
}

/** This thread's compiled kernel (read and compiled once, synchronously), or null for JS. */
function minhashKernel(): MinhashKernelModule | null {
  if (process.env.ANVIL_DATA_WASM === 'off') return null;
  if (kernelModule === undefined) {
    let bytes: Uint8Array | undefined;
    try {
      bytes = readFileSync(KERNEL_URL);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    kernelModule = compileMinhashKernel(bytes);
  }
  return kernelModule;
}

/**
 * One instance of the kernel with its own memory, laid out (bytes) as
 *   [0, 16V) a   [16V, 32V) b with the sign bit flipped   [32V, 48V) sig   [48V, ...) x (N)
 * with the P..4V padding lanes of a and b zero (their minima are never read).
 */
class SignatureKernel {
  private readonly memory: KernelMemory;
  private readonly fn: SignatureFn;
  private readonly vecs: number;
  private readonly perms: number; // P
  private readonly xOff: number;
  private words: Uint32Array; // the whole memory; replaced when it grows
  private sigView: Int32Array; // (P) the kernel's output

  constructor(module: MinhashKernelModule, a: Int32Array, b: Int32Array) {
    const { exports } = new WASM!.Instance(module, {});
    this.memory = exports.memory as KernelMemory;
    this.fn = exports.signature as SignatureFn;
    const P = a.length;
    this.perms = P;
    this.vecs = Math.ceil(P / 4);
    this.xOff = 48 * this.vecs;
    this.ensure(this.xOff);
    this.words = new Uint32Array(this.memory.buffer);
    this.sigView = new Int32Array(this.memory.buffer, 32 * this.vecs, P);
    const w = new Int32Array(this.memory.buffer);
    w.set(a, 0);
    for (let i = 0; i < P; i++) w[4 * this.vecs + i] = b[i]! ^ 0x80000000;
  }

  /** Grows the memory (at least doubling) to hold `bytes`; views must then be remade. */
  private ensure(bytes: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return false;
    this.memory.grow(Math.max(Math.ceil((bytes - have) / PAGE), have / PAGE));
    return true;
  }

  /** The memory as words, with room for n shingles from word `inputAt` on; valid until the next call. */
  input(n: number): Uint32Array {
    if (this.ensure(this.xOff + 4 * n)) {
      this.words = new Uint32Array(this.memory.buffer);
      this.sigView = new Int32Array(this.memory.buffer, 32 * this.vecs, this.perms);
    }
    return this.words;
  }

  /** Where input() takes the shingles (a word index). */
  get inputAt(): number {
    return this.xOff >> 2;
  }

  /** out = the signature of the n shingles written through input(n). */
  runInput(n: number, out: Int32Array): void {
    this.fn(0, 16 * this.vecs, 32 * this.vecs, this.xOff, n, this.vecs);
    out.set(this.sigView);
  }

  /** out = the signature of the shingles. */
  run(shingles: Uint32Array, out: Int32Array): void {
    this.input(shingles.length).set(shingles, this.inputAt);
    this.runInput(shingles.length, out);
  }
}

export interface MinHashConfig {
  bands: number;
  rows: number;
  /** Words per shingle for spaced languages. */
  wordNgram: number;
  /** Characters per shingle for unspaced scripts (zh, ja, th...). */
  charNgram: number;
  seed: number;
}

/** Seeds of the two 32-bit lanes of a document's exact hash (hashRange2 over its text). */
export const EXACT_SEED1 = 0x5eed;
export const EXACT_SEED2 = 0xface;

export const MINHASH_DEFAULTS: MinHashConfig = { bands: 14, rows: 8, wordNgram: 5, charNgram: 5, seed: 1 };

/** Languages shingled by characters, not words. */
export const UNSPACED = new Set(['zh', 'ja', 'th', 'lo', 'km', 'my', 'bo']);

/**
 * Precomputed odd multipliers and offsets of the P universal hash functions
 * h_i(x) = a_i * x + b_i (mod 2^32), applied to a well-mixed 32-bit shingle hash.
 */
export class MinHasher {
  readonly perms: number;
  private readonly a: Int32Array; // (P)
  private readonly b: Int32Array; // (P)
  private readonly sig: Int32Array; // (P) scratch, reused per document
  private elems = new Int32Array(0); // scratch: element hashes (code units or words)
  private scratch = new Uint32Array(0); // scratch: shingles on the JavaScript path
  private readonly kernel: SignatureKernel | null;
  /** Whether signature() runs in the WebAssembly kernel (else in JavaScript). */
  readonly usesWasm: boolean;

  constructor(readonly cfg: MinHashConfig) {
    this.perms = cfg.bands * cfg.rows;
    this.a = new Int32Array(this.perms);
    this.b = new Int32Array(this.perms);
    this.sig = new Int32Array(this.perms);
    let s = fmix32(cfg.seed + 0x51ed270b);
    for (let i = 0; i < this.perms; i++) {
      s = fmix32(s + 0x9e3779b9);
      this.a[i] = s | 1;
      s = fmix32(s + 0x9e3779b9);
      this.b[i] = s;
    }
    const module = minhashKernel();
    this.kernel = module === null ? null : new SignatureKernel(module, this.a, this.b);
    this.usesWasm = this.kernel !== null;
  }

  /**
   * Shingle hashes of a text: lower-cased, digits folded to 0, punctuation dropped
   * (datatrove's simplify_text), then word n-grams or character n-grams. One pass over
   * the code units with a class table, hashing in place; text with surrogate pairs
   * (astral characters) takes the regex path, shinglesByRegex, which defines the result.
   */
  shingles(text: string, lang: string | undefined): Uint32Array {
    const lower = text.toLowerCase();
    if (SURROGATE.test(lower)) return this.shinglesByRegex(text, lang);
    const cls = classes();
    const len = lower.length;
    if (this.elems.length < len + 1) this.elems = new Int32Array(Math.max(len + 1, this.elems.length * 2));
    const e = this.elems;
    if (lang !== undefined && UNSPACED.has(lang)) {
      let m = 0;
      for (let i = 0; i < len; i++) {
        const c = lower.charCodeAt(i);
        const k = cls[c]!;
        if (k === 0) continue;
        e[m++] = unitHash(k === ND ? 48 : c);
      }
      return ngramShingles(e, m, this.cfg.charNgram);
    }
    // Word hashes straight from the code units, without building the words.
    let words = 0;
    let h = 0;
    let wl = 0;
    for (let i = 0; i <= len; i++) {
      const c = i < len ? lower.charCodeAt(i) : 32;
      const k = i < len ? cls[c]! : 0;
      if (k === 0) {
        if (wl > 0) {
          e[words++] = fmix32i(h ^ wl);
          wl = 0;
        }
        continue;
      }
      if (wl === 0) h = 31 ^ 0x9747b28c;
      h = murmurStep(h, murmurKey(k === ND ? 48 : c));
      wl++;
    }
    return ngramShingles(e, words, this.cfg.wordNgram);
  }

  /**
   * What a candidate document gives deduplication: row[1], row[2] = its exact hash
   * (hashRange2 over the text with EXACT_SEED1, EXACT_SEED2) and row[3, 3 + 2B) =
   * bandKeys(signature(shingles(text, lang))); row[0] is left alone. One pass over the text
   * computes the exact hash and the shingles' elements together (two independent hash
   * chains, so they overlap), from LOWER_INFO instead of a lower-cased copy; the shingles go
   * straight into the kernel's memory. Texts with a SPECIAL unit take the separate path.
   */
  sketch(text: string, lang: string | undefined, row: Uint32Array): void {
    const len = text.length;
    if (this.elems.length < len + 1) this.elems = new Int32Array(Math.max(len + 1, this.elems.length * 2));
    const e = this.elems;
    const unspaced = lang !== undefined && UNSPACED.has(lang);
    const info = LOWER_INFO;
    let h1 = EXACT_SEED1 ^ 0x9747b28c;
    let h2 = EXACT_SEED2 ^ 0x9747b28c;
    let m = 0; // elements
    let h = 0; // the current word's hash (spaced)
    let wl = 0; // its length
    let i = 0;
    for (; i < len; i++) {
      const c = text.charCodeAt(i);
      const k = murmurKey(c);
      h1 = murmurStep(h1, k);
      h2 = murmurStep(h2, k);
      let v = info[c]!;
      if (v === 0) v = learnLower(c);
      if (v === SPECIAL) break;
      if ((v & 6) === 0) {
        // A separator: ends the word (spaced); dropped (unspaced).
        if (wl > 0) {
          e[m++] = fmix32i(h ^ wl);
          wl = 0;
        }
        continue;
      }
      if (unspaced) {
        e[m++] = unitHash(v >>> 3);
        continue;
      }
      if (wl === 0) h = 31 ^ 0x9747b28c;
      h = murmurStep(h, murmurKey(v >>> 3));
      wl++;
    }
    if (i < len) {
      hashRange2(text, 0, len, EXACT_SEED1, EXACT_SEED2, row, 1);
      this.bandKeys(this.signature(this.shingles(text, lang)), row, 3);
      return;
    }
    if (wl > 0) e[m++] = fmix32i(h ^ wl);
    row[1] = fmix32i(h1 ^ len);
    row[2] = fmix32i(h2 ^ len);
    const n = unspaced ? this.cfg.charNgram : this.cfg.wordNgram;
    const count = Math.max(1, m - n + 1);
    let sig: Int32Array;
    if (this.kernel !== null) {
      ngramShinglesInto(e, m, n, this.kernel.input(count), this.kernel.inputAt);
      this.kernel.runInput(count, this.sig);
      sig = this.sig;
    } else {
      if (this.scratch.length < count) this.scratch = new Uint32Array(Math.max(count, 2 * this.scratch.length));
      ngramShinglesInto(e, m, n, this.scratch, 0);
      sig = this.signatureJs(this.scratch.subarray(0, count));
    }
    this.bandKeys(sig, row, 3);
  }

  /** The reference definition of shingles(), on strings and Unicode regexes. */
  shinglesByRegex(text: string, lang: string | undefined): Uint32Array {
    const simple = text.toLowerCase().replace(/\p{Nd}/gu, '0');
    if (lang !== undefined && UNSPACED.has(lang)) {
      const chars = simple.replace(/[^\p{L}\p{N}]+/gu, '');
      const e = new Int32Array(chars.length);
      for (let i = 0; i < chars.length; i++) e[i] = unitHash(chars.charCodeAt(i));
      return ngramShingles(e, chars.length, this.cfg.charNgram);
    }
    const words = simple.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length > 0);
    const e = new Int32Array(words.length);
    for (let i = 0; i < words.length; i++) e[i] = hashRange(words[i]!, 0, words[i]!.length, 31);
    return ngramShingles(e, words.length, this.cfg.wordNgram);
  }

  /**
   * The signature (P minima) of a set of shingle hashes; the array is reused per call.
   * Values are kept as int32 with the sign bit flipped, so that signed comparison orders
   * them as unsigned and V8 never leaves 32-bit integer arithmetic.
   */
  signature(shingles: Uint32Array): Int32Array {
    if (this.kernel === null) return this.signatureJs(shingles);
    this.kernel.run(shingles, this.sig);
    return this.sig;
  }

  /** signature() in JavaScript: the fallback, and the reference the kernel is tested against. */
  signatureJs(shingles: Uint32Array): Int32Array {
    const sig = this.sig;
    sig.fill(0x7fffffff);
    const a = this.a;
    const b = this.b;
    const P = this.perms;
    const n = shingles.length;
    let k = 0;
    // Four shingles per pass over the permutations: a, b and sig are loaded once per four.
    for (; k + 4 <= n; k += 4) {
      const x0 = shingles[k]! | 0;
      const x1 = shingles[k + 1]! | 0;
      const x2 = shingles[k + 2]! | 0;
      const x3 = shingles[k + 3]! | 0;
      for (let i = 0; i < P; i++) {
        const ai = a[i]!;
        const bi = b[i]! ^ 0x80000000;
        let m = sig[i]!;
        const v0 = (Math.imul(ai, x0) + bi) | 0;
        const v1 = (Math.imul(ai, x1) + bi) | 0;
        const v2 = (Math.imul(ai, x2) + bi) | 0;
        const v3 = (Math.imul(ai, x3) + bi) | 0;
        if (v0 < m) m = v0;
        if (v1 < m) m = v1;
        if (v2 < m) m = v2;
        if (v3 < m) m = v3;
        sig[i] = m;
      }
    }
    for (; k < n; k++) {
      const x = shingles[k]! | 0;
      for (let i = 0; i < P; i++) {
        const v = (Math.imul(a[i]!, x) + (b[i]! ^ 0x80000000)) | 0;
        if (v < sig[i]!) sig[i] = v;
      }
    }
    return sig;
  }

  /**
   * Band keys: for each of the B bands, a 64-bit hash of its R minima, as two uint32 lanes.
   * Returns (B, 2).
   */
  bandKeys(sig: Int32Array, out: Uint32Array = new Uint32Array(this.cfg.bands * 2), at = 0): Uint32Array {
    const R = this.cfg.rows;
    for (let band = 0; band < this.cfg.bands; band++) {
      let h1 = 0x3c6ef372 ^ band;
      let h2 = 0xa54ff53a ^ band;
      for (let r = 0; r < R; r++) {
        const v = sig[band * R + r]!;
        h1 = fmix32i(Math.imul(h1, 0x01000193) ^ v);
        h2 = fmix32i((h2 + Math.imul(v, 0x27d4eb2f)) ^ (h2 >>> 15));
      }
      out[at + band * 2] = h1;
      out[at + band * 2 + 1] = h2;
    }
    return out;
  }
}

/** Estimated Jaccard similarity of two signatures (fraction of equal minima). */
export function estimateJaccard(a: Int32Array, b: Int32Array): number {
  let eq = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) eq++;
  return eq / a.length;
}

/** Probability that a pair with Jaccard s shares at least one band: 1 - (1 - s^R)^B. */
export function pairCandidateProbability(s: number, bands: number, rows: number): number {
  return 1 - (1 - s ** rows) ** bands;
}
