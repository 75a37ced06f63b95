import { describe, expect, it } from "vitest";
import { addToSketch, mergeSketch, type Sketch } from "./sketch";
import { forEachSketchPair, mergeSketchText } from "./sketch-text";

describe("mergeSketchText", () => {
  it("adds a stored sketch as PostgreSQL writes it, as mergeSketch adds the parsed object", () => {
    const stored: Sketch = {};
    for (let i = 1; i < 5000; i++) addToSketch(stored, i * 1.37);
    // jsonb's output: keys in order, ": " and ", " between
    const text = `{${Object.entries(stored)
      .map(([k, v]) => `"${k}": ${v}`)
      .join(", ")}}`;
    const into: Sketch = { 5: 2 };
    const expected: Sketch = { 5: 2 };
    mergeSketchText(into, text);
    mergeSketch(expected, stored);
    expect(into).toEqual(expected);
    mergeSketchText(into, JSON.stringify(stored));
    mergeSketch(expected, stored);
    expect(into).toEqual(expected);
  });

  it("reads empty sketches and adds nothing from text it cannot read, nor anything twice", () => {
    for (const text of [
      "{}",
      "{ }",
      "",
      "null",
      "[1,2]",
      "{",
      '{"12": 3',
      '{"12": }',
      '{"x": 1}',
      '{"-1": 4}',
      '"text"',
    ]) {
      const into: Sketch = { 7: 1 };
      mergeSketchText(into, text);
      expect(into, text).toEqual({ 7: 1 });
    }
  });

  it("counts a text that stops being scannable part of the way once, through the fallback", () => {
    const into: Sketch = { 7: 1 };
    mergeSketchText(into, '{"12": 3, "13": 2.5, "x": 1}');
    expect(into).toEqual({ 7: 1, 12: 3, 13: 2.5 });
    const seen: [number, number][] = [];
    forEachSketchPair('{"12": 3, "14": 1}trailing', (key, count) => seen.push([key, count]));
    // handed over, taken back, and nothing from JSON.parse: the sum is nothing
    expect(seen.reduce((sum, [, count]) => sum + count, 0)).toBe(0);
  });

  it("falls back for other valid shapes, keeping only integer keys with positive finite counts", () => {
    const into: Sketch = {};
    mergeSketchText(into, '{"3": 1.5, "4": 2, "x": 9, "5": -1, "6": "7", "7": 1e400}');
    expect(into).toEqual({ 3: 1.5, 4: 2 });
  });
});
