import type { ChildProcess } from "node:child_process";
import path from "node:path";

export function binPath(name: string): string {
  return path.resolve("node_modules", ".bin", name);
}

/** Passes SIGTERM/SIGINT on to child processes; the parent exits when they have. */
export function forwardSignals(children: ChildProcess[]): void {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      for (const child of children) if (child.exitCode === null) child.kill(signal);
    });
  }
}
