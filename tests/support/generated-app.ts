import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { SENTRY_CLI } from "./sentry-cli";

// A generated app of many modules, each a class with methods and helpers, so the source map is
// big (1,000 modules: a 4.9 MB map, 0.9 MB minified) and scope mapping has real work (nested
// functions, methods, arrows). Built with esbuild and debug ids injected by the real sentry-cli;
// `globalThis.runSection(k)` throws from module k. Used by bench:sourcemaps and the parse-thread test.

export function moduleSource(i: number): string {
  const body = Array.from(
    { length: 14 },
    (_, k) => `    // step ${k} of the pricing rules for catalogue section ${i}: keeps totals in cents\n    total = adjust${i}(total, ${k}, rules[${k} % rules.length] ?? 1);`,
  ).join("\n");
  return `export const adjust${i} = (total: number, step: number, factor: number): number => {
  if (!Number.isFinite(total)) throw new RangeError("total is not finite in section ${i}");
  return Math.round(total * factor + step) / 1;
};

export class Section${i}Pricing {
  private readonly rules: number[] = [1, 1.02, 0.98, 1.01];
  constructor(private readonly name: string) {}
  describe(): string {
    return \`section \${this.name} with \${this.rules.length} rules\`;
  }
  priceOf(cents: number): number {
    const rules = this.rules;
    let total = cents;
${body}
    return total;
  }
  checkout(items: number[]): number {
    const totals = items.map((cents) => this.priceOf(cents));
    const sum = totals.reduce((a, b) => a + b, 0);
    if (sum > ${1000 + i}) validateBasket${i}(sum, this.name);
    return sum;
  }
}

export function validateBasket${i}(sum: number, name: string): void {
  const limits = { soft: ${500 + i}, hard: ${1000 + i} };
  if (sum > limits.hard) throw new Error(\`basket of \${name} over the limit: \${sum}\`);
}
`;
}

export type GeneratedApp = { js: string; map: Buffer; debugId: string; dir: string };

/** Writes and builds the app of `modules` modules in `dir` (which must exist and be empty). */
export async function buildGeneratedApp(dir: string, modules: number): Promise<GeneratedApp> {
  mkdirSync(path.join(dir, "src"));
  for (let i = 0; i < modules; i++) writeFileSync(path.join(dir, `src/section${i}.ts`), moduleSource(i));
  const imports = Array.from({ length: modules }, (_, i) => `import { Section${i}Pricing } from "./section${i}";`);
  const table = Array.from({ length: modules }, (_, i) => `  Section${i}Pricing,`);
  writeFileSync(
    path.join(dir, "src/main.ts"),
    `${imports.join("\n")}\nconst sections = [\n${table.join("\n")}\n];\nconst runSection = (k: number) => new sections[k]!(\`s\${k}\`).checkout([90000, 120000]);\n(globalThis as any).runSection = runSection;\n`,
  );
  await build({
    entryPoints: [path.join(dir, "src/main.ts")],
    bundle: true,
    minify: true,
    sourcemap: true,
    outfile: path.join(dir, "assets/app.js"),
    logLevel: "silent",
  });
  execFileSync(SENTRY_CLI, ["sourcemaps", "inject", path.join(dir, "assets")], { stdio: "ignore" });
  const map = readFileSync(path.join(dir, "assets/app.js.map"));
  const debugId = (JSON.parse(map.toString()) as { debugId: string }).debugId;
  return { js: readFileSync(path.join(dir, "assets/app.js"), "utf8"), map, debugId, dir };
}
