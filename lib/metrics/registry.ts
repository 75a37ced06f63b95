import { collectDefaultMetrics, Registry } from "prom-client";
import { env } from "../env";

export type ProcessKind = "web" | "ingest" | "worker";

type State = { kind: ProcessKind; registry: Registry };

// On globalThis rather than in a module variable: the web process loads lib/ twice, once
// through workers/web.ts (which counts requests) and once inside Next.js's bundle of the
// /_metrics route, and both must see the same registry.
const KEY = Symbol.for("errorhub.metrics");
const holder = globalThis as typeof globalThis & { [KEY]?: State };

/** Whether this install exposes metrics at all: only with METRICS_TOKEN set. */
export function metricsEnabled(): boolean {
  return env().METRICS_TOKEN !== undefined;
}

/**
 * The process's registry, created on first use with the default process metrics (memory, CPU,
 * event loop lag, GC) and a `process_kind` label on every series, so one Prometheus job can
 * scrape all three kinds of process.
 */
export function metricsRegistry(kind: ProcessKind): Registry {
  let state = holder[KEY];
  if (!state) {
    const registry = new Registry();
    registry.setDefaultLabels({ process_kind: kind });
    collectDefaultMetrics({ register: registry });
    state = { kind, registry };
    holder[KEY] = state;
  }
  return state.registry;
}
