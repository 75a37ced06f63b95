import { readFileSync } from "node:fs";
import { request } from "node:http";
import { brotliCompressSync, constants, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMITS } from "@/lib/protocol/limits";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { productionFlags } from "../bench/build";
import { send } from "../support/http";
import { NODE, WITH_TSX, freePort, start, type Running } from "../support/processes";

// The production flags (package.json start:ingest): the 128 MB heap is part of what is tested.
const INGEST_FLAGS = productionFlags("ingest").split(" ");
const MiB = 1024 * 1024;

async function startIngestProcess(env: Record<string, string> = {}) {
  const port = await freePort();
  const ingest = start(NODE, [...INGEST_FLAGS, ...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port), INGEST_NICENESS: "0", ...env });
  await ingest.waitFor(/ingest listening/);
  return { ingest, base: `http://127.0.0.1:${port}` };
}

const ENCODERS = {
  gzip: (body: Buffer) => gzipSync(body),
  deflate: (body: Buffer) => deflateSync(body),
  br: (body: Buffer) => brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
};
type Encoding = keyof typeof ENCODERS;

describe("decompression bombs against the real ingest process", () => {
  let ingest: Running;
  let base: string;
  let victim: Awaited<ReturnType<typeof createOrgWithProject>>;
  let bystander: Awaited<ReturnType<typeof createOrgWithProject>>;

  beforeAll(async () => {
    ({ ingest, base } = await startIngestProcess());
    [victim, bystander] = await Promise.all([createOrgWithProject(), createOrgWithProject()]);
  });
  afterAll(async () => {
    await ingest?.stop("SIGKILL");
  });

  it("answers 5 of each bomb at once with 4xx, stays healthy and keeps serving other projects", async () => {
    const zeros = Buffer.alloc(LIMITS.decompressedBytes + 10 * MiB);
    const dsn = `http://${victim.key.publicKey}@127.0.0.1/${victim.project.id}`;
    const withLine = (line: object) => Buffer.concat([Buffer.from(`${JSON.stringify(line)}\n{"type":"attachment"}\n`), zeros]);
    const plain = {
      // an envelope whose header names the victim's key: a tunnel's, or a DSN holder's
      keyed: withLine({ dsn }),
      // an envelope header with no key
      keyless: withLine({ event_id: newEventId() }),
      // no header line at all: zeros from the first byte
      lineless: zeros,
    };
    const envelopeUrl = `${base}/api/${victim.project.id}/envelope/`;
    const securityUrl = `${base}/api/${victim.project.id}/security/`;
    const withKey = `?sentry_key=${victim.key.publicKey}&sentry_version=7`;
    // Each: where it goes, which body, and the answers that are right (429: the body-memory cap).
    const kinds = [
      { name: "envelope, key only in the header's dsn", url: envelopeUrl, body: "keyed", expect: [413, 429] },
      { name: "envelope, key in the query", url: envelopeUrl + withKey, body: "keyed", expect: [413, 429] },
      { name: "envelope, no key", url: envelopeUrl, body: "keyless", expect: [401] },
      { name: "envelope, no key and no header line", url: envelopeUrl, body: "lineless", expect: [413] },
      { name: "security, no key", url: securityUrl, body: "lineless", expect: [401] },
      { name: "security, key in the query", url: securityUrl + withKey, body: "lineless", expect: [413, 429] },
    ] as const;

    const requests: { kind: string; encoding: Encoding; expect: readonly number[]; body: Buffer; url: string }[] = [];
    for (const encoding of Object.keys(ENCODERS) as Encoding[]) {
      const compressed = Object.fromEntries(Object.entries(plain).map(([name, body]) => [name, ENCODERS[encoding](body)]));
      for (const kind of kinds) {
        const body = compressed[kind.body]!;
        expect(body.length).toBeLessThan(200 * 1024);
        for (let i = 0; i < 5; i++) requests.push({ kind: kind.name, encoding, expect: kind.expect, body, url: kind.url });
      }
    }

    const bystanderEvent = () =>
      send(`${base}/api/${bystander.project.id}/envelope/?sentry_key=${bystander.key.publicKey}`, { body: eventEnvelope() });
    const during = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return bystanderEvent();
    })();
    const answers = await Promise.all(
      requests.map(async (r) => {
        const res = await send(r.url, { body: r.body, headers: { "content-encoding": r.encoding } });
        return { kind: `${r.kind} (${r.encoding})`, status: res.status, ok: r.expect.includes(res.status), detail: res.body };
      }),
    );
    expect(answers.filter((a) => !a.ok)).toEqual([]);
    // Sent while the bombs were in flight: accepted, or told to come back (never lost, never 5xx).
    expect([200, 429]).toContain((await during).status);

    expect(ingest.child.exitCode).toBeNull();
    const health = await send(`${base}/_health/`, { method: "GET" });
    expect(health.status).toBe(200);
    const started = performance.now();
    const ordinary = await bystanderEvent();
    expect(ordinary.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(ingest.output()).not.toMatch(/heap out of memory|ingest request failed/);
  }, 120_000);

  it("survives security reports that are a list of a great many empty reports", async () => {
    const list = (bytes: number) => Buffer.concat([Buffer.from("["), Buffer.alloc(bytes - 3, "{},"), Buffer.from("{}]")]);
    const url = `${base}/api/${victim.project.id}/security/`;
    const keyed = `${url}?sentry_key=${victim.key.publicKey}`;
    const sent = [
      { to: url, body: list(90 * MiB), expect: [401] },
      { to: keyed, body: list(90 * MiB), expect: [413, 429] },
      { to: keyed, body: list(LIMITS.eventItemBytes - 10), expect: [413, 429] },
    ].map((r) => ({ ...r, body: gzipSync(r.body) }));
    const answers = await Promise.all(
      sent.flatMap((r) =>
        Array.from({ length: 5 }, () => send(r.to, { body: r.body, headers: { "content-encoding": "gzip" } }).then((res) => r.expect.includes(res.status) || res.body)),
      ),
    );
    expect(answers.filter((ok) => ok !== true)).toEqual([]);
    const limit = await send(keyed, { body: Buffer.from(`[${Array(LIMITS.envelopeItems + 1).fill('{"csp-report":{}}').join(",")}]`) });
    expect(limit.status).toBe(413);
    expect(limit.json().detail).toBe(`more than ${LIMITS.envelopeItems} security reports in one request`);
    expect(ingest.child.exitCode).toBeNull();
    expect((await send(`${base}/_health/`, { method: "GET" })).status).toBe(200);
  });

  it("counts brotli's window: 200 tiny bodies declaring 16 MiB each at once stay within the memory budget", async () => {
    const body = brotliCompressSync(Buffer.alloc(LIMITS.decompressedBytes + MiB, 0x61), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_LGWIN]: 24 },
    });
    expect(body.length).toBeLessThan(1024);
    const urls = [`${base}/api/${victim.project.id}/envelope/`, `${base}/api/${victim.project.id}/envelope/?sentry_key=${victim.key.publicKey}`];
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => send(urls[i % 2]!, { body, headers: { "content-encoding": "br" } }).then((r) => r.status)),
    );
    expect(statuses.filter((status) => status !== 413 && status !== 429)).toEqual([]);
    // Peak resident memory over the whole run: 128 MB heap, 256 MiB of bodies, the rest.
    // Before brotli's window was counted, this burst alone took the process to 3.4 GB.
    const status = readFileSync(`/proc/${ingest.child.pid}/status`, "utf8");
    const peakKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]);
    expect(peakKiB).toBeLessThan(768 * 1024);
    expect((await send(`${base}/_health/`, { method: "GET" })).status).toBe(200);
  });

  it("refuses keys that are not 32 hex characters before looking them up", async () => {
    const url = (key: string) => `${base}/api/${victim.project.id}/envelope/?sentry_key=${key}`;
    for (const key of ["a".repeat(10_000), victim.key.publicKey.toUpperCase(), `${victim.key.publicKey}0`, "../../etc"]) {
      const res = await send(url(key), { body: eventEnvelope() });
      expect(res.status).toBe(401);
      expect(res.json().detail).toBe("sentry_key is not a DSN public key (32 hex characters)");
    }
    const inDsn = envelope({ dsn: `http://${"f".repeat(5000)}@127.0.0.1/${victim.project.id}` }, [{ type: "event", payload: JSON.stringify(errorEvent()) }]);
    expect((await send(`${base}/api/${victim.project.id}/envelope/`, { body: inDsn })).status).toBe(401);
    // The key as issued still works.
    expect((await send(url(victim.key.publicKey), { body: eventEnvelope() })).status).toBe(200);
  });

  it("takes a tunnel's envelope longer than what is read before the key is known, plain and gzip", async () => {
    const dsn = `http://${victim.key.publicKey}@127.0.0.1/${victim.project.id}`;
    const event = errorEvent();
    const body = envelope({ event_id: event.event_id, dsn }, [
      { type: "event", payload: JSON.stringify(event) },
      { type: "attachment", payload: Buffer.alloc(LIMITS.preAuthBytes * 4, 0x61), headers: { filename: "big.txt" } },
    ]);
    const url = `${base}/api/${victim.project.id}/envelope/`;
    for (const [encoded, headers] of [
      [body, {}],
      [gzipSync(body), { "content-encoding": "gzip" }],
      [ENCODERS.br(gzipSync(body)), { "content-encoding": "gzip, br" }],
    ] as const) {
      for (const chunked of [false, true]) {
        const res = await send(url, { body: encoded, headers: { ...headers }, chunked });
        expect(res.status, res.body).toBe(200);
        expect(res.json()).toEqual({ id: event.event_id });
      }
    }
  });

  it("refuses more than two content codings with 415", async () => {
    const body = gzipSync(gzipSync(gzipSync(eventEnvelope())));
    const res = await send(`${base}/api/${victim.project.id}/envelope/`, { body, headers: { "content-encoding": "gzip, gzip, gzip" } });
    expect(res.status).toBe(415);
    expect(res.json().detail).toBe("more than 2 content codings");
  });

  it("bounds the envelope header only until the key is known", async () => {
    const header = { event_id: newEventId(), padding: "x".repeat(LIMITS.preAuthBytes) };
    const body = envelope(header, [{ type: "event", payload: JSON.stringify(errorEvent()) }]);
    const url = `${base}/api/${victim.project.id}/envelope/`;
    const refused = await send(url, { body });
    expect(refused.status).toBe(413);
    expect(refused.json().detail).toBe(`envelope header is longer than ${LIMITS.preAuthBytes} bytes`);
    expect((await send(`${url}?sentry_key=${victim.key.publicKey}`, { body })).status).toBe(200);
  });

  it(`takes ${LIMITS.envelopeItems} items in an envelope and refuses one more with 413`, async () => {
    const url = `${base}/api/${victim.project.id}/envelope/?sentry_key=${victim.key.publicKey}`;
    const items = (n: number) => Array.from({ length: n }, () => ({ type: "check_in", payload: '{"check_in_id":"x","status":"ok"}' }));
    expect((await send(url, { body: envelope({}, items(LIMITS.envelopeItems)) })).status).toBe(200);
    const refused = await send(url, { body: envelope({}, items(LIMITS.envelopeItems + 1)) });
    expect(refused.status).toBe(413);
    expect(refused.json().detail).toBe(`envelope has more than ${LIMITS.envelopeItems} items`);
  });

  it("skips millions of blank lines between items without stalling", async () => {
    const url = `${base}/api/${victim.project.id}/envelope/?sentry_key=${victim.key.publicKey}`;
    const event = errorEvent();
    const body = Buffer.concat([
      Buffer.from(`{}\n{"type":"event"}\n${JSON.stringify(event)}\n`),
      Buffer.alloc(LIMITS.decompressedBytes - 4096, 0x0a),
    ]);
    const started = performance.now();
    const res = await send(url, { body: gzipSync(body), headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: event.event_id });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe("the per-process body-memory cap", () => {
  let ingest: Running;
  let base: string;
  let tenant: Awaited<ReturnType<typeof createOrgWithProject>>;

  beforeAll(async () => {
    ({ ingest, base } = await startIngestProcess({ INGEST_BODY_MEMORY_MB: "2" }));
    tenant = await createOrgWithProject();
  });
  afterAll(async () => {
    await ingest?.stop("SIGKILL");
  });

  it("answers 429 with Retry-After while in-flight bodies hold the budget, and takes bodies again once they are gone", async () => {
    const url = `${base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`;
    const attachment = (bytes: number, count = 1) =>
      envelope(
        { event_id: newEventId() },
        Array.from({ length: count }, () => ({ type: "attachment", payload: Buffer.alloc(bytes, 0x61), headers: { filename: "a.txt" } })),
      );
    // A slow upload: 1.5 of its 2 MiB sent, the rest held back, so its body stays in flight.
    const slowBody = attachment(MiB - 1024, 2);
    const split = Math.floor(1.5 * MiB);
    const slow = request(url, { method: "POST", headers: { "content-length": String(slowBody.length) } });
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow.on("response", (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      slow.on("error", reject);
    });
    slow.write(slowBody.subarray(0, split));
    await new Promise((resolve) => setTimeout(resolve, 500));

    const refused = await send(url, { body: attachment(MiB - 1024) });
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("5");
    expect(refused.json().detail).toMatch(/too many request bodies/);

    slow.end(slowBody.subarray(split));
    expect(await slowAnswer).toBe(200);
    expect((await send(url, { body: attachment(MiB - 1024) })).status).toBe(200);
    expect((await send(`${base}/_health/`, { method: "GET" })).status).toBe(200);
  });
});
