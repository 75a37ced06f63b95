import type { Sketch } from "./sketch";

// A sketch as PostgreSQL stores it (transaction_stats.sketch, bytea): 3 bytes per bucket, a
// big-endian 24-bit word index * 8192 + count, in ascending index order. Indexes stop at about
// 1,300 (sketchIndex clamps durations to 30 days), within the 11 bits left; a bucket of more
// than 8,191 durations repeats its index (counts of one index add up wherever they appear). The
// SQL function transaction_sketch_merge writes the same form (performance migrations).
// Compact for the read that dominates the transactions list, every group's sketches of a
// period: jsonb wrote each bucket out as text at ~100 ns apiece, and 3 bytes rather than 6 for
// (int16, int32) pairs halve what PostgreSQL reads, encodes and sends.

export const PAIR_BYTES = 3;
export const MAX_PAIR_COUNT = 8191;
const COUNT_BITS = 8192;
const MAX_INDEX = 2047;

/** The stored form of a sketch; throws on a bucket it cannot hold (never one addToSketch makes). */
export function packSketch(sketch: Sketch): Uint8Array<ArrayBuffer> {
  const words: number[] = [];
  const indexes = Object.keys(sketch)
    .map(Number)
    .sort((a, b) => a - b);
  for (const index of indexes) {
    const count = sketch[index]!;
    if (!(Number.isInteger(index) && index >= 0 && index <= MAX_INDEX))
      throw new RangeError(`sketch index ${index} is outside 0..${MAX_INDEX}`);
    if (!(Number.isSafeInteger(count) && count >= 0))
      throw new RangeError(`sketch count ${count} is not a non-negative integer`);
    for (let left = count; left > 0; left -= MAX_PAIR_COUNT)
      words.push(index * COUNT_BITS + Math.min(left, MAX_PAIR_COUNT));
  }
  const out = new Uint8Array(words.length * PAIR_BYTES);
  words.forEach((word, i) => {
    out[i * 3] = word >>> 16;
    out[i * 3 + 1] = (word >>> 8) & 0xff;
    out[i * 3 + 2] = word & 0xff;
  });
  return out;
}

/**
 * Calls `fn` with each (bucket index, count) stored, an index once per 8,191 of its count.
 * Trailing bytes short of a pair (never written) are ignored.
 */
export function forEachPackedPair(
  bytes: Uint8Array,
  fn: (index: number, count: number) => void,
  start = 0,
  end = bytes.length,
): void {
  const stop = end - ((end - start) % PAIR_BYTES);
  for (let at = start; at < stop; at += PAIR_BYTES) {
    const word = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
    fn(word >>> 13, word & MAX_PAIR_COUNT);
  }
}

/** A stored sketch as an object (tests and tools; lists merge the bytes directly). */
export function unpackSketch(bytes: Uint8Array): Sketch {
  const out: Sketch = {};
  mergePackedSketch(out, bytes);
  return out;
}

/** Adds a stored sketch into `into`. */
export function mergePackedSketch(into: Sketch, bytes: Uint8Array): void {
  forEachPackedPair(bytes, (index, count) => {
    into[index] = (into[index] ?? 0) + count;
  });
}
