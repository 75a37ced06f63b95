import { randomBytes } from "node:crypto";
import { errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import type { PoolEntry } from "./payloads";

/**
 * Envelopes for the processing benchmark (tests/bench/processing.bench.ts): error events that
 * fall into a fixed number of issue shapes. A shape differs from every other in its exception
 * type, its exception value and the function names of all its stack frames (in-app ones and
 * the others), so grouping gives one issue per shape whatever variant is primary. Entries use
 * the pool format of payloads.ts (event id at two offsets, rewritten per request by `stamp`),
 * so the load generator in load.ts sends them with a fresh event id every time.
 */

const BASE_TYPES = ["TypeError", "RangeError", "ReferenceError", "SyntaxError", "Error"];
const AREAS = ["checkout", "cart", "billing", "search", "auth", "profile", "orders", "inventory"];

/** The exception type of a shape: distinct per shape, still reads like a JavaScript error. */
export const shapeType = (shape: number) => `Shape${shape}${BASE_TYPES[shape % BASE_TYPES.length]}`;

function header(
  event: { event_id: string; release?: unknown },
  dsn: string,
  publicKey: string,
  transaction: string,
) {
  return {
    dsn,
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
    trace: {
      trace_id: randomBytes(16).toString("hex"),
      public_key: publicKey,
      environment: "production",
      release: event.release,
      sample_rate: "1",
      transaction,
    },
  };
}

function entryOf(body: Buffer, eventId: string, index: number): PoolEntry {
  const idOffsets: number[] = [];
  for (let at = body.indexOf(eventId); at !== -1; at = body.indexOf(eventId, at + 1)) idOffsets.push(at);
  if (idOffsets.length !== 2)
    throw new Error(`expected the event id twice in envelope ${index}, found ${idOffsets.length}`);
  return { body, idOffsets };
}

/** A realistic ~2.5 KB error event of `shape` (the i-th of its pool: other fields vary with i). */
export function smallEvent(i: number, shape: number) {
  const area = AREAS[shape % AREAS.length]!;
  const transaction = `POST /api/${area}/${i % 40}`;
  const event = errorEvent({
    server_name: `web-${i % 8}`,
    release: `backend@1.4.${i % 5}`,
    transaction,
    tags: {
      region: ["eu-west-1", "us-east-1", "ap-south-1"][i % 3],
      feature: area,
      shard: String(i % 16),
    },
    user: { id: String(1000 + (i % 997)), email: `user${i % 997}@example.com`, ip_address: "203.0.113.7" },
  });
  const exception = event.exception.values[0]!;
  exception.type = shapeType(shape);
  exception.value = `Cannot read properties of undefined (reading 'total${shape}')`;
  exception.stacktrace.frames = exception.stacktrace.frames.map((frame, f) => ({
    ...frame,
    filename: `/app/src/${area}/step-${f}.js`,
    function: `step${f}S${shape}`,
    context_line: `  const total = cart.total; // ${f}`,
  }));
  event.breadcrumbs.values = event.breadcrumbs.values.slice(0, 3);
  return { event, transaction };
}

/**
 * A ~50 KB error event of `shape`: 20 stack frames with five lines of context either side and
 * local variables, 50 breadcrumbs with data, a request with headers, and a large `extra`.
 */
export function largeEvent(i: number, shape: number) {
  const { event, transaction } = smallEvent(i, shape);
  const area = AREAS[shape % AREAS.length]!;
  const line = (n: number) =>
    `    const item${n} = await repository.${area}.findOne({ id: input.id, tenant: ctx.tenant, shard: ${n % 16} }); // ${n}`;
  const exception = event.exception.values[0]!;
  exception.stacktrace.frames = Array.from({ length: 20 }, (_, f) => ({
    filename: f < 10 ? `/app/node_modules/framework/lib/layer-${f}.js` : `/app/src/${area}/module-${f}.js`,
    abs_path: f < 10 ? `/app/node_modules/framework/lib/layer-${f}.js` : `/app/src/${area}/module-${f}.js`,
    function: `${area}Handler${f}Shape${shape}`,
    module: f < 10 ? `framework.layer${f}` : `${area}.module${f}`,
    lineno: 100 + f,
    colno: 17,
    in_app: f >= 10,
    pre_context: Array.from({ length: 5 }, (_, k) => line(f * 10 + k)),
    context_line: `    throw new ${shapeType(shape)}(\`Cannot read properties of undefined (reading 'total${shape}')\`); // ${f}`,
    post_context: Array.from({ length: 5 }, (_, k) => line(f * 10 + 5 + k)),
    vars: {
      input: `{ id: ${i}, tenant: 'acme-${i % 13}', items: [${f}, ${f + 1}, ${f + 2}] }`,
      ctx: `[object RequestContext #${i % 100}]`,
      attempt: String(f % 3),
      cursor: randomBytes(12).toString("hex"),
    },
  }));
  event.breadcrumbs = {
    values: Array.from({ length: 50 }, (_, b) => ({
      timestamp: Date.now() / 1000 - (50 - b),
      type: b % 3 === 0 ? "http" : "default",
      category: b % 3 === 0 ? "http" : b % 3 === 1 ? "query" : "console",
      level: "info",
      message:
        b % 3 === 1
          ? `select id, status, total, currency, created_at from ${area}_items where tenant_id = $1 and id = any($2) order by created_at desc limit ${b}`
          : `GET /api/${area}/items/${i}-${b}?include=details,history`,
      data: { status_code: 200, duration_ms: (b * 7) % 300, request_id: randomBytes(8).toString("hex") },
    })),
  };
  (event as Record<string, unknown>).request = {
    url: `https://shop.example.com${transaction.slice(5)}`,
    method: "POST",
    headers: Object.fromEntries(
      Array.from({ length: 20 }, (_, h) => [
        `x-header-${h}`,
        `value-${h}-${randomBytes(10).toString("hex")}`,
      ]),
    ),
    query_string: `page=${i % 10}&sort=desc&filter=${area}`,
  };
  (event as Record<string, unknown>).extra = {
    order: Object.fromEntries(
      Array.from({ length: 30 }, (_, k) => [
        `line_${k}`,
        { sku: `SKU-${area}-${k}`, quantity: k % 5, price: (k * 3.7).toFixed(2), note: "x".repeat(40) },
      ]),
    ),
    debug: randomBytes(900).toString("base64"),
  };
  return { event, transaction };
}

export type ShapedPool = { entries: PoolEntry[]; bodyBytes: { min: number; max: number; avg: number } };

/**
 * `size` distinct envelopes spread evenly over `shapes` issue shapes (entry i is shape
 * i % shapes), each with an event id that `stamp` makes fresh per request.
 */
export function buildShapedPool(
  size: number,
  shapes: number,
  kind: "small" | "large",
  dsn: string,
  publicKey: string,
): ShapedPool {
  const entries: PoolEntry[] = [];
  for (let i = 0; i < size; i++) {
    const { event, transaction } = kind === "small" ? smallEvent(i, i % shapes) : largeEvent(i, i % shapes);
    entries.push(
      entryOf(eventEnvelope(event, header(event, dsn, publicKey, transaction)), event.event_id, i),
    );
  }
  const sizes = entries.map((e) => e.body.length);
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let sum = 0;
  for (const s of sizes) {
    if (s < min) min = s;
    if (s > max) max = s;
    sum += s;
  }
  return { entries, bodyBytes: { min, max, avg: Math.round(sum / Math.max(sizes.length, 1)) } };
}

/** One envelope with a fresh event id (the fairness probes), and that id. */
export function probeEnvelope(seq: number, shape: number, dsn: string, publicKey: string) {
  const { event, transaction } = smallEvent(seq, shape);
  event.event_id = newEventId();
  return { eventId: event.event_id, body: eventEnvelope(event, header(event, dsn, publicKey, transaction)) };
}
