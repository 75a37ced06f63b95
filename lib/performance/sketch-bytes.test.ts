import { describe, expect, it } from "vitest";
import { addToSketch, mergeSketch, type Sketch, sketchIndex } from "./sketch";
import { forEachPackedPair, mergePackedSketch, packSketch, unpackSketch } from "./sketch-bytes";

describe("packed sketches", () => {
  it("round-trip every bucket, in ascending index order, 3 bytes each", () => {
    const sketch: Sketch = {};
    for (let i = 1; i < 5000; i++) addToSketch(sketch, i * 1.37);
    addToSketch(sketch, 30 * 86_400_000, 5);
    const bytes = packSketch(sketch);
    expect(bytes.length).toBe(Object.keys(sketch).length * 3);
    expect(unpackSketch(bytes)).toEqual(sketch);
    const indexes: number[] = [];
    forEachPackedPair(bytes, (index) => indexes.push(index));
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(indexes.at(-1)).toBe(sketchIndex(30 * 86_400_000));
  });

  it("repeat the index of a bucket past 8,191 durations, and read it back whole", () => {
    const huge: Sketch = { 7: 8191, 9: 8192, 1314: 2 ** 31 + 3 };
    const bytes = packSketch(huge);
    expect(bytes.length).toBe((1 + 2 + Math.ceil((2 ** 31 + 3) / 8191)) * 3);
    expect(unpackSketch(bytes)).toEqual(huge);
  });

  it("are big-endian 24-bit words index * 8192 + count, as the SQL merge writes them", () => {
    expect(Buffer.from(packSketch({ 258: 4660, 0: 1 })).toString("hex")).toBe("000001" + "205234");
    expect(packSketch({}).length).toBe(0);
    expect(packSketch({ 5: 0 }).length).toBe(0);
  });

  it("merge into an object as mergeSketch does, ignoring a trailing partial pair", () => {
    const a: Sketch = { 3: 2, 700: 5 };
    const b: Sketch = { 3: 1, 12: 4 };
    const into: Sketch = { ...a };
    mergePackedSketch(into, Buffer.concat([packSketch(b), Buffer.from([1, 2])]));
    const expected: Sketch = { ...a };
    mergeSketch(expected, b);
    expect(into).toEqual(expected);
  });

  it("refuse a bucket the stored form cannot hold", () => {
    expect(() => packSketch({ 2048: 1 })).toThrow(RangeError);
    expect(() => packSketch({ 5: 1.5 })).toThrow(RangeError);
    expect(() => packSketch({ 5: -1 })).toThrow(RangeError);
  });
});
