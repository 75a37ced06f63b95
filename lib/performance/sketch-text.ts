import type { Sketch } from "./sketch";

// Sorting a list by p95 merges every group's sketches of the period, which is most of the
// list's time: a scanner for the one shape PostgreSQL writes a stored sketch in
// ({"12": 3, "15": 1}) hands each pair over as two numbers, without building an object per row
// as JSON.parse would. Anything else falls back to JSON.parse.

const QUOTE = 34;
const COLON = 58;
const COMMA = 44;
const SPACE = 32;
const CLOSE = 125;
const ZERO = 48;
const NINE = 57;

/** Adds the sketch stored as `text` (jsonb's output) into `into`. */
export function mergeSketchText(into: Sketch, text: string): void {
  forEachSketchPair(text, (key, count) => {
    const sum = (into[key] ?? 0) + count;
    // a pair taken back (see forEachSketchPair) leaves no empty bucket behind
    if (sum === 0) delete into[key];
    else into[key] = sum;
  });
}

type PairFn = (key: number, count: number) => void;

/**
 * Calls `fn` with each (bucket index, count) of the sketch stored as `text`. Should the text
 * stop having the expected shape part of the way, the pairs already handed over are handed
 * over again with negated counts (so adding them cancels out), and then every pair from
 * JSON.parse: a text it cannot scan counts once, not half twice.
 */
export function forEachSketchPair(text: string, fn: PairFn): void {
  const stop = scan(text, fn, 1, text.length);
  if (stop === -1) return;
  if (stop > 0) scan(text, fn, -1, stop);
  const parsed = parseSketch(text);
  for (const key in parsed) fn(Number(key), parsed[key]!);
}

/**
 * Hands over `sign` x each pair starting before `stopAt`, while the text has the expected
 * shape: -1 when all of it had, else where it stopped (every pair handed over starts before).
 */
function scan(text: string, fn: PairFn, sign: number, stopAt: number): number {
  const last = text.length - 1;
  if (text.charCodeAt(0) !== 123) return 0;
  let at = 1;
  while (text.charCodeAt(at) === SPACE) at++;
  if (text.charCodeAt(at) === CLOSE) return at === last ? -1 : at;
  for (;;) {
    if (at >= stopAt || text.charCodeAt(at) !== QUOTE) return at;
    let j = at + 1;
    let key = 0;
    for (let ch = text.charCodeAt(j); ch >= ZERO && ch <= NINE; ch = text.charCodeAt(++j))
      key = key * 10 + ch - ZERO;
    if (j === at + 1 || j - at > 16 || text.charCodeAt(j) !== QUOTE || text.charCodeAt(j + 1) !== COLON)
      return at;
    j += 2;
    while (text.charCodeAt(j) === SPACE) j++;
    const digits = j;
    let count = 0;
    for (let ch = text.charCodeAt(j); ch >= ZERO && ch <= NINE; ch = text.charCodeAt(++j))
      count = count * 10 + ch - ZERO;
    if (j === digits || j - digits > 15) return at;
    while (text.charCodeAt(j) === SPACE) j++;
    const ch = text.charCodeAt(j);
    if (ch !== CLOSE && ch !== COMMA) return at;
    fn(key, sign * count);
    if (ch === CLOSE) return j === last ? -1 : j;
    at = j + 1;
    while (text.charCodeAt(at) === SPACE) at++;
  }
}

/** A stored sketch of any other shape: only its non-negative integer keys with finite counts. */
function parseSketch(text: string): Sketch {
  const out: Sketch = {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return out;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return out;
  for (const [key, count] of Object.entries(parsed)) {
    if (/^\d{1,6}$/.test(key) && typeof count === "number" && Number.isFinite(count) && count > 0)
      out[Number(key)] = count;
  }
  return out;
}
