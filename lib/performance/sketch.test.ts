import { describe, expect, it } from "vitest";
import {
  addToSketch,
  isFailedStatus,
  mergeSketch,
  SKETCH_RELATIVE_ACCURACY,
  type Sketch,
  sketchApdex,
  sketchIndex,
  sketchQuantiles,
  sketchValue,
} from "./sketch";
import { seededRandom as random } from "../../tests/support/hostile";


function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

// Log-normal durations (median 120 ms, a long tail) and a bimodal mix (cache hits and misses).
function durations(seed: number, n: number, bimodal: boolean): number[] {
  const next = random(seed);
  return Array.from({ length: n }, () => {
    const gauss = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    const median = bimodal && next() < 0.7 ? 4 : 120;
    return median * Math.exp(0.8 * gauss);
  });
}

describe("duration sketch", () => {
  it("reads every quantile within its 1% relative accuracy, also merged from parts", () => {
    for (const bimodal of [false, true]) {
      const values = durations(bimodal ? 7 : 3, 100_000, bimodal);
      // 24 hourly sketches merged, as the transactions list merges them
      const merged: Sketch = {};
      for (let hour = 0; hour < 24; hour++) {
        const part: Sketch = {};
        for (let i = hour; i < values.length; i += 24) addToSketch(part, values[i]!);
        mergeSketch(merged, part);
      }
      const sorted = [...values].sort((a, b) => a - b);
      const qs = [0.5, 0.75, 0.95, 0.99];
      const estimates = sketchQuantiles(merged, qs);
      qs.forEach((q, i) => {
        const exact = exactQuantile(sorted, q);
        const error = Math.abs(estimates[i]! - exact) / exact;
        expect(error).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
      });
    }
  });

  it("keeps bucket boundaries: every value within 1% of its bucket's value", () => {
    for (const ms of [0.02, 0.5, 1, 7.3, 299.9, 300, 300.1, 12_345, 3_600_000]) {
      const value = sketchValue(sketchIndex(ms));
      expect(Math.abs(value - ms) / ms).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
    }
    expect(sketchIndex(0)).toBe(0);
    expect(sketchIndex(-5)).toBe(0);
    expect(sketchIndex(Number.NaN)).toBe(0);
    expect(sketchIndex(1e15)).toBe(sketchIndex(30 * 86_400_000));
  });

  it("answers null for an empty sketch and the one value for a single duration", () => {
    expect(sketchQuantiles({}, [0.5])).toEqual([null]);
    expect(sketchApdex({}, 300)).toBeNull();
    const one: Sketch = {};
    addToSketch(one, 250);
    const [p50, p99] = sketchQuantiles(one, [0.5, 0.99]);
    expect(p50).toBe(p99);
    expect(Math.abs(p50! - 250) / 250).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
  });

  it("computes Apdex with satisfied up to T and tolerating up to 4T", () => {
    const sketch: Sketch = {};
    for (const ms of [100, 200, 290]) addToSketch(sketch, ms); // satisfied
    for (const ms of [400, 1100]) addToSketch(sketch, ms); // tolerating
    for (const ms of [1300, 5000]) addToSketch(sketch, ms); // frustrated
    expect(sketchApdex(sketch, 300)).toBeCloseTo((3 + 2 / 2) / 7, 10);
  });

  it("counts statuses other than ok, cancelled and unknown as failures", () => {
    for (const status of ["", "ok", "cancelled", "unknown", "unknown_error"]) expect(isFailedStatus(status)).toBe(false);
    for (const status of ["internal_error", "not_found", "deadline_exceeded", "unavailable"]) expect(isFailedStatus(status)).toBe(true);
  });
});
