import { Counter } from "prom-client";
import { metricsEnabled, metricsRegistry } from "./registry";

// Ingest's hot path pays, with metrics on, one Map lookup and an addition per request and per
// item: each label combination's child counter is looked up once and kept.
type IngestMetrics = { requests: Counter<"status_class">; items: Counter<"category" | "outcome">; children: Map<string, Counter.Internal> };

let metrics: IngestMetrics | null | undefined;

function ingestMetrics(): IngestMetrics | null {
  if (metrics !== undefined) return metrics;
  if (!metricsEnabled()) {
    metrics = null;
    return null;
  }
  const registry = metricsRegistry("ingest");
  metrics = {
    requests: new Counter({ name: "errorhub_ingest_requests_total", help: "Ingest HTTP requests answered, by status class (2xx, 4xx, ...)", labelNames: ["status_class"], registers: [registry] }),
    items: new Counter({
      name: "errorhub_ingest_items_total",
      help: "Envelope items that reached the accept step, by data category and outcome (accepted, filtered, rate_limited)",
      labelNames: ["category", "outcome"],
      registers: [registry],
    }),
    children: new Map(),
  };
  return metrics;
}

function child(m: IngestMetrics, key: string, make: () => Counter.Internal): Counter.Internal {
  let c = m.children.get(key);
  if (!c) {
    c = make();
    m.children.set(key, c);
  }
  return c;
}

/** One answered ingest request (called once the response is finished or abandoned). */
export function countIngestRequest(status: number): void {
  const m = ingestMetrics();
  if (!m) return;
  const statusClass = `${Math.floor(status / 100)}xx`;
  child(m, statusClass, () => m.requests.labels(statusClass)).inc();
}

/**
 * The accept script's decision per item: "" accepted, the item's own filter reason filtered,
 * anything else (quota, spike protection, backlog) rate limited.
 */
export function countIngestItems(items: { category: string; filterReason: string }[], decisions: string[]): void {
  const m = ingestMetrics();
  if (!m) return;
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const decision = decisions[i];
    const outcome = decision === "" ? "accepted" : decision === item.filterReason ? "filtered" : "rate_limited";
    const key = `${item.category}|${outcome}`;
    child(m, key, () => m.items.labels(item.category, outcome)).inc();
  }
}

/** Creates ingest's metrics at server start, so the first scrape already lists them. */
export function initIngestMetrics(): void {
  ingestMetrics();
}
