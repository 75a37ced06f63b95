import { killAllChildrenSync, runningChildren } from "./procs";

// What every benchmark script shares around its own main(): cleanup steps that run whatever
// happens (children stopped by PID, databases dropped, Redis keys removed), Ctrl-C handling,
// and how a failure is reported.

/** Cleanup steps, run last-registered first. */
export const cleanups: (() => Promise<void>)[] = [];

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.error(`cleanup: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/**
 * Runs the benchmark and exits with its code: 1 when it throws (with the last lines of every
 * child still running), 130 on SIGINT/SIGTERM after `onInterrupt` (e.g. stopping the load).
 */
export async function runBench(main: () => Promise<number>, onInterrupt: () => void = () => {}): Promise<never> {
  process.on("exit", killAllChildrenSync);
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      interrupted = true;
      console.error(`\n${signal}: stopping and cleaning up`);
      onInterrupt();
      void cleanup().finally(() => process.exit(130));
    });
  }
  let code = 1;
  try {
    code = await main();
  } catch (error) {
    if (interrupted) {
      await cleanup();
      process.exit(130);
    }
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    for (const child of runningChildren())
      console.error(`--- ${child.name} output (last lines) ---\n${child.output().split("\n").slice(-20).join("\n")}`);
    code = 1;
  } finally {
    await cleanup();
  }
  process.exit(code);
}

export function log(message: string): void {
  console.log(`[bench] ${message}`);
}

/** A connection URL fit for printing: the password hidden. */
export function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = "***";
  return copy.href;
}

/** Prints rows as columns padded to their widest cell (the last column is left ragged). */
export function printRows(rows: string[][]): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    );
}

export const mark = (ok: boolean) => (ok ? "PASS" : "FAIL");

/** The p-th percentile (nearest rank) of values sorted ascending; null when there are none. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
