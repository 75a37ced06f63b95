import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ByteLru, TtlCache } from "./cache";
import {
  contextAround,
  enclosingFunctionName,
  InvalidSourceMapError,
  type LoadedMap,
  loadMap,
  originalPosition,
  sourceOf,
  trimLine,
} from "./loaded-map";
import { candidateUrls, dataUrlBytes, isThirdPartySource, resolveUrl, sourceMapReference, sourcePaths } from "./urls";

// A small app with the kinds of functions scope mapping must name: a named function, an arrow
// function assigned to a const, a class with methods, an object method, and a dependency under
// node_modules; built by esbuild with --minify --sourcemap as a user's CI would.
const SOURCES: Record<string, string> = {
  "src/util.ts": `export function computeTotal(items: { price: number }[]): number {
  let total = 0;
  for (const item of items) total += item.price;
  if (total > 100) throw new Error("too expensive");
  return total;
}

export const formatPrice = (value: number): string => {
  if (value < 0) throw new RangeError("negative");
  return value.toFixed(2);
};
`,
  "src/cart.ts": `import { computeTotal, formatPrice } from "./util";
import { leftPad } from "left-pad-lite";

export class ShoppingCart {
  private items: { price: number }[] = [];
  add(price: number) {
    this.items.push({ price });
  }
  checkout(): string {
    const total = computeTotal(this.items);
    return leftPad(formatPrice(total), 10);
  }
}

export const handlers = {
  onSubmit(cart: ShoppingCart) {
    return cart.checkout();
  },
};
`,
  "src/main.ts": `import { handlers, ShoppingCart } from "./cart";

function runCheckout() {
  const cart = new ShoppingCart();
  cart.add(60);
  cart.add(70);
  return handlers.onSubmit(cart);
}

(globalThis as any).run = runCheckout;
`,
  "node_modules/left-pad-lite/index.js": `export function leftPad(text, width) {
  if (typeof text !== "string") throw new TypeError("not a string");
  return text.padStart(width);
}
`,
};

let dir: string;
let minified: string;
let mapBytes: Buffer;
let loaded: LoadedMap;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "sourcemaps-unit-"));
  for (const [file, text] of Object.entries(SOURCES)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  await build({
    entryPoints: [path.join(dir, "src/main.ts")],
    bundle: true,
    minify: true,
    sourcemap: true,
    outfile: path.join(dir, "dist/main.js"),
    logLevel: "silent",
  });
  minified = readFileSync(path.join(dir, "dist/main.js"), "utf8");
  mapBytes = readFileSync(path.join(dir, "dist/main.js.map"));
  loaded = loadMap("~/dist/main.js.map", mapBytes, minified);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The 1-based (line, column) of the first occurrence of `needle` in the minified file. */
function positionOf(needle: string): [number, number] {
  const offset = minified.indexOf(needle);
  if (offset < 0) throw new Error(`${needle} not in ${minified}`);
  const before = minified.slice(0, offset);
  const line = before.split("\n").length;
  return [line, offset - before.lastIndexOf("\n")];
}

describe("mapping a minified position", () => {
  it("finds the original file, line and column of a throw", () => {
    const [line, column] = positionOf('Error("too expensive")');
    const position = originalPosition(loaded, line, column)!;
    expect(sourceOf(loaded, position.sourceIndex).url).toBe("../src/util.ts");
    expect(position.line).toBe(4);
  });

  it("takes five lines of context on each side from sourcesContent, fewer at the file's edges", () => {
    const [line, column] = positionOf('Error("too expensive")');
    const position = originalPosition(loaded, line, column)!;
    const { content } = sourceOf(loaded, position.sourceIndex);
    const context = contextAround(loaded, position.sourceIndex, content!, position.line, position.column)!;
    expect(context.contextLine).toBe('  if (total > 100) throw new Error("too expensive");');
    expect(context.preContext).toEqual([
      "export function computeTotal(items: { price: number }[]): number {",
      "  let total = 0;",
      "  for (const item of items) total += item.price;",
    ]);
    expect(context.postContext).toHaveLength(5);
    expect(context.postContext[0]).toBe("  return total;");
  });

  it("answers null for a position the map does not cover", () => {
    expect(originalPosition(loaded, 999, 1)).toBeNull();
  });
});

describe("scope mapping: the function a frame is in, by its original name", () => {
  it("names a function declaration", () => {
    const [line, column] = positionOf('Error("too expensive")');
    expect(enclosingFunctionName(loaded, line, column)).toBe("computeTotal");
  });

  it("names an arrow function by the const it is assigned to", () => {
    const [line, column] = positionOf('RangeError("negative")');
    expect(enclosingFunctionName(loaded, line, column)).toBe("formatPrice");
  });

  it("names a class method with its class, and an object method by its key", () => {
    const [line, column] = positionOf(".checkout()}");
    expect(enclosingFunctionName(loaded, line, column)).toBe("onSubmit");
    const items = positionOf("this.items)");
    expect(enclosingFunctionName(loaded, ...items)).toBe("ShoppingCart.checkout");
  });

  it("names a dependency's function too, and knows nothing at the top level", () => {
    const [line, column] = positionOf('TypeError("not a string")');
    expect(enclosingFunctionName(loaded, line, column)).toBe("leftPad");
    expect(enclosingFunctionName(loaded, 1, 1)).toBeUndefined();
  });

  it("falls back to nothing when the minified file is unknown or not JavaScript", () => {
    const withoutSource = loadMap("~/x.map", mapBytes, null);
    expect(enclosingFunctionName(withoutSource, 1, 10)).toBeUndefined();
    const broken = loadMap("~/x.map", mapBytes, "function (( {");
    expect(enclosingFunctionName(broken, 1, 10)).toBeUndefined();
  });
});

describe("broken maps", () => {
  it("refuses what is not a source map", () => {
    expect(() => loadMap("~/a.map", Buffer.from("not json"), null)).toThrow(InvalidSourceMapError);
    expect(() => loadMap("~/a.map", Buffer.from("[1,2]"), null)).toThrow(InvalidSourceMapError);
    expect(() => loadMap("~/a.map", Buffer.from('{"version":3}'), null)).toThrow(InvalidSourceMapError);
  });
});

describe("URLs and paths", () => {
  it("looks a frame's URL up as uploaded: the full URL, then ~/path with and without the query", () => {
    expect(candidateUrls("https://cdn.example.com/assets/main.js?v=2")).toEqual([
      "https://cdn.example.com/assets/main.js?v=2",
      "~/assets/main.js?v=2",
      "~/assets/main.js",
    ]);
    expect(candidateUrls("app:///main.js")).toEqual(["app:///main.js", "~/main.js"]);
    expect(candidateUrls("/srv/app/dist/server.js")).toEqual(["/srv/app/dist/server.js", "~/srv/app/dist/server.js"]);
  });

  it("resolves a map reference against ~/ and full URLs", () => {
    expect(resolveUrl("~/assets/main.js", "main.js.map")).toBe("~/assets/main.js.map");
    expect(resolveUrl("~/assets/main.js", "../maps/main.js.map")).toBe("~/maps/main.js.map");
    expect(resolveUrl("https://cdn.example.com/a/main.js", "main.js.map")).toBe("https://cdn.example.com/a/main.js.map");
  });

  it("reads the map's place from the headers, else the sourceMappingURL comment", () => {
    expect(sourceMapReference({ Sourcemap: "main.js.map" }, null)).toBe("main.js.map");
    expect(sourceMapReference({ "X-SourceMap": "x.map" }, "")).toBe("x.map");
    expect(sourceMapReference({}, minified)).toBe("main.js.map");
    expect(sourceMapReference({}, "var a=1;")).toBeNull();
  });

  it("decodes data: URLs", () => {
    expect(dataUrlBytes(`data:application/json;base64,${Buffer.from('{"a":1}').toString("base64")}`)!.toString()).toBe('{"a":1}');
    expect(dataUrlBytes("data:application/json,%7B%7D")!.toString()).toBe("{}");
    expect(dataUrlBytes("https://x")).toBeNull();
  });

  it("shows sources as Sentry does and marks dependencies and the webpack runtime not in-app", () => {
    expect(sourcePaths("~/dist/main.js.map", "../src/util.ts")).toEqual({ absPath: "~/src/util.ts", filename: "./src/util.ts" });
    expect(sourcePaths("https://x.io/dist/main.js.map", "webpack://app/./src/a.js")).toEqual({
      absPath: "webpack://app/./src/a.js",
      filename: "./src/a.js",
    });
    const dep = sourcePaths("~/dist/main.js.map", "../node_modules/left-pad-lite/index.js");
    expect(isThirdPartySource(dep.absPath, dep.filename)).toBe(true);
    expect(isThirdPartySource("webpack://app/webpack/bootstrap", "./webpack/bootstrap")).toBe(true);
    expect(isThirdPartySource("~/src/util.ts", "./src/util.ts")).toBe(false);
  });

  it("cuts long lines around the column, as Sentry's trim_line", () => {
    const line = `${"x".repeat(100)}HERE${"y".repeat(300)}`;
    const trimmed = trimLine(line, 101);
    expect(trimmed).toMatch(/^\{snip\} x+HEREy+ \{snip\}$/);
    expect(trimmed.length).toBeLessThanOrEqual(140 + 14);
    expect(trimLine("short", 3)).toBe("short");
  });
});

describe("caches", () => {
  it("bounds the LRU by bytes, dropping the least recently used, and never keeps a value heavier than the bound", () => {
    const cache = new ByteLru<string, string>(100);
    cache.set("a", "A", 40);
    cache.set("b", "B", 40);
    expect(cache.get("a")).toBe("A"); // a is now the most recent
    cache.set("c", "C", 40);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe("A");
    expect(cache.bytes).toBe(80);
    cache.set("huge", "H", 101);
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.bytes).toBe(80);
  });

  it("forgets remembered answers after their TTL, misses included", () => {
    const cache = new TtlCache<string, string | null>(1000, 2);
    cache.set("miss", null, 0);
    expect(cache.get("miss", 999)).toBeNull();
    expect(cache.get("miss", 1000)).toBeUndefined();
    cache.set("a", "1", 0);
    cache.set("b", "2", 0);
    cache.set("c", "3", 0);
    expect(cache.get("a", 1)).toBeUndefined();
    expect(cache.get("c", 1)).toBe("3");
  });
});
