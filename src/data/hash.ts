// Fast non-cryptographic hashing for deduplication: murmur3's 32-bit finaliser and a
// seeded 32-bit string hash over UTF-16 code units (two seeds give 64 bits). Written here so that
// shingle hashing costs a few integer ops per character and no allocation.

/**
 * murmur3 fmix32, a bijective avalanche on 32 bits, as a signed 32-bit integer: for hot
 * loops that store the result in typed arrays or keep mixing it, where a uint32 above 2^31
 * would leave V8's int32 fast path.
 */
export function fmix32i(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** murmur3 fmix32 as a uint32 (fmix32i's bits). */
export function fmix32(h: number): number {
  return fmix32i(h) >>> 0;
}

/** murmur3's scramble of one input word (here a UTF-16 code unit) before it enters the state. */
export function murmurKey(c: number): number {
  const k = Math.imul(c, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}

/** murmur3's state update with one scrambled word (murmurKey). */
export function murmurStep(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** 32-bit hash of s[start, end) with a seed (murmur3-style mixing per code unit). */
export function hashRange(s: string, start: number, end: number, seed = 0): number {
  let h = seed ^ 0x9747b28c;
  for (let i = start; i < end; i++) h = murmurStep(h, murmurKey(s.charCodeAt(i)));
  return fmix32(h ^ (end - start));
}

/**
 * hashRange(s, start, end, seed1) and hashRange(s, start, end, seed2) in one pass (the
 * per-unit mixing does not depend on the seed), written to out[at] and out[at + 1].
 */
export function hashRange2(s: string, start: number, end: number, seed1: number, seed2: number, out: Uint32Array, at: number): void {
  let h1 = seed1 ^ 0x9747b28c;
  let h2 = seed2 ^ 0x9747b28c;
  for (let i = start; i < end; i++) {
    const k = murmurKey(s.charCodeAt(i));
    h1 = murmurStep(h1, k);
    h2 = murmurStep(h2, k);
  }
  out[at] = fmix32(h1 ^ (end - start));
  out[at + 1] = fmix32(h2 ^ (end - start));
}
