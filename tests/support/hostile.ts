import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { envelope, errorEvent, newEventId } from "./envelopes";

/**
 * Generated hostile requests for the fuzz test: what anyone holding a public DSN key (or no
 * key at all) can send. Seeded, so a failure names the seed that reproduces it.
 */
export type HostileRequest = { label: string; path: string; headers: Record<string, string>; body: Buffer };

/** mulberry32: a small seeded generator, good enough to pick cases. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Target = { projectId: number; publicKey: string };

const ITEM_TYPES = [
  "event", "transaction", "session", "sessions", "client_report", "check_in", "feedback", "user_report",
  "attachment", "security", "profile", "replay_event", "statsd", "error|accepted|", "error|accepted||x",
  "|||", "a".repeat(300), "événement\u0000", "",
];

const NASTY_NUMBERS = [1e300, -1e300, 1e15, -3, 0.5, 1.5, 1e30, -0, 2 ** 63, Number.MAX_SAFE_INTEGER + 2, 0, -1];
const NASTY_STRINGS = [
  "nul\u0000byte", "\u0000", "\ud800", "🔥".repeat(50), "x".repeat(9000), "' or 1=1 --", "{{ default }}",
  "\\u0000", "a|b|c", "\n\r\t", "<script>alert(1)</script>", "1e300", "NaN", "",
];

export function hostileRequests(count: number, seed: number, targets: Target[]): HostileRequest[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const chance = (p: number) => random() < p;
  const requests: HostileRequest[] = [];
  for (let i = 0; i < count; i++) {
    const target = pick(targets);
    const kind = pick(["envelope", "envelope", "envelope", "envelope", "store", "security"] as const);
    const body = kind === "envelope" ? hostileEnvelope() : kind === "store" ? jsonBody(mutate(errorEvent(), 0)) : securityBody();
    const { path, headers } = placeKey(kind, target);
    const encoded = encode(body);
    requests.push({ label: `#${i} ${kind} ${encoded.label}`, path, headers: { ...headers, ...encoded.headers }, body: encoded.body });
  }
  return requests;

  function hostileEnvelope(): Buffer {
    const header: Record<string, unknown> = chance(0.5) ? { event_id: newEventId() } : {};
    if (chance(0.1)) header.event_id = pick(["not-an-id", 42, null, "0".repeat(32), "x".repeat(10_000)]);
    if (chance(0.2)) header.sent_at = pick(["yesterday", 1e300, "9999-99-99T99:99:99Z", new Date().toISOString()]);
    const itemCount = chance(0.05) ? 150 + Math.floor(random() * 100) : 1 + Math.floor(random() * 4);
    const items = Array.from({ length: itemCount }, () => {
      const type = pick(ITEM_TYPES);
      return { type, payload: payloadFor(type), length: !chance(0.1), headers: itemHeaders(type) };
    });
    let raw = envelope(header, items);
    if (chance(0.05)) raw = raw.subarray(0, Math.floor(random() * raw.length)); // cut anywhere
    if (chance(0.03)) raw = Buffer.concat([raw, Buffer.from(`{"type":"event","length":${pick([-1, 1e12, 99999999])}}\n{}`)]);
    return raw;
  }

  function itemHeaders(type: string): Record<string, unknown> {
    if (type !== "attachment") return chance(0.05) ? { length: pick([-5, 1e9, "12", null]) } : {};
    return { filename: pick(["a.txt", "nul\u0000.txt", "x".repeat(5000), "../../etc/passwd"]), content_type: pick(["text/plain", "\u0000"]) };
  }

  function payloadFor(type: string): Buffer | string {
    if (chance(0.04)) return deepJson(pick([100, 5000, 20_000]));
    if (chance(0.04)) return pick(["{", "[]", "null", "\"str\"", "{\"a\":", "\u0000", "{}"]);
    switch (type) {
      case "event":
      case "feedback":
        return JSON.stringify(mutate(errorEvent({ event_id: newEventId() }), 0));
      case "transaction":
        return JSON.stringify(mutate(transaction(), 0));
      case "session":
        return JSON.stringify(mutate({ sid: newEventId(), did: "u1", started: new Date().toISOString(), status: "ok", errors: 0, attrs: { release: "r@1", environment: "prod" } }, 0));
      case "sessions":
        return JSON.stringify(mutate({ attrs: { release: "r@1" }, aggregates: [{ started: new Date().toISOString(), exited: 3, errored: 1 }] }, 0));
      case "client_report":
        return JSON.stringify(mutate({ timestamp: Date.now() / 1000, discarded_events: [{ reason: "queue_overflow", category: "error", quantity: 3 }] }, 0));
      case "check_in":
        return JSON.stringify(mutate({ check_in_id: newEventId(), monitor_slug: "nightly", status: "ok", duration: 1.5 }, 0));
      case "user_report":
        return JSON.stringify(mutate({ event_id: newEventId(), name: "n", email: "a@b.c", comments: "broken" }, 0));
      case "attachment":
        return chance(0.1) ? Buffer.alloc(Math.floor(random() * 2_000_000), 7) : Buffer.from("hello\u0000attachment");
      default:
        return JSON.stringify(mutate({ anything: "goes" }, 0));
    }
  }

  /** Replaces some leaves with hostile values and wraps some in other types. */
  function mutate(value: unknown, depth: number): unknown {
    if (depth > 6) return value;
    if (typeof value === "number") return chance(0.3) ? pick(NASTY_NUMBERS) : value;
    if (typeof value === "string") return chance(0.25) ? pick(NASTY_STRINGS) : value;
    if (Array.isArray(value)) return value.map((v) => mutate(v, depth + 1));
    if (value && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const mutatedKey = chance(0.03) ? `${key}\u0000` : key;
        out[mutatedKey] = chance(0.05) ? pick([null, [], {}, "string", 12, true, [1, [2, [3]]]]) : mutate(v, depth + 1);
      }
      if (chance(0.1)) out[pick(["timestamp", "start_timestamp", "level", "tags", "user", "fingerprint", "extra"])] = pick([1e300, "\u0000", { "\u0000": "\u0000" }, [null], -1]);
      return out;
    }
    return value;
  }

  function securityBody(): Buffer {
    if (chance(0.1)) return deepJson(20_000);
    return jsonBody(mutate({ "csp-report": { "document-uri": "https://example.com", "violated-directive": "script-src", "blocked-uri": "https://evil.example" } }, 0));
  }

  function placeKey(kind: string, target: Target): { path: string; headers: Record<string, string> } {
    const path = `/api/${target.projectId}/${kind}/`;
    const key = chance(0.1) ? pick(["0".repeat(32), "x".repeat(2000), "../../", "%00"]) : target.publicKey;
    const where = pick(["query", "query", "header", "none"] as const);
    if (where === "query") return { path: `${path}?sentry_key=${encodeURIComponent(key)}`, headers: {} };
    if (where === "header") return { path, headers: { "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${key}` } };
    return { path, headers: {} };
  }

  function encode(body: Buffer): { label: string; body: Buffer; headers: Record<string, string> } {
    const encoding = pick(["identity", "identity", "identity", "gzip", "deflate", "deflate-raw", "br", "lying-gzip", "bogus"] as const);
    switch (encoding) {
      case "gzip":
        return { label: encoding, body: gzipSync(body), headers: { "content-encoding": "gzip" } };
      case "deflate":
        return { label: encoding, body: deflateSync(body), headers: { "content-encoding": "deflate" } };
      case "deflate-raw":
        return { label: encoding, body: deflateRawSync(body), headers: { "content-encoding": "deflate" } };
      case "br":
        return { label: encoding, body: brotliCompressSync(body), headers: { "content-encoding": "br" } };
      case "lying-gzip":
        return { label: encoding, body, headers: { "content-encoding": "gzip" } };
      case "bogus":
        return { label: encoding, body, headers: { "content-encoding": "x-bogus" } };
      default:
        return { label: encoding, body, headers: {} };
    }
  }
}

function deepJson(depth: number): Buffer {
  return Buffer.from(`${"[".repeat(depth)}${"]".repeat(depth)}`.replace(/^\[/, '{"a":[').replace(/\]$/, "]}"));
}

function jsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function transaction() {
  const start = Date.now() / 1000 - 1;
  return {
    type: "transaction",
    event_id: newEventId(),
    transaction: "GET /checkout",
    start_timestamp: start,
    timestamp: start + 0.3,
    contexts: { trace: { trace_id: newEventId(), span_id: "a".repeat(16), op: "http.server", status: "ok" } },
    spans: [{ span_id: "b".repeat(16), parent_span_id: "a".repeat(16), trace_id: newEventId(), op: "db", start_timestamp: start, timestamp: start + 0.1, description: "select 1" }],
  };
}
