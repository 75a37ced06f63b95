/**
 * Summarises a V8 .cpuprofile (node --cpu-prof; `npm run bench:ingest -- --cpu-prof` writes
 * one for the ingest): self and total time per function, mapped through the bundle's source map
 * (when <script>.map exists) to the project file and line.
 *
 *   tsx tests/bench/cpuprofile-top.ts <file.cpuprofile> [--top 40] [--match lib/]
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  /** Samples per line (1-based) of the script while this node was on top of the stack. */
  positionTicks?: { line: number; ticks: number }[];
};
type Profile = {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
};

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "40" }, match: { type: "string", default: "lib/" } },
});
const file = positionals[0];
if (!file) {
  console.error("usage: tsx tests/bench/cpuprofile-top.ts <file.cpuprofile> [--top N] [--match lib/]");
  process.exit(2);
}
const TOP = Number(opts.top);
const ROOT = path.resolve(import.meta.dirname, "../..");

const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

// ---- source maps ------------------------------------------------------------------------------

type Segment = { col: number; source: number; line: number };
type SourceMap = { sources: string[]; lines: Segment[][] };
const maps = new Map<string, SourceMap | null>();

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  let source = 0;
  let line = 0;
  for (const lineText of mappings.split(";")) {
    const segments: Segment[] = [];
    let col = 0;
    for (const segText of lineText.split(",")) {
      if (!segText) continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const ch of segText) {
        const digit = B64.indexOf(ch);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += values[0]!;
      if (values.length >= 4) {
        source += values[1]!;
        line += values[2]!;
        segments.push({ col, source, line });
      }
    }
    lines.push(segments);
  }
  return lines;
}

function mapFor(url: string): SourceMap | null {
  if (!maps.has(url)) {
    let map: SourceMap | null = null;
    try {
      const script = url.startsWith("file://") ? fileURLToPath(url) : url;
      if (existsSync(`${script}.map`)) {
        const raw = JSON.parse(readFileSync(`${script}.map`, "utf8")) as {
          sources: string[];
          mappings: string;
        };
        const dir = path.dirname(script);
        map = { sources: raw.sources.map((s) => path.resolve(dir, s)), lines: decodeMappings(raw.mappings) };
      }
    } catch {
      map = null;
    }
    maps.set(url, map);
  }
  return maps.get(url)!;
}

/** "lib/ingest/handler.ts:37" for a call frame, through the source map when there is one. */
function locate(frame: CallFrame): string {
  return locateLine(frame.url, frame.lineNumber, frame.columnNumber);
}

/** The same for a 0-based line and column of a script. */
function locateLine(url: string, line: number, column: number): string {
  if (!url) return "";
  const map = mapFor(url);
  if (map) {
    const segments = map.lines[line] ?? [];
    let best: Segment | undefined;
    for (const s of segments) if (s.col <= column) best = s;
    best ??= segments[0];
    if (best) return `${shortPath(map.sources[best.source]!)}:${best.line + 1}`;
  }
  const where = url.startsWith("file://") ? shortPath(fileURLToPath(url)) : url;
  return `${where}:${line + 1}`;
}

function shortPath(p: string): string {
  const nm = p.lastIndexOf("/node_modules/");
  if (nm !== -1) return p.slice(nm + 1);
  return p.startsWith(ROOT) ? path.relative(ROOT, p) : p;
}

// ---- aggregation --------------------------------------------------------------------------------

const keyOf = new Map<number, string>();
const frameKey = (node: ProfileNode): string => {
  let key = keyOf.get(node.id);
  if (key === undefined) {
    const where = locate(node.callFrame);
    key = `${node.callFrame.functionName || "(anonymous)"}${where ? `  ${where}` : ""}`;
    keyOf.set(node.id, key);
  }
  return key;
};

const self = new Map<string, number>();
const total = new Map<string, number>();
const byFile = new Map<string, number>();
let busy = 0;
let idle = 0;
const special = new Map<string, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const dt = (profile.timeDeltas[i] ?? 0) / 1000; // ms
  const node = byId.get(profile.samples[i]!)!;
  const name = node.callFrame.functionName;
  if (name === "(idle)") {
    idle += dt;
    continue;
  }
  busy += dt;
  if (name === "(program)" || name === "(garbage collector)")
    special.set(name, (special.get(name) ?? 0) + dt);
  const key = frameKey(node);
  self.set(key, (self.get(key) ?? 0) + dt);
  const where = key.split("  ")[1] ?? name;
  const fileName = where.replace(/:\d+$/, "");
  byFile.set(fileName, (byFile.get(fileName) ?? 0) + dt);
  // Total (inclusive) time: every distinct function on the stack, counted once per sample.
  const seen = new Set<string>();
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const k = frameKey(byId.get(id)!);
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + dt);
  }
}

// Hot lines: V8 records, per node, which line of the function was executing at each sample;
// functions inlined by the optimiser show up here at their own source lines.
const lineTicks = new Map<string, number>();
let busyTicks = 0;
for (const node of profile.nodes) {
  const name = node.callFrame.functionName;
  if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") continue;
  for (const { line, ticks } of node.positionTicks ?? []) {
    const key = `${locateLine(node.callFrame.url, line - 1, 0)}  (in ${name || "(anonymous)"})`;
    lineTicks.set(key, (lineTicks.get(key) ?? 0) + ticks);
  }
}
for (let i = 0; i < profile.samples.length; i++) {
  const name = byId.get(profile.samples[i]!)!.callFrame.functionName;
  if (name !== "(idle)") busyTicks++;
}
const msPerTick = busy / Math.max(busyTicks, 1);

const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
const ms = (v: number) => `${v.toFixed(0).padStart(7)} ms`;
const top = (map: Map<string, number>, n: number, filter: (k: string) => boolean = () => true) =>
  [...map]
    .filter(([k]) => filter(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n);

const wall = (profile.endTime - profile.startTime) / 1000;
console.log(`${file}`);
console.log(
  `wall ${wall.toFixed(0)} ms, sampled busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms; GC ${pct(special.get("(garbage collector)") ?? 0)}, (program) ${pct(special.get("(program)") ?? 0)} of busy`,
);
console.log(`\nTop ${TOP} functions by self time (% of busy):`);
for (const [k, v] of top(self, TOP)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
console.log(`\nSelf time by file/package (% of busy):`);
const grouped = new Map<string, number>();
for (const [f, v] of byFile) {
  const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f);
  const group = pkg ? `node_modules/${pkg[1]}` : f;
  grouped.set(group, (grouped.get(group) ?? 0) + v);
}
for (const [k, v] of top(grouped, 25)) console.log(`${ms(v)} ${pct(v)}  ${k}`);
console.log(`\nTotal (inclusive) time of functions in ${opts.match} (% of busy):`);
for (const [k, v] of top(total, TOP, (k) => k.includes(`  ${opts.match}`)))
  console.log(`${ms(v)} ${pct(v)}  ${k}`);
console.log(`\nHot lines by self time, through the source map (% of busy):`);
for (const [k, v] of top(lineTicks, TOP)) console.log(`${ms(v * msPerTick)} ${pct(v * msPerTick)}  ${k}`);
