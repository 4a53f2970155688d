// Connected components of a graph too large for memory, by sorting: dedup's near-duplicate
// clusters (dedup.ts). Nodes are uint32 (document ordinals); the edges come as (a, b)
// values of an external sorter (sort64.ts). Each component is labelled by its smallest
// node.
//
// The algorithm alternates two rounds (Kiveris, Lattanzi, Mirrokni, Rastogi, Vassilvitskii,
// "Connected Components in MapReduce and Beyond", SoCC 2014), each one sort of the edges
// and one pass over them grouped by node; neither changes which nodes are connected, nor
// makes more edges than it was given:
// - Large-star: every node u links each neighbour larger than u to m, the smallest of u
//   and its neighbours.
// - Small-star: every node u links itself and each neighbour smaller than u to m, the
//   smallest of them.
// The paper proves the alternation reaches, in O(log^2 n) rounds, the state in which every
// component is a star around its smallest node: every node has either only larger
// neighbours (the star's centre) or exactly one neighbour, smaller (a leaf). A large-star
// pass checks that state as it goes; in it, it gives back exactly the star's edges.

import { NO_VALUES, Sorter64, type Cursor64 } from './sort64.js';
import { AnvilError } from '../util/errors.js';

/** Makes an empty sorter (sharing the caller's budget, folder and stats); `name` (unique) names its files. */
export type MakeSorter = (name: string) => Sorter64;

/**
 * The (node, smallest node of its component) pairs of every node that is not the smallest
 * of its component, in node order, as values (hi = node, lo = smallest). `edges` holds the
 * graph's edges as (a, b) values, a != b, in any order and orientation, repeats allowed;
 * it is read and disposed.
 */
export function components(edges: Sorter64, make: MakeSorter, stats?: { rounds: number }): Cursor64 {
  if (edges.count === 0) {
    edges.dispose();
    return NO_VALUES;
  }
  // Far more rounds than the proof's bound allows (a guard against a bug looping forever).
  const most = 16 + 4 * Math.ceil(Math.log2(2 * edges.count + 2)) ** 2;
  let input = edges;
  for (let round = 1; ; round++) {
    if (stats) stats.rounds = round;
    if (round > most) throw new AnvilError(`dedup: connected components did not converge in ${most} rounds (a bug)`);
    // Large-star: every edge in both directions, grouped by node.
    const both = make(`both${round}`);
    const c0 = input.sorted(true);
    try {
      while (c0.next()) {
        both.push(c0.hi, c0.lo);
        both.push(c0.lo, c0.hi);
      }
    } finally {
      c0.close();
    }
    const large = make(`large${round}`);
    let stars = true;
    const c = both.sorted(true);
    try {
      let u = -1;
      let m = 0;
      let smaller = 0;
      while (c.next()) {
        const v = c.lo;
        if (c.hi !== u) {
          // A new node; its neighbours come in ascending order, so the first gives m.
          u = c.hi;
          m = Math.min(u, v);
          smaller = 0;
        }
        if (v === u) continue; // a loop joins nothing
        if (v < u) smaller++;
        else {
          large.push(v, m);
          if (smaller > 0) stars = false;
        }
        if (smaller > 1) stars = false;
      }
    } finally {
      c.close();
    }
    if (stars) {
      // Every component is a star: the large-star edges are (leaf, centre).
      return large.sorted(true);
    }
    // Small-star: every edge under its larger node, the smaller ones ascending.
    const small = make(`small${round}`);
    const c2 = large.sorted(true);
    try {
      let u = -1;
      let m = 0;
      while (c2.next()) {
        if (c2.hi !== u) {
          u = c2.hi;
          m = c2.lo;
          small.push(u, m);
        } else small.push(c2.lo, m);
      }
    } finally {
      c2.close();
    }
    input = small;
  }
}
