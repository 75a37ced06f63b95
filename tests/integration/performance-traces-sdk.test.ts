import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { transactionForSpan } from "@/lib/performance/transaction-event";
import type { StoredSpan, Trace, TraceTransaction } from "@/lib/performance/types";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { type ApiReply, callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { envelope, newEventId } from "../support/envelopes";
import { createKey, createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { type Running, run, start } from "../support/processes";

// A trace across two projects of one org, as the official @sentry/node 11 SDK sends it with
// tracing on: a frontend process (project "frontend") whose transaction fetches from a backend
// process (project "backend", an HTTP server the SDK instruments, nested spans, an error
// captured inside a span, a 500), the trace carried by the sentry-trace and baggage headers.
// Both ways SDK 11 sends a trace: `transaction` items (traceLifecycle "static") and streamed
// `span` items (its default). Everything goes through the real ingest and the drain, then is
// read back through the API:
// the trace as a tree with its error, the transactions list, a transaction with its span
// waterfall, the transaction an error happened in. Org B, sending a transaction under the same
// (forged) trace id, sees only its own.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;
const ok = (reply: ApiReply) => {
  expect(reply.status, reply.body).toBe(200);
  return reply.json();
};
const line = (output: string, name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(output)?.[1] ?? "";

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());
const dsn = (publicKey: string, projectId: number) =>
  `${ingest.base.replace("//", `//${publicKey}@`)}/${projectId}`;

/** Every span's parent is the transaction's root span or another of its spans. */
function expectNested(root: string, spans: StoredSpan[]) {
  const ids = new Set([root, ...spans.map((s) => s.span_id)]);
  for (const span of spans) expect(ids.has(span.parent_span_id ?? ""), JSON.stringify(span)).toBe(true);
}

describe.each(["static", "stream"])(
  "a trace from @sentry/node across two projects, spans sent %s",
  (lifecycle) => {
    let A: Tenant;
    let B: Tenant;
    let backend: { id: number; slug: string; key: { publicKey: string } };
    let server: Running | undefined;
    const tokens = {} as Record<"a" | "b", string>;
    const sent = { traceId: "", rootSpan: "", chargeSpan: "", errorId: "" };
    let trace: Trace;

    beforeAll(async () => {
      A = await createOrgWithProject();
      B = await createOrgWithProject();
      const project = await db().project.create({
        data: { orgId: A.org.id, slug: `backend-${A.org.slug}`, name: "Backend" },
        select: { id: true, slug: true },
      });
      backend = { ...project, key: await createKey(project.id) };
      tokens.a = await token(A, ["event:read"]);
      tokens.b = await token(B, ["org:read"]);

      server = start(process.execPath, ["tests/support/trace-backend.mjs"], {
        SENTRY_DSN: dsn(backend.key.publicKey, backend.id),
        SENTRY_TRACE_LIFECYCLE: lifecycle,
      });
      const [, port] = await server.waitFor(/listening (\d+)/);
      const frontend = await run(process.execPath, ["tests/support/trace-frontend.mjs"], {
        SENTRY_DSN: dsn(A.key.publicKey, A.project.id),
        BACKEND_URL: `http://127.0.0.1:${port}`,
        SENTRY_TRACE_LIFECYCLE: lifecycle,
      });
      expect(frontend.code, frontend.output).toBe(0);
      expect(frontend.output).toContain("status /api/checkout 500");
      expect(frontend.output).toContain("flushed true");
      const stopped = await server.stop("SIGTERM");
      expect(stopped.code, server.output()).toBe(0);
      expect(server.output()).toContain("flushed true");
      Object.assign(sent, {
        traceId: line(frontend.output, "trace"),
        rootSpan: line(frontend.output, "root"),
        chargeSpan: line(server.output(), "charge-span"),
        errorId: line(server.output(), "exception"),
      });
      expect(sent.traceId).toMatch(/^[0-9a-f]{32}$/);
      await drainAll(A.project.id);
      await drainAll(backend.id);
      trace = ok(
        await callApi("GET", `/api/0/organizations/${A.org.slug}/events-trace/${sent.traceId}/`, {
          token: tokens.a,
        }),
      );
    }, 90_000);

    afterAll(async () => {
      await server?.stop("SIGKILL");
    });

    it("links the backend's transactions under the frontend's http.client spans", () => {
      expect(trace.transactions).toHaveLength(1);
      const root = trace.transactions[0]!;
      expect(root).toMatchObject({
        project: { id: String(A.project.id), slug: A.project.slug },
        transaction: "checkout flow",
        op: "task",
        spanId: sent.rootSpan,
        parentSpanId: null,
        status: "ok",
      });
      expectNested(root.spanId, root.spans);
      const fetches = root.spans.filter((s) => s.op === "http.client");
      // the URL as the SDK records it in both ways (a streamed span's name is only "GET 127.0.0.1")
      expect(fetches.map((s) => s.data?.["url.full"])).toEqual([
        expect.stringMatching(/\/api\/products$/),
        expect.stringMatching(/\/api\/checkout$/),
      ]);
      expect(
        root.children.map((c: TraceTransaction) => [
          c.transaction,
          c.op,
          c.project.slug,
          c.status,
          c.parentSpanId,
        ]),
      ).toEqual([
        ["GET /api/products", "http.server", backend.slug, "ok", fetches[0]!.span_id],
        ["GET /api/checkout", "http.server", backend.slug, "internal_error", fetches[1]!.span_id],
      ]);
      for (const child of root.children) {
        expect(child.startTimestamp).toBeGreaterThanOrEqual(root.startTimestamp);
        // it starts within the root; it may end a little after it (the server's span ends once
        // the response is written, the client's once it has read it: seen 5 ms later under load)
        expect(child.startTimestamp).toBeLessThanOrEqual(root.timestamp);
        expectNested(child.spanId, child.spans);
      }
    });

    it("lists the error captured inside the backend's span, with its issue and span", async () => {
      expect(trace.errors).toHaveLength(1);
      const [error] = trace.errors;
      expect(error).toMatchObject({
        eventID: sent.errorId,
        project: { slug: backend.slug },
        spanId: sent.chargeSpan,
      });
      expect(error!.title).toContain("Payment declined by the card issuer");
      const issue = await db().issue.findFirstOrThrow({
        where: { projectId: backend.id },
        select: { id: true },
      });
      expect(error!.issueId).toBe(String(issue.id));
      // the error's page links to the transaction whose span it happened in
      const viewer = { userId: A.user.id, orgId: A.org.id, role: "member" as const };
      const checkout = trace.transactions[0]!.children[1]!;
      expect(await transactionForSpan(viewer, sent.traceId, sent.chargeSpan, "GET /api/checkout")).toEqual({
        projectSlug: backend.slug,
        eventId: checkout.eventID,
      });
    });

    it("serves the backend transaction's span waterfall in Sentry's event shape", async () => {
      const products = trace.transactions[0]!.children[0]!;
      const event = ok(
        await callApi(
          "GET",
          `/api/0/organizations/${A.org.slug}/events/${backend.slug}:${products.eventID}/`,
          {
            token: tokens.a,
          },
        ),
      );
      expect(event).toMatchObject({
        eventID: products.eventID,
        type: "transaction",
        title: "GET /api/products",
        projectSlug: backend.slug,
        release: { version: "backend@2.0.0" },
        contexts: {
          trace: { trace_id: sent.traceId, span_id: products.spanId, op: "http.server", status: "ok" },
        },
        startTimestamp: products.startTimestamp,
        endTimestamp: products.timestamp,
      });
      const spans: StoredSpan[] = event.entries.find((e: { type: string }) => e.type === "spans").data;
      expectNested(products.spanId, spans);
      const load = spans.find((s) => s.description === "load products")!;
      const queries = spans.filter(
        (s) => s.op === "db" && s.description === "SELECT * FROM products WHERE id = $1",
      );
      expect(queries).toHaveLength(3);
      for (const query of queries) {
        expect(query.parent_span_id).toBe(load.span_id);
        expect(query.start_timestamp).toBeGreaterThanOrEqual(load.start_timestamp);
        expect(query.timestamp).toBeLessThanOrEqual(load.timestamp);
        expect(query.data).toMatchObject({ "db.system": "postgresql" });
      }
      // the request's entry, as the issue events API serves it
      expect(event.entries.find((e: { type: string }) => e.type === "request")?.data).toMatchObject({
        method: "GET",
      });
    });

    it("lists the name's transactions with their trace id, slowest first", async () => {
      const url = `/api/0/organizations/${A.org.slug}/transactions/?project=${backend.id}&transaction=${encodeURIComponent("GET /api/checkout")}&sort=-duration`;
      const rows = ok(await callApi("GET", url, { token: tokens.a }));
      const checkout = trace.transactions[0]!.children[1]!;
      expect(rows).toEqual([
        {
          eventID: checkout.eventID,
          transaction: "GET /api/checkout",
          duration: checkout.duration,
          timestamp: new Date(checkout.timestamp * 1000).toISOString(),
          traceId: sent.traceId,
          status: "internal_error",
          project: { id: String(backend.id), slug: backend.slug },
        },
      ]);
    });

    it("keeps another org's transaction under the same trace id to that org", async () => {
      // Org B forges the trace: a transaction naming A's trace and A's frontend span as its parent.
      const parent = trace.transactions[0]!.spans[0]!.span_id;
      const eventId = newEventId();
      const now = Date.now() / 1000;
      const forged = {
        event_id: eventId,
        type: "transaction",
        transaction: "/forged",
        start_timestamp: now - 0.2,
        timestamp: now,
        contexts: {
          trace: {
            trace_id: sent.traceId,
            span_id: "b".repeat(16),
            parent_span_id: parent,
            op: "pageload",
            status: "ok",
          },
        },
        spans: [],
      };
      const body = envelope({ event_id: eventId }, [
        { type: "transaction", payload: JSON.stringify(forged) },
      ]);
      const reply = await send(`${ingest.base}/api/${B.project.id}/envelope/?sentry_key=${B.key.publicKey}`, {
        body,
      });
      expect(reply.status, reply.body).toBe(200);
      await drainAll(B.project.id);

      const theirs: Trace = ok(
        await callApi("GET", `/api/0/organizations/${B.org.slug}/events-trace/${sent.traceId}/`, {
          token: tokens.b,
        }),
      );
      expect(theirs.transactions.map((t) => [t.eventID, t.children.length])).toEqual([[eventId, 0]]);
      expect(theirs.errors).toEqual([]);
      const ours: Trace = ok(
        await callApi("GET", `/api/0/organizations/${A.org.slug}/events-trace/${sent.traceId}/`, {
          token: tokens.a,
        }),
      );
      expect(ours).toEqual(trace);
      // and neither reaches the other's by its slug
      expect(
        (
          await callApi("GET", `/api/0/organizations/${A.org.slug}/events-trace/${sent.traceId}/`, {
            token: tokens.b,
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await callApi(
            "GET",
            `/api/0/organizations/${B.org.slug}/events/${B.project.slug}:${trace.transactions[0]!.eventID}/`,
            { token: tokens.b },
          )
        ).status,
      ).toBe(404);
    });
  },
);
