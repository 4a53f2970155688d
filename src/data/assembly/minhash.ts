// MinHash signature kernel (AssemblyScript, WebAssembly SIMD), built by scripts/build-wasm.mjs
// into dist/wasm/minhash.wasm. Its memory is its own (not shared): every MinHasher owns an
// instance, and src/data/minhash.ts lays out the arrays in it and grows it.
// No static data and no allocation: TypeScript owns the memory layout.
//
// Dimensions: V = permutation vectors (P rounded up to a multiple of 4, over 4 lanes),
// N = shingles. Lanes run over permutations, so a shingle hash is splat into all four.

/** One shingle into one vector of four minima: min(m, a*x + b), 32-bit wrapping, signed. */
function step(x: v128, a: v128, b: v128, m: v128): v128 {
  return i32x4.min_s(m, i32x4.add(i32x4.mul(a, x), b));
}

/**
 * sig[i] = min over k < n of a[i]*x[k] + b[i] (wrapping int32, signed order) for i < 4*V,
 * starting from 0x7fffffff. b holds the offsets with the sign bit already flipped, so the
 * signed minimum orders the hashes as unsigned (the JS reference in ../minhash.ts).
 * a, b, sig: (V, 4) int32, 16-byte aligned; x: (N) uint32.
 */
export function signature(a: usize, b: usize, sig: usize, x: usize, n: i32, vecs: i32): void {
  const end = x + (<usize>n << 2);
  let v = 0;
  // Four vectors (16 permutations) per pass over the shingles: 12 live registers for
  // a, b and the minima, plus the splat shingle, fit x64's 16 vector registers.
  for (; v + 4 <= vecs; v += 4) {
    const o = <usize>v << 4;
    const a0 = v128.load(a + o, 0);
    const a1 = v128.load(a + o, 16);
    const a2 = v128.load(a + o, 32);
    const a3 = v128.load(a + o, 48);
    const b0 = v128.load(b + o, 0);
    const b1 = v128.load(b + o, 16);
    const b2 = v128.load(b + o, 32);
    const b3 = v128.load(b + o, 48);
    let m0 = i32x4.splat(0x7fffffff);
    let m1 = m0;
    let m2 = m0;
    let m3 = m0;
    for (let p = x; p < end; p += 4) {
      const xk = v128.load32_splat(p);
      m0 = step(xk, a0, b0, m0);
      m1 = step(xk, a1, b1, m1);
      m2 = step(xk, a2, b2, m2);
      m3 = step(xk, a3, b3, m3);
    }
    v128.store(sig + o, m0, 0);
    v128.store(sig + o, m1, 16);
    v128.store(sig + o, m2, 32);
    v128.store(sig + o, m3, 48);
  }
  // The last 1-3 vectors, one per pass.
  for (; v < vecs; v++) {
    const o = <usize>v << 4;
    const a0 = v128.load(a + o);
    const b0 = v128.load(b + o);
    let m0 = i32x4.splat(0x7fffffff);
    for (let p = x; p < end; p += 4) m0 = step(v128.load32_splat(p), a0, b0, m0);
    v128.store(sig + o, m0);
  }
}
