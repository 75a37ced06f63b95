import { randomBytes } from "node:crypto";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { clearKeyCache } from "@/lib/ingest/keys";
import { queue } from "@/lib/queues";
import { eventIdInLane } from "../support/drain";
import { createOrgWithProject } from "../support/factories";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { send } from "../support/http";
import { startIngest, streamItems } from "../support/ingest";

let ingest: Awaited<ReturnType<typeof startIngest>>;
let tenant: Awaited<ReturnType<typeof createOrgWithProject>>;
let other: Awaited<ReturnType<typeof createOrgWithProject>>;

beforeAll(async () => {
  ingest = await startIngest();
  other = await createOrgWithProject();
});
afterAll(() => ingest.close());
beforeEach(async () => {
  tenant = await createOrgWithProject();
});

const envelopeUrl = (projectId = tenant.project.id, key: string | null = tenant.key.publicKey) =>
  `${ingest.base}/api/${projectId}/envelope/${key ? `?sentry_key=${key}&sentry_version=7` : ""}`;

async function expectHealthy() {
  const res = await send(`${ingest.base}/_health/`, { method: "GET" });
  expect(res.status).toBe(200);
}

describe("envelope framing", () => {
  it("accepts length-framed items and answers with the envelope's event id", async () => {
    const event = errorEvent();
    const res = await send(envelopeUrl(), { body: eventEnvelope(event) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: event.event_id });
    const [item] = await streamItems(tenant.project.id);
    expect(item).toMatchObject({ type: "event", eventId: event.event_id, clientIp: "127.0.0.1" });
    expect(JSON.parse(item!.payload.toString())).toEqual(event);
  });

  it("accepts newline-framed items, several per envelope, and no final newline", async () => {
    const event = errorEvent();
    const body = envelope({ event_id: event.event_id }, [
      { type: "event", payload: JSON.stringify(event), length: false },
      { type: "session", payload: JSON.stringify({ sid: newEventId(), status: "ok", init: true }), length: false },
      { type: "attachment", payload: Buffer.from([0, 1, 2, 10, 13, 255]), headers: { filename: "a.bin" } },
    ]);
    const res = await send(envelopeUrl(), { body: body.subarray(0, body.length - 1) });
    expect(res.status, res.body).toBe(200);
    const items = await streamItems(tenant.project.id);
    expect(items.map((i) => i.type)).toEqual(["event", "session", "attachment"]);
    expect([...items[2]!.payload]).toEqual([0, 1, 2, 10, 13, 255]);
  });

  it("takes dashed ids, and the envelope's id wins over the payload's", async () => {
    const envelopeId = "9ec79c33-ec99-42ab-8353-589fcb2e04dc";
    const res = await send(envelopeUrl(), { body: eventEnvelope(errorEvent(), { event_id: envelopeId }) });
    expect(res.json()).toEqual({ id: "9ec79c33ec9942ab8353589fcb2e04dc" });
    expect((await streamItems(tenant.project.id))[0]!.eventId).toBe("9ec79c33ec9942ab8353589fcb2e04dc");
  });

  it("uses the payload's id when the envelope has none, and makes one when neither has", async () => {
    const event = errorEvent();
    const first = await send(envelopeUrl(), { body: envelope({}, [{ type: "event", payload: JSON.stringify(event) }]) });
    expect(first.json()).toEqual({ id: event.event_id });
    const { event_id: _, ...anonymous } = errorEvent();
    const second = await send(envelopeUrl(), { body: envelope({}, [{ type: "event", payload: JSON.stringify(anonymous) }]) });
    expect(second.json().id).toMatch(/^[0-9a-f]{32}$/);
  });

  it("answers an empty envelope with 200 {}", async () => {
    const res = await send(envelopeUrl(), { body: '{"sent_at":"2026-11-28T00:00:00Z"}\n' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
  });

  it("skips unknown item types but keeps the rest", async () => {
    const event = errorEvent();
    const res = await send(envelopeUrl(), {
      body: envelope({ event_id: event.event_id }, [
        { type: "replay_recording", payload: "binary-ish" },
        { type: "event", payload: JSON.stringify(event) },
      ]),
    });
    expect(res.status).toBe(200);
    expect((await streamItems(tenant.project.id)).map((i) => i.type)).toEqual(["event"]);
  });
});

describe("body encodings and transfer", () => {
  const encoders: [string, (b: Buffer) => Buffer][] = [
    ["gzip", gzipSync],
    ["x-gzip", gzipSync],
    ["deflate", deflateSync],
    ["br", brotliCompressSync],
    ["identity", (b) => b],
    ["", (b) => b],
  ];
  for (const [encoding, encode] of encoders) {
    it(`decodes Content-Encoding "${encoding}"`, async () => {
      const event = errorEvent();
      const res = await send(envelopeUrl(), { body: encode(eventEnvelope(event)), headers: { "content-encoding": encoding } });
      expect(res.status, res.body).toBe(200);
      expect(res.json()).toEqual({ id: event.event_id });
    });
  }

  it("accepts raw deflate sent as deflate", async () => {
    const res = await send(envelopeUrl(), { body: deflateRawSync(eventEnvelope()), headers: { "content-encoding": "deflate" } });
    expect(res.status).toBe(200);
  });

  it("accepts a chunked gzip body with no content type, as @sentry/node sends it", async () => {
    const res = await send(envelopeUrl(), { body: gzipSync(eventEnvelope()), chunked: true, headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(200);
  });

  for (const type of ["application/x-sentry-envelope", "text/plain;charset=UTF-8", "application/json"]) {
    it(`accepts content type ${type}`, async () => {
      const res = await send(envelopeUrl(), { body: eventEnvelope(), headers: { "content-type": type } });
      expect(res.status).toBe(200);
    });
  }
});

describe("authentication", () => {
  it("takes the key from X-Sentry-Auth", async () => {
    const res = await send(envelopeUrl(tenant.project.id, null), {
      body: eventEnvelope(),
      headers: { "x-sentry-auth": `Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=${tenant.key.publicKey}` },
    });
    expect(res.status).toBe(200);
  });

  it("takes the key from the envelope header's dsn (tunnels)", async () => {
    const dsn = `http://${tenant.key.publicKey}@localhost:3001/${tenant.project.id}`;
    const res = await send(envelopeUrl(tenant.project.id, null), { body: eventEnvelope(errorEvent(), { dsn }) });
    expect(res.status).toBe(200);
  });

  it("refuses keys that disagree", async () => {
    const dsn = `http://${other.key.publicKey}@localhost:3001/${tenant.project.id}`;
    const res = await send(envelopeUrl(), { body: eventEnvelope(errorEvent(), { dsn }) });
    expect(res.status).toBe(401);
    expect(res.json().detail).toMatch(/conflicting sentry_key/);
  });

  it("answers 401 without a key and for an unknown key", async () => {
    expect((await send(envelopeUrl(tenant.project.id, null), { body: eventEnvelope() })).status).toBe(401);
    expect((await send(envelopeUrl(tenant.project.id, randomBytes(16).toString("hex")), { body: eventEnvelope() })).status).toBe(401);
  });

  it("answers 403 for another project's key and for a disabled key, storing nothing", async () => {
    const foreign = await send(envelopeUrl(tenant.project.id, other.key.publicKey), { body: eventEnvelope() });
    expect(foreign.status).toBe(403);
    await db().projectKey.update({ where: { id: tenant.key.id }, data: { active: false } });
    clearKeyCache();
    const disabled = await send(envelopeUrl(), { body: eventEnvelope() });
    expect(disabled.status).toBe(403);
    expect(disabled.json()).toEqual({ detail: "project key is disabled" });
    expect(await streamItems(tenant.project.id)).toEqual([]);
    expect(await streamItems(other.project.id)).toEqual([]);
  });
});

describe("bad input gets a clear 4xx and the process stays healthy", () => {
  const cases: [string, () => { body: Buffer | string; headers?: Record<string, string> }, number, RegExp][] = [
    // A first byte that is not whitespace: a leading newline would (rightly) be an empty header.
    ["random bytes", () => ({ body: Buffer.concat([Buffer.from([0x01]), randomBytes(4095)]) }), 400, /envelope header is not valid JSON/],
    ["truncated gzip", () => ({ body: gzipSync(eventEnvelope()).subarray(0, 100), headers: { "content-encoding": "gzip" } }), 400, /not valid gzip/],
    ["an unknown encoding", () => ({ body: eventEnvelope(), headers: { "content-encoding": "zstd" } }), 415, /unsupported Content-Encoding: zstd/],
    [
      "a length that is too long",
      () => ({ body: Buffer.concat([Buffer.from('{}\n{"type":"event","length":9999}\n'), Buffer.from("{}")]) }),
      400,
      /shorter than its length/,
    ],
    ["a length that is too short", () => ({ body: '{}\n{"type":"event","length":2}\n{"a":1}\n' }), 400, /longer than its length/],
    ["an item without a type", () => ({ body: '{}\n{"length":2}\n{}\n' }), 400, /has no type/],
    ["an event that is not JSON", () => ({ body: '{}\n{"type":"event"}\n{not json\n' }), 400, /item 1 \(event\) is not valid JSON/],
    ["a bad event id", () => ({ body: '{"event_id":"nope"}\n' }), 400, /invalid event_id/],
    ["deep nesting", () => ({ body: `{}\n{"type":"event"}\n${"[".repeat(5000)}${"]".repeat(5000)}\n` }), 400, /nested deeper/],
    [
      "an oversize event",
      () => ({ body: envelope({}, [{ type: "event", payload: JSON.stringify({ message: "x".repeat(1024 * 1024) }) }]) }),
      413,
      /larger than 1048576 bytes/,
    ],
  ];
  for (const [name, make, status, detail] of cases) {
    it(`${name}: ${status}`, async () => {
      const res = await send(envelopeUrl(), make());
      expect(res.status).toBe(status);
      expect(res.json().detail).toMatch(detail);
      expect(res.headers["x-sentry-error"]).toBeTruthy();
      expect(await streamItems(tenant.project.id)).toEqual([]);
      await expectHealthy();
    });
  }

  it("stops a decompression bomb at 100 MiB with 413", async () => {
    const bomb = gzipSync(Buffer.alloc(150 * 1024 * 1024));
    const res = await send(envelopeUrl(), { body: bomb, headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(413);
    expect(res.json().detail).toMatch(/larger than 104857600 bytes when decompressed/);
    await expectHealthy();
  });

  it("cuts off a body over 20 MiB without reading it all", async () => {
    const res = await send(envelopeUrl(), { body: randomBytes(21 * 1024 * 1024), chunked: true }).catch((e) => e);
    // The server answers 413 and closes; the client may see the answer or a reset mid-upload.
    if (res instanceof Error) expect(res.message).toMatch(/EPIPE|ECONNRESET|socket hang up/);
    else expect(res.status).toBe(413);
    const declared = await send(envelopeUrl(), { body: "x", headers: { "content-length": String(30 * 1024 * 1024) } }).catch((e) => e);
    if (!(declared instanceof Error)) expect(declared.status).toBe(413);
    await expectHealthy();
  });

  it("answers 405 to GET and 404 to unknown paths", async () => {
    expect((await send(envelopeUrl(), { method: "GET" })).status).toBe(405);
    expect((await send(`${ingest.base}/api/abc/envelope/`, { body: "{}" })).status).toBe(404);
  });
});

describe("CORS", () => {
  it("answers a preflight from any origin", async () => {
    const res = await send(envelopeUrl(), {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["access-control-allow-methods"]).toContain("POST");
    expect(res.headers["access-control-allow-headers"]).toBe("content-type");
  });

  it("exposes the rate-limit headers on a POST from a browser origin", async () => {
    const res = await send(envelopeUrl(), { body: eventEnvelope(), headers: { origin: "https://app.example.com", "content-type": "text/plain;charset=UTF-8" } });
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*");
    expect(res.headers["access-control-expose-headers"]).toContain("x-sentry-rate-limits");
    expect(res.headers["access-control-expose-headers"]).toContain("retry-after");
  });
});

describe("store and security endpoints", () => {
  it("accepts a JSON event on /store/ with and without the trailing slash", async () => {
    for (const path of ["store/", "store"]) {
      const event = errorEvent();
      const res = await send(`${ingest.base}/api/${tenant.project.id}/${path}?sentry_key=${tenant.key.publicKey}`, {
        body: JSON.stringify(event),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({ id: event.event_id });
    }
  });

  it("accepts base64-deflated JSON on /store/ (old raven clients)", async () => {
    const event = errorEvent();
    const res = await send(`${ingest.base}/api/${tenant.project.id}/store/?sentry_key=${tenant.key.publicKey}`, {
      body: deflateSync(Buffer.from(JSON.stringify(event))).toString("base64"),
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: event.event_id });
  });

  it("accepts browser CSP reports, classic and Reporting API", async () => {
    const classic = { "csp-report": { "document-uri": "https://app.example.com/", "violated-directive": "script-src", "blocked-uri": "https://evil.example" } };
    const res = await send(`${ingest.base}/api/${tenant.project.id}/security/?sentry_key=${tenant.key.publicKey}`, {
      body: JSON.stringify(classic),
      headers: { "content-type": "application/csp-report" },
    });
    expect(res.status).toBe(200);
    const reportingApi = [{ type: "csp-violation", body: { documentURL: "https://app.example.com/", effectiveDirective: "img-src" } }];
    const second = await send(`${ingest.base}/api/${tenant.project.id}/csp-report/?sentry_key=${tenant.key.publicKey}`, {
      body: JSON.stringify(reportingApi),
      headers: { "content-type": "application/reports+json" },
    });
    expect(second.status).toBe(200);
    const items = await streamItems(tenant.project.id);
    expect(items.map((i) => i.type)).toEqual(["security", "security"]);
    expect(JSON.parse(items[1]!.payload.toString())).toEqual({ "csp-report": reportingApi[0]!.body });
  });

  it("refuses a security report nested deeper than 64 levels with 400 (it overflowed the stack: 503)", async () => {
    const deep = `{"csp-report":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    const res = await send(`${ingest.base}/api/${tenant.project.id}/security/?sentry_key=${tenant.key.publicKey}`, { body: deep });
    expect(res.status).toBe(400);
    expect(res.json().detail).toMatch(/nested deeper than 64 levels/);
  });
});

describe("hand-off to the worker", () => {
  it("queues one drain job per lane of the project while one is pending", async () => {
    const inLane = (lane: number) => eventEnvelope(errorEvent({ event_id: eventIdInLane(lane) }));
    for (const lane of [1, 1, 1, 0, 0]) expect((await send(envelopeUrl(), { body: inLane(lane) })).status).toBe(200);
    const jobs = await queue("events").getJobs(["waiting", "active", "delayed", "prioritized"]);
    const mine = jobs.filter((j) => j.data.projectId === tenant.project.id);
    expect(mine.map((j) => j.data.lane).sort()).toEqual([0, 1]);
    expect(await streamItems(tenant.project.id)).toHaveLength(5);
  });
});
