// The merge table of a BPE model: (left id, right id) -> (rank, merged id), as an
// open-addressing hash table over typed arrays (a JS Map with numeric keys is several
// times slower in the encoder's inner loop).

/** Maps a pair of token ids to the rank of their merge and the id it produces. */
export class MergeTable {
  private keysA: Int32Array;
  private keysB: Int32Array;
  private ranks: Int32Array;
  private results: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1024) {
    let cap = 1024;
    while (cap < expected * 2) cap *= 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.results = new Int32Array(cap);
    this.mask = cap - 1;
  }

  private slot(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & this.mask;
    for (;;) {
      const k = this.keysA[h]!;
      if (k === -1 || (k === a && this.keysB[h] === b)) return h;
      h = (h + 1) & this.mask;
    }
  }

  /** Adds a merge unless the pair already has one (the first, lowest rank wins). */
  add(a: number, b: number, rank: number, result: number): void {
    if ((this.size + 1) * 2 > this.keysA.length) this.grow();
    const h = this.slot(a, b);
    if (this.keysA[h] !== -1) return;
    this.keysA[h] = a;
    this.keysB[h] = b;
    this.ranks[h] = rank;
    this.results[h] = result;
    this.size++;
  }

  /** The rank of merging (a, b), or -1 when the pair does not merge. */
  rank(a: number, b: number): number {
    const h = this.slot(a, b);
    return this.keysA[h] === -1 ? -1 : this.ranks[h]!;
  }

  /** The id (a, b) merges into; only valid where rank(a, b) >= 0. */
  result(a: number, b: number): number {
    return this.results[this.slot(a, b)]!;
  }

  private grow(): void {
    const { keysA, keysB, ranks, results } = this;
    const cap = keysA.length * 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.ranks = new Int32Array(cap);
    this.results = new Int32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let h = 0; h < keysA.length; h++) if (keysA[h] !== -1) this.add(keysA[h]!, keysB[h]!, ranks[h]!, results[h]!);
  }
}
