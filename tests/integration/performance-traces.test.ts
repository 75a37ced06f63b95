import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { transactionEvent, transactionForSpan } from "@/lib/performance/transaction-event";
import { traceForViewer } from "@/lib/performance/trace";
import { listTransactions, parseTransactionListQuery } from "@/lib/performance/transactions-list";
import type { StoredSpan, Trace, TraceTransaction } from "@/lib/performance/types";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { type ApiReply, callApi } from "../support/api";
import { newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";

// The read side of performance monitoring over rows shaped as the worker stores them (the
// transactions' documents with their spans, events.trace_id): a name's transactions list
// (recent, slowest, keyset paging in both directions, filters), one transaction in Sentry's
// event shape with its spans, a trace across two projects as a tree with its errors, the
// transaction an error happened in; bad input, and two orgs that share a (forged) trace id yet
// never see each other's rows. tests/integration/performance-traces-sdk.test.ts does the same
// with what the real SDKs send.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let A2: { id: number; slug: string };
const tokens = {} as Record<"a" | "b" | "aNoScope", string>;

const NOW = Date.now();
const MINUTE = 60_000;
const hex = (bytes: number) => randomBytes(bytes).toString("hex");

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;
const viewerOf = (t: Tenant) => ({ userId: t.user.id, orgId: t.org.id, role: "owner" as const });

type Seed = {
  projectId: number;
  name: string;
  op?: string;
  method?: string;
  status?: string;
  traceId?: string | null;
  spanId?: string;
  parentSpanId?: string | null;
  durationMs: number;
  /** the end, ms since the epoch */
  end: number;
  environment?: string | null;
  release?: string | null;
  spans?: StoredSpan[];
};

/** A transaction as lib/performance's store writes it: its group, its columns, its document. */
async function seed(s: Seed): Promise<{ eventId: string; spanId: string }> {
  const eventId = newEventId();
  const op = s.op ?? "http.server";
  const method = s.method ?? "GET";
  const spanId = s.spanId ?? hex(8);
  const traceId = s.traceId === undefined ? hex(16) : s.traceId;
  const status = s.status ?? "ok";
  const start = s.end - s.durationMs;
  const environment = s.environment === undefined ? "production" : s.environment;
  const release = s.release === undefined ? "app@1.0" : s.release;
  const trace = {
    trace_id: traceId,
    span_id: spanId,
    op,
    status,
    ...(s.parentSpanId ? { parent_span_id: s.parentSpanId } : {}),
  };
  const payload = {
    event_id: eventId,
    type: "transaction",
    transaction: s.name,
    timestamp: new Date(s.end).toISOString(),
    start_timestamp: new Date(start).toISOString(),
    received: new Date(s.end + 50).toISOString(),
    level: "info",
    platform: "node",
    release,
    environment,
    tags: [
      ["environment", environment ?? "production"],
      ["transaction", s.name],
    ],
    contexts: { trace, runtime: { name: "node", version: "v24.0.0" } },
    request: { method, url: `https://api.example.com${s.name.replace(/^\w+ /, "")}` },
    spans: s.spans ?? [],
  };
  await db().$executeRaw`
    insert into transaction_groups (project_id, name, op, method) values (${s.projectId}, ${s.name}, ${op}, ${method})
    on conflict do nothing`;
  await db().$executeRaw`
    insert into transactions (project_id, group_id, event_id, name, op, method, status, trace_id, span_id, parent_span_id,
      duration_ms, start_timestamp, timestamp, release, environment, span_count, payload)
    select ${s.projectId}, g.id, ${eventId}, ${s.name}, ${op}, ${method}, ${status}, ${traceId}::uuid, ${spanId}, ${s.parentSpanId ?? null},
      ${s.durationMs}, ${new Date(start)}, ${new Date(s.end)}, ${release}, ${environment}, ${payload.spans.length}, ${JSON.stringify(payload)}::json
    from transaction_groups g where g.project_id = ${s.projectId} and g.name = ${s.name} and g.op = ${op} and g.method = ${method}`;
  return { eventId, spanId };
}

/** An error event of a new issue, as the worker stores it (events.trace_id from contexts.trace). */
async function seedError(projectId: number, title: string, traceId: string, spanId: string, at: number) {
  const issue = await db().issue.create({
    data: {
      projectId,
      shortId: Math.floor(Math.random() * 1e9),
      title,
      firstSeen: new Date(at),
      lastSeen: new Date(at),
    },
  });
  const eventId = newEventId();
  const payload = {
    event_id: eventId,
    type: "error",
    level: "error",
    platform: "node",
    timestamp: new Date(at).toISOString(),
    contexts: { trace: { trace_id: traceId, span_id: spanId } },
    exception: { values: [{ type: "Error", value: title }] },
  };
  await db().$executeRaw`
    insert into events (project_id, issue_id, event_id, timestamp, level, platform, title, tags, payload, trace_id)
    values (${projectId}, ${issue.id}, ${eventId}, ${new Date(at)}, 'error', 'node', ${title}, '[]'::json, ${JSON.stringify(payload)}::json, ${traceId}::uuid)`;
  return { eventId, issueId: issue.id };
}

const api = (path: string, tok = tokens.a) => callApi("GET", path, { token: tok });
const ok = (reply: ApiReply) => {
  expect(reply.status, reply.body).toBe(200);
  return reply.json();
};
const nextLink = (reply: ApiReply) =>
  /<([^>]+)>; rel="next"; results="true"/.exec(reply.headers.get("link") ?? "")?.[1];
const prevLink = (reply: ApiReply) =>
  /<([^>]+)>; rel="previous"; results="true"/.exec(reply.headers.get("link") ?? "")?.[1];

const PRODUCTS = "GET /api/products";
// 45 in A's backend project over the last 45 minutes (durations with ties: paging must neither
// skip nor repeat equal durations), 5 of them in staging, 3 older than a day.
const products: { eventId: string; durationMs: number; end: number; environment: string }[] = [];

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  A2 = await db().project.create({
    data: { orgId: A.org.id, slug: `backend-${A.org.slug}`, name: "Backend" },
    select: { id: true, slug: true },
  });
  tokens.a = await token(A, ["event:read"]);
  tokens.b = await token(B, ["org:read"]);
  tokens.aNoScope = await token(A, ["project:releases"]);

  for (let i = 0; i < 45; i++) {
    const row = {
      durationMs: 100 + (i % 15) * 10.25,
      end: NOW - i * MINUTE,
      environment: i % 9 === 0 ? "staging" : "production",
    };
    const { eventId } = await seed({ projectId: A2.id, name: PRODUCTS, ...row });
    products.push({ eventId, ...row });
  }
  for (let i = 0; i < 3; i++)
    await seed({ projectId: A2.id, name: PRODUCTS, durationMs: 9000, end: NOW - 2 * 24 * 60 * MINUTE - i });
  // the same name with another method (another group), another name, and the same name in org B
  await seed({ projectId: A2.id, name: PRODUCTS, method: "HEAD", durationMs: 5000, end: NOW - 90_000 });
  await seed({ projectId: A2.id, name: "GET /api/cart", durationMs: 7000, end: NOW - 30_000 });
  for (let i = 0; i < 3; i++)
    await seed({ projectId: B.project.id, name: PRODUCTS, durationMs: 8000, end: NOW - 10_000 });
});

describe("GET /api/0/organizations/{org}/transactions/", () => {
  const listUrl = (query: string, org = A.org.slug) => `/api/0/organizations/${org}/transactions/?${query}`;
  const name = `transaction=${encodeURIComponent(PRODUCTS)}&method=GET`;

  it("lists a name's recent transactions newest first, in the API's shape", async () => {
    const rows = ok(await api(listUrl(`${name}&project=${A2.id}&per_page=10`)));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual({
      eventID: products[0]!.eventId,
      transaction: PRODUCTS,
      duration: products[0]!.durationMs,
      timestamp: new Date(products[0]!.end).toISOString(),
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      status: "ok",
      project: { id: String(A2.id), slug: A2.slug },
    });
    expect(rows.map((r: { eventID: string }) => r.eventID)).toEqual(
      products.slice(0, 10).map((p) => p.eventId),
    );
  });

  it("pages through every transaction of the period exactly once, forward and back, by time and by duration", async () => {
    for (const sort of ["-timestamp", "-duration"]) {
      const expected = [...products]
        .sort((a, b) => (sort === "-duration" ? b.durationMs - a.durationMs : b.end - a.end))
        .map((p) => p.durationMs);
      const pages: ApiReply[] = [];
      let reply = await api(listUrl(`${name}&sort=${sort}&per_page=7`));
      pages.push(reply);
      for (let link = nextLink(reply); link; link = nextLink(reply)) {
        reply = await api(link);
        pages.push(reply);
      }
      const seen = pages.flatMap((p) => ok(p) as { eventID: string; duration: number }[]);
      expect(pages).toHaveLength(7);
      expect(new Set(seen.map((r) => r.eventID)).size).toBe(45);
      expect(seen.map((r) => r.duration)).toEqual(expected);
      // back from the last page: the previous pages again, in the same order
      const back: string[][] = [];
      for (let link = prevLink(reply); link; link = prevLink(reply)) {
        reply = await api(link);
        back.unshift(ok(reply).map((r: { eventID: string }) => r.eventID));
      }
      expect(back.flat()).toEqual(seen.slice(0, 42).map((r) => r.eventID));
    }
  });

  it("filters by environment, release, period, project, op and method; other names and orgs never show", async () => {
    const staging = ok(await api(listUrl(`${name}&environment=staging`)));
    expect(staging.map((r: { eventID: string }) => r.eventID).sort()).toEqual(
      products
        .filter((p) => p.environment === "staging")
        .map((p) => p.eventId)
        .sort(),
    );
    expect(ok(await api(listUrl(`${name}&release=other@2`)))).toEqual([]);
    expect(ok(await api(listUrl(`${name}&statsPeriod=10m&per_page=100`)))).toHaveLength(10);
    expect(ok(await api(listUrl(`${name}&statsPeriod=7d&per_page=100`)))).toHaveLength(48);
    const since = new Date(NOW - 3 * 24 * 60 * MINUTE).toISOString();
    const until = new Date(NOW - 24 * 60 * MINUTE).toISOString();
    expect(ok(await api(listUrl(`${name}&start=${since}&end=${until}`)))).toHaveLength(3);
    // without a method: the HEAD group too, slowest first
    const any = ok(
      await api(listUrl(`transaction=${encodeURIComponent(PRODUCTS)}&sort=-duration&per_page=1`)),
    );
    expect(any[0].duration).toBe(5000);
    expect(ok(await api(listUrl(`${name}&op=pageload`)))).toEqual([]);
    // given but empty: only the groups without a method (none of this name)
    expect(ok(await api(listUrl(`transaction=${encodeURIComponent(PRODUCTS)}&method=`)))).toEqual([]);
    expect(ok(await api(listUrl(`${name}&project=${A.project.id}`)))).toEqual([]);
    expect(
      ok(await api(listUrl(`${name}&project=${A.project.id}&project=${A2.id}&per_page=100`))),
    ).toHaveLength(45);
    expect(ok(await api(listUrl(`${name}&project=-1&per_page=100`)))).toHaveLength(45);
    expect(ok(await api(listUrl("transaction=GET%20%2Fnothing")))).toEqual([]);
    // B sees its own three, none of A's
    const b = ok(await api(listUrl(name, B.org.slug), tokens.b));
    expect(b).toHaveLength(3);
    expect(b.every((r: { project: { id: string } }) => r.project.id === String(B.project.id))).toBe(true);
  });

  it("merges a name's many groups (past one statement branch per group) in order, paging exactly once", async () => {
    const many: { eventId: string; durationMs: number }[] = [];
    for (let g = 0; g < 23; g++) {
      for (let i = 0; i < 2; i++) {
        const durationMs = 50 + ((g * 7 + i * 13) % 40);
        many.push({
          durationMs,
          ...(await seed({
            projectId: A2.id,
            name: "GET /many",
            method: `M${g}`,
            durationMs,
            end: NOW - g * 1000 - i * 100,
          })),
        });
      }
    }
    const seen: { eventID: string; duration: number }[] = [];
    let reply = await api(listUrl("transaction=GET%20%2Fmany&sort=-duration&per_page=9"));
    seen.push(...ok(reply));
    for (let link = nextLink(reply); link; link = nextLink(reply)) {
      reply = await api(link);
      seen.push(...ok(reply));
    }
    expect(new Set(seen.map((r) => r.eventID))).toEqual(new Set(many.map((m) => m.eventId)));
    expect(seen.map((r) => r.duration)).toEqual(many.map((m) => m.durationMs).sort((a, b) => b - a));
    // the same name in its first 20 groups only (one branch each)
    const few = ok(await api(listUrl("transaction=GET%20%2Fmany&method=M3&per_page=100")));
    expect(few).toHaveLength(2);
  });

  it("answers 404 for another org's slug or project, 403 without the scope", async () => {
    expect((await api(listUrl(name), tokens.b)).status).toBe(404);
    expect((await api(listUrl(`${name}&project=${B.project.id}`))).status).toBe(404);
    expect((await api(listUrl(`${name}&project=${A2.id}&project=${B.project.id}`))).status).toBe(404);
    expect((await api(listUrl(`${name}&project=9999999999`))).status).toBe(404);
    expect((await api(listUrl(name), tokens.aNoScope)).status).toBe(403);
    expect((await callApi("GET", listUrl(name))).status).toBe(401);
  });

  it("refuses bad input with a 400 that says what is wrong", async () => {
    for (const [query, words] of [
      ["", "transaction"],
      [`${name}&sort=-p95`, "sort"],
      [`${name}&sort=-duration&sort=-timestamp`, "sort"],
      [`${name}&cursor=abc`, "cursor"],
      [`${name}&cursor=1:2:5`, "cursor"],
      [`${name}&sort=-duration&cursor=-5:2:0`, "cursor"],
      [`${name}&cursor=99999999999999999:1:0`, "cursor"],
      [`${name}&statsPeriod=forever`, "statsPeriod"],
      [`${name}&start=2026-01-01`, "start and end"],
      [`${name}&start=2026-01-02&end=2026-01-01`, "end must be after start"],
      [`${name}&statsPeriod=1d&start=2026-01-01&end=2026-01-02`, "not both"],
      [`${name}&start=yesterday&end=2026-01-01`, "not a date"],
      [`${name}&per_page=0`, "per_page"],
      [`${name}&per_page=101`, "per_page"],
      [`${name}&project=frontend`, "project"],
      [`${name}&environment=${"x".repeat(65)}`, "environment"],
      [`transaction=${"x".repeat(201)}`, "transaction"],
      [`${name}&release=a%00b`, "NUL"],
    ]) {
      const reply = await api(listUrl(query!));
      expect(reply.status, `${query}: ${reply.body}`).toBe(400);
      expect(reply.json().detail, query).toContain(words);
    }
    // a cursor far in the past is simply the end of the list, not an error
    expect(ok(await api(listUrl(`${name}&cursor=1:1:0`)))).toEqual([]);
    expect(ok(await api(listUrl(`${name}&statsPeriod=9999999w`)))).toHaveLength(48);
  });

  it("checks the role in lib/: a billing member may not read transactions", async () => {
    const query = parseTransactionListQuery(new URLSearchParams(name));
    await expect(listTransactions({ ...viewerOf(A), role: "billing" }, query)).rejects.toThrow(
      /performance:read/,
    );
  });
});

describe("a trace across two projects", () => {
  const TRACE = hex(16);
  let pageload: { eventId: string; spanId: string };
  let api1: { eventId: string; spanId: string };
  let api2: { eventId: string; spanId: string };
  let job: { eventId: string; spanId: string };
  let orphan: { eventId: string; spanId: string };
  let error: { eventId: string; issueId: number };
  let foreignError: { eventId: string; issueId: number };
  const FETCH_1 = hex(8);
  const FETCH_2 = hex(8);
  const QUERY = hex(8);
  const T0 = NOW - 10 * MINUTE;
  const s = (ms: number) => (T0 + ms) / 1000;

  beforeAll(async () => {
    const PAGE_ROOT = hex(8);
    pageload = await seed({
      projectId: A.project.id,
      name: "/products",
      op: "pageload",
      method: "",
      traceId: TRACE,
      spanId: PAGE_ROOT,
      durationMs: 900,
      end: T0 + 900,
      spans: [
        {
          span_id: FETCH_1,
          parent_span_id: PAGE_ROOT,
          trace_id: TRACE,
          op: "http.client",
          description: "GET /api/products",
          start_timestamp: s(100),
          timestamp: s(400),
          status: "ok",
          data: { "http.method": "GET" },
        },
        {
          span_id: FETCH_2,
          parent_span_id: PAGE_ROOT,
          trace_id: TRACE,
          op: "http.client",
          description: "POST /api/checkout",
          start_timestamp: s(500),
          timestamp: s(800),
          status: "internal_error",
        },
      ],
    });
    const API1_ROOT = hex(8);
    api1 = await seed({
      projectId: A2.id,
      name: "GET /api/products",
      traceId: TRACE,
      spanId: API1_ROOT,
      parentSpanId: FETCH_1,
      durationMs: 280,
      end: T0 + 390,
      spans: [
        {
          span_id: QUERY,
          parent_span_id: API1_ROOT,
          trace_id: TRACE,
          op: "db",
          description: "SELECT * FROM products WHERE id = $1",
          start_timestamp: s(120),
          timestamp: s(200),
          data: { "db.system": "postgresql" },
        },
        {
          span_id: hex(8),
          parent_span_id: QUERY,
          trace_id: TRACE,
          op: "db.connect",
          description: "connect",
          start_timestamp: s(121),
          timestamp: s(130),
        },
      ],
    });
    api2 = await seed({
      projectId: A2.id,
      name: "POST /api/checkout",
      method: "POST",
      status: "internal_error",
      traceId: TRACE,
      parentSpanId: FETCH_2,
      durationMs: 250,
      end: T0 + 780,
    });
    // a background job started from a span of api1
    job = await seed({
      projectId: A2.id,
      name: "send-receipt",
      op: "queue.process",
      method: "",
      traceId: TRACE,
      parentSpanId: QUERY,
      durationMs: 50,
      end: T0 + 260,
    });
    // its parent span is nowhere in the trace: a root of its own
    orphan = await seed({
      projectId: A.project.id,
      name: "/late",
      op: "navigation",
      method: "",
      traceId: TRACE,
      parentSpanId: hex(8),
      durationMs: 10,
      end: T0 + 2000,
    });
    error = await seedError(A2.id, "Error: Payment declined", TRACE, api2.spanId, T0 + 700);
    // org B forged the same trace id: its rows stay its own
    await seed({
      projectId: B.project.id,
      name: "/forged",
      op: "pageload",
      method: "",
      traceId: TRACE,
      parentSpanId: FETCH_1,
      durationMs: 5,
      end: T0 + 100,
    });
    foreignError = await seedError(B.project.id, "Error: B's own", TRACE, FETCH_1, T0 + 150);
  });

  const eventIds = (nodes: TraceTransaction[]): unknown[] =>
    nodes.map((n) => (n.children.length ? [n.eventID, eventIds(n.children)] : n.eventID));

  it("serves the org's transactions as a tree (across projects, by parent span) and its errors", async () => {
    const trace: Trace = ok(await api(`/api/0/organizations/${A.org.slug}/events-trace/${TRACE}/`));
    expect(eventIds(trace.transactions)).toEqual([
      [pageload.eventId, [[api1.eventId, [job.eventId]], api2.eventId]],
      orphan.eventId,
    ]);
    const root = trace.transactions[0]!;
    expect(root).toMatchObject({
      project: { id: String(A.project.id), slug: A.project.slug },
      transaction: "/products",
      op: "pageload",
      startTimestamp: T0 / 1000,
      timestamp: (T0 + 900) / 1000,
      duration: 900,
      status: "ok",
      spanId: pageload.spanId,
      parentSpanId: null,
    });
    expect(root.spans.map((sp) => sp.span_id)).toEqual([FETCH_1, FETCH_2]);
    const child = root.children[0]!;
    expect(child).toMatchObject({
      project: { id: String(A2.id), slug: A2.slug },
      parentSpanId: FETCH_1,
      spanId: api1.spanId,
    });
    expect(child.spans[1]).toMatchObject({ parent_span_id: QUERY, op: "db.connect" });
    expect(root.children[1]!.status).toBe("internal_error");
    expect(trace.errors).toEqual([
      {
        eventID: error.eventId,
        issueId: String(error.issueId),
        title: "Error: Payment declined",
        project: { id: String(A2.id), slug: A2.slug },
        timestamp: new Date(T0 + 700).toISOString(),
        spanId: api2.spanId,
      },
    ]);
    // the same through the lib function the trace page calls, dashed id too
    const dashed = `${TRACE.slice(0, 8)}-${TRACE.slice(8, 12)}-${TRACE.slice(12, 16)}-${TRACE.slice(16, 20)}-${TRACE.slice(20)}`;
    expect(await traceForViewer(viewerOf(A), dashed)).toEqual(trace);
  });

  it("shows org B only its own rows of the shared trace id", async () => {
    const trace: Trace = ok(await api(`/api/0/organizations/${B.org.slug}/events-trace/${TRACE}/`, tokens.b));
    expect(trace.transactions.map((t) => t.transaction)).toEqual(["/forged"]);
    expect(trace.transactions[0]!.children).toEqual([]);
    expect(trace.errors.map((e) => e.eventID)).toEqual([foreignError.eventId]);
  });

  it("bounds a huge trace: the earliest 1,000 transactions, spans until 10,000 are served", async () => {
    const HUGE = hex(16);
    const spans = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        span_id: hex(7) + i.toString(16).padStart(2, "0").slice(-2),
        start_timestamp: T0 / 1000,
        timestamp: T0 / 1000 + 0.01,
        op: "db",
      }));
    // 12 transactions of 1,000 spans first, then 1,000 without any: 1,012 in all
    for (let i = 0; i < 12; i++)
      await seed({
        projectId: A2.id,
        name: "big",
        traceId: HUGE,
        durationMs: 100,
        end: T0 + i,
        spans: spans(1000),
      });
    await db().$executeRaw`
      insert into transactions (project_id, group_id, event_id, name, op, status, trace_id, span_id, duration_ms, start_timestamp, timestamp)
      select ${A2.id}, (select id from transaction_groups where project_id = ${A2.id} and name = 'big'), md5(random()::text || i), 'big', 'http.server', 'ok',
        ${HUGE}::uuid, substr(md5(i::text), 1, 16), 5, ${new Date(T0 + 100)}::timestamptz + i * interval '1 ms', ${new Date(T0 + 105)}::timestamptz + i * interval '1 ms'
      from generate_series(1, 1000) i`;
    const trace: Trace = ok(await api(`/api/0/organizations/${A.org.slug}/events-trace/${HUGE}/`));
    expect(trace.transactions).toHaveLength(1000);
    expect(trace.transactions.map((t) => t.spans.length).slice(0, 12)).toEqual([
      ...Array(10).fill(1000),
      0,
      0,
    ]);
    expect(trace.transactions.at(-1)!.startTimestamp).toBe((T0 + 100 + 988) / 1000);
  });

  it("answers 404 for a trace the org has nothing of, 400 for no trace id", async () => {
    expect((await api(`/api/0/organizations/${A.org.slug}/events-trace/${hex(16)}/`)).status).toBe(404);
    expect((await api(`/api/0/organizations/${A.org.slug}/events-trace/${TRACE}/`, tokens.b)).status).toBe(
      404,
    );
    expect(
      (await api(`/api/0/organizations/${A.org.slug}/events-trace/${TRACE}/`, tokens.aNoScope)).status,
    ).toBe(403);
    for (const bad of ["xyz", TRACE.slice(1), `${TRACE}0`, "g".repeat(32)]) {
      const reply = await api(`/api/0/organizations/${A.org.slug}/events-trace/${bad}/`);
      expect(reply.status, bad).toBe(400);
      expect(reply.json().detail).toContain("trace id");
    }
    expect(await traceForViewer(viewerOf(A), "not a trace")).toBeNull();
  });

  it("serves a transaction in Sentry's event shape with its spans entry", async () => {
    const ref = `${A2.slug}:${api1.eventId}`;
    const event = ok(await api(`/api/0/organizations/${A.org.slug}/events/${ref}/`));
    expect(event).toMatchObject({
      id: api1.eventId,
      eventID: api1.eventId,
      groupID: null,
      projectID: String(A2.id),
      projectSlug: A2.slug,
      type: "transaction",
      "event.type": "transaction",
      title: "GET /api/products",
      location: "GET /api/products",
      startTimestamp: (T0 + 110) / 1000,
      endTimestamp: (T0 + 390) / 1000,
      environment: "production",
      release: { version: "app@1.0" },
      contexts: {
        trace: {
          trace_id: TRACE,
          span_id: api1.spanId,
          parent_span_id: FETCH_1,
          op: "http.server",
          status: "ok",
        },
      },
      dateCreated: new Date(T0 + 390).toISOString(),
    });
    expect(event.tags).toContainEqual({ key: "transaction", value: "GET /api/products" });
    expect(event.entries.map((e: { type: string }) => e.type)).toEqual(["spans", "request"]);
    expect(event.entries[0].data).toEqual([
      {
        span_id: QUERY,
        parent_span_id: api1.spanId,
        trace_id: TRACE,
        op: "db",
        description: "SELECT * FROM products WHERE id = $1",
        start_timestamp: s(120),
        timestamp: s(200),
        data: { "db.system": "postgresql" },
      },
      {
        span_id: expect.any(String),
        parent_span_id: QUERY,
        trace_id: TRACE,
        op: "db.connect",
        description: "connect",
        start_timestamp: s(121),
        timestamp: s(130),
      },
    ]);
    // the colon as %3A (a proxy may leave it encoded) and a dashed event id read the same
    const encoded = ok(
      await api(`/api/0/organizations/${A.org.slug}/events/${A2.slug}%253A${api1.eventId}/`),
    );
    expect(encoded.eventID).toBe(api1.eventId);
    expect(
      await transactionEvent(viewerOf(A), A2.slug, api1.eventId.replace(/^(.{8})(.{4})/, "$1-$2-")),
    ).toMatchObject({ eventID: api1.eventId });
  });

  it("serves an error event through the same route, as the issue events API does", async () => {
    const event = ok(await api(`/api/0/organizations/${A.org.slug}/events/${A2.slug}:${error.eventId}/`));
    const fromIssue = ok(
      await api(`/api/0/organizations/${A.org.slug}/issues/${error.issueId}/events/${error.eventId}/`),
    );
    expect(event).toEqual({ ...fromIssue, projectSlug: A2.slug });
    expect(event.type).toBe("error");
  });

  it("answers 404 for another org's, unknown or malformed events", async () => {
    const events = (org: string, ref: string, tok = tokens.a) =>
      api(`/api/0/organizations/${org}/events/${ref}/`, tok);
    expect((await events(A.org.slug, `${A2.slug}:${api1.eventId}`, tokens.b)).status).toBe(404);
    expect((await events(B.org.slug, `${A2.slug}:${api1.eventId}`, tokens.b)).status).toBe(404);
    // A's slug with B's event id, B's project with A's token
    expect((await events(A.org.slug, `${A2.slug}:${foreignError.eventId}`)).status).toBe(404);
    expect((await events(A.org.slug, `${B.project.slug}:${foreignError.eventId}`)).status).toBe(404);
    expect((await events(A.org.slug, `${A.project.slug}:${api1.eventId}`)).status).toBe(404);
    for (const bad of [
      api1.eventId,
      `${A2.slug}:`,
      `${A2.slug}:xyz`,
      `:${api1.eventId}`,
      `${A2.slug}%25ZZ${api1.eventId}`,
    ]) {
      expect((await events(A.org.slug, bad)).status, bad).toBe(404);
    }
    expect((await events(A.org.slug, `${A2.slug}:${api1.eventId}`, tokens.aNoScope)).status).toBe(403);
    expect(await transactionEvent(viewerOf(B), A2.slug, api1.eventId)).toBeNull();
  });

  it("finds the transaction an error happened in: by its span, its root span, else by name", async () => {
    const v = viewerOf(A);
    expect(await transactionForSpan(v, TRACE, QUERY, null)).toEqual({
      projectSlug: A2.slug,
      eventId: api1.eventId,
    });
    expect(await transactionForSpan(v, TRACE, api2.spanId, "ignored")).toEqual({
      projectSlug: A2.slug,
      eventId: api2.eventId,
    });
    expect(await transactionForSpan(v, TRACE, FETCH_2, null)).toEqual({
      projectSlug: A.project.slug,
      eventId: pageload.eventId,
    });
    expect(await transactionForSpan(v, TRACE, hex(8), "send-receipt")).toEqual({
      projectSlug: A2.slug,
      eventId: job.eventId,
    });
    expect(await transactionForSpan(v, TRACE, null, "/late")).toEqual({
      projectSlug: A.project.slug,
      eventId: orphan.eventId,
    });
    expect(await transactionForSpan(v, TRACE, hex(8), "nothing")).toBeNull();
    expect(await transactionForSpan(v, "nope", QUERY, "send-receipt")).toBeNull();
    // B's forged transaction names A's span as its parent; B cannot reach A's rows by it
    expect(await transactionForSpan(viewerOf(B), TRACE, QUERY, "GET /api/products")).toBeNull();
    expect(await transactionForSpan(viewerOf(B), TRACE, null, "/forged")).toMatchObject({
      projectSlug: B.project.slug,
    });
    await expect(transactionForSpan({ ...v, role: "billing" }, TRACE, QUERY, null)).rejects.toThrow(
      /performance:read/,
    );
  });
});
