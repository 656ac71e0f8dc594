import { sha256 } from '@noble/hashes/sha2';
import { utf8ToBytes } from '@noble/hashes/utils';

/**
 * Distinct counts that add up across days and stores (HyperLogLog): each China day's and store's buying members
 * are kept as a 2 KB sketch, and a report merges the sketches of its days and stores to estimate how many
 * different members bought in the whole range, reading one document per day and store instead of every purchase.
 * With 2^11 registers the standard error is 1.04/√2048 ≈ 2.3%; below about 5,000 members the small-range
 * correction (linear counting) makes it far closer, exact in practice for a store's day.
 */
export const SKETCH_BITS = 11;
export const SKETCH_REGISTERS = 1 << SKETCH_BITS;
const HASH_BITS = 64;

export function emptySketch(): Uint8Array {
  return new Uint8Array(SKETCH_REGISTERS);
}

/** Adds one id (a member id) to the sketch. */
export function addToSketch(sketch: Uint8Array, id: string): void {
  const hash = sha256(utf8ToBytes(id));
  const bit = (i: number) => (hash[i >> 3]! >> (7 - (i & 7))) & 1;
  let index = 0;
  for (let i = 0; i < SKETCH_BITS; i++) index = (index << 1) | bit(i);
  // the register keeps the longest run of leading zeros seen (plus one) in the hash's remaining bits
  let rank = 1;
  for (let i = SKETCH_BITS; i < HASH_BITS && bit(i) === 0; i++) rank++;
  if (rank > sketch[index]!) sketch[index] = rank;
}

export function sketchOf(ids: Iterable<string>): Uint8Array {
  const sketch = emptySketch();
  for (const id of ids) addToSketch(sketch, id);
  return sketch;
}

/** Folds `other` into `into` (the sketch of the union). */
export function mergeSketch(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < SKETCH_REGISTERS; i++) if (other[i]! > into[i]!) into[i] = other[i]!;
}

/**
 * The estimated number of distinct ids added, rounded: Ertl's improved estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017), which, unlike the original's raw estimate with a switch to linear
 * counting, has no bias bump between small and large counts.
 */
export function estimateDistinct(sketch: Uint8Array): number {
  const m = SKETCH_REGISTERS;
  const q = HASH_BITS - SKETCH_BITS;
  const counts = new Array<number>(q + 2).fill(0);
  for (let i = 0; i < m; i++) counts[Math.min(sketch[i]!, q + 1)]!++;
  if (counts[0] === m) return 0;
  let z = m * tau(1 - counts[q + 1]! / m);
  for (let k = q; k >= 1; k--) z = 0.5 * (z + counts[k]!);
  z += m * sigma(counts[0]! / m);
  return Math.round(m * m / (2 * Math.LN2) / z);
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  for (;;) {
    x *= x;
    const before = z;
    z += x * y;
    y += y;
    if (z === before) return z;
  }
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  for (;;) {
    x = Math.sqrt(x);
    const before = z;
    y *= 0.5;
    z -= (1 - x) ** 2 * y;
    if (z === before) return z / 3;
  }
}
