import { randomUUID } from "node:crypto";

export const newEventId = () => randomUUID().replace(/-/g, "");

/** A realistic error event payload, about 2 KB. */
export function errorEvent(overrides: Record<string, unknown> = {}) {
  return {
    event_id: newEventId(),
    timestamp: Date.now() / 1000,
    platform: "node",
    level: "error",
    release: "backend@1.4.2",
    environment: "production",
    server_name: "web-1",
    sdk: { name: "sentry.javascript.node", version: "11.12.0" },
    tags: { region: "eu-west-1", feature: "checkout" },
    user: { id: "42", email: "jane@example.com", ip_address: "203.0.113.7" },
    contexts: { runtime: { name: "node", version: "v20.20.2" }, os: { name: "Linux" } },
    exception: {
      values: [
        {
          type: "TypeError",
          value: "Cannot read properties of undefined (reading 'total')",
          mechanism: { type: "onuncaughtexception", handled: false },
          stacktrace: {
            frames: Array.from({ length: 8 }, (_, i) => ({
              filename: `/app/src/checkout/step-${i}.js`,
              function: `handleStep${i}`,
              lineno: 10 + i,
              colno: 5,
              in_app: i > 3,
              context_line: `  const total = cart.summary.total; // step ${i}`,
            })),
          },
        },
      ],
    },
    breadcrumbs: {
      values: Array.from({ length: 5 }, (_, i) => ({ timestamp: Date.now() / 1000, category: "http", message: `GET /api/cart/${i}` })),
    },
    ...overrides,
  };
}

type Item = { type: string; payload: string | Buffer; length?: boolean; headers?: Record<string, unknown> };

/** An envelope; items are length-framed unless `length: false`. */
export function envelope(header: Record<string, unknown>, items: Item[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`${JSON.stringify(header)}\n`)];
  for (const item of items) {
    const payload = Buffer.isBuffer(item.payload) ? item.payload : Buffer.from(item.payload);
    const itemHeader = { type: item.type, ...(item.length === false ? {} : { length: payload.length }), ...item.headers };
    parts.push(Buffer.from(`${JSON.stringify(itemHeader)}\n`), payload, Buffer.from("\n"));
  }
  return Buffer.concat(parts);
}

export function eventEnvelope(event = errorEvent(), header: Record<string, unknown> = {}): Buffer {
  return envelope(
    { event_id: event.event_id, sent_at: new Date().toISOString(), ...header },
    [{ type: "event", payload: JSON.stringify(event) }],
  );
}
