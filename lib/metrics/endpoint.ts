import { createHash, timingSafeEqual } from "node:crypto";
import { env } from "../env";
import { logger } from "../logger";
import { metricsRegistry, type ProcessKind } from "./registry";

export type MetricsAnswer = { status: number; headers: Record<string, string>; body: string };

const NOT_FOUND: MetricsAnswer = { status: 404, headers: { "content-type": "application/json" }, body: '{"detail":"not found"}' };

/**
 * GET /_metrics of any process: 404 while METRICS_TOKEN is unset (an install without metrics
 * shows nothing there), 401 without the right bearer token, else the Prometheus text format.
 */
export async function answerMetrics(kind: ProcessKind, authorization: string | null | undefined): Promise<MetricsAnswer> {
  const token = env().METRICS_TOKEN;
  if (token === undefined) return NOT_FOUND;
  if (!bearerMatches(authorization, token)) {
    return { status: 401, headers: { "content-type": "application/json", "www-authenticate": 'Bearer realm="metrics"' }, body: '{"detail":"a valid metrics bearer token is required"}' };
  }
  const registry = metricsRegistry(kind);
  try {
    return { status: 200, headers: { "content-type": registry.contentType, "cache-control": "no-store" }, body: await registry.metrics() };
  } catch (error) {
    // A collector reading Redis at scrape time failed: Prometheus records the scrape as down.
    logger.warn({ err: error instanceof Error ? error.message : String(error) }, "metrics scrape failed");
    return { status: 503, headers: { "content-type": "application/json" }, body: '{"detail":"metrics temporarily unavailable"}' };
  }
}

/** Constant-time: hashes first, so neither the token's length nor a prefix leaks by timing. */
function bearerMatches(authorization: string | null | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  const given = createHash("sha256").update(match?.[1] ?? "").digest();
  const expected = createHash("sha256").update(token).digest();
  return timingSafeEqual(given, expected) && match !== null;
}
