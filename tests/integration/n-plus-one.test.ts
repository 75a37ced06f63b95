import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONDITION_IDS } from "@/lib/alerts/catalog";
import { db } from "@/lib/db";
import { N_PLUS_ONE_ISSUE_TYPE } from "@/lib/issues/kind";
import type { StoredSpan } from "@/lib/performance/types";
import { closeQueues } from "@/lib/queues";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { flushOutcomes } from "@/lib/usage/flush-outcomes";
import { type ApiReply, callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { envelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { type StreamItem, startIngest, streamItems } from "../support/ingest";
import { type Running, start } from "../support/processes";

// N+1 queries from the official @sentry/node 11 SDK at its defaults (span streaming): the
// instrumented API of tests/support/traced-api.mjs, whose GET /api/products runs one query per
// product (six "SELECT * FROM products WHERE id = $1" db spans in a row under "load products",
// QUERY_MS each), in its own process per org, through the real ingest and the drain. The first
// occurrence opens one issue of its own kind (and fires a "new issue" alert rule), the second
// adds an event to it, a resend of the same spans adds nothing; the transaction is stored as
// ever; nothing of it counts as an error of the transaction or against the error quota; two
// orgs running the same code each get their own issue and see only it.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Api = { server: Running; base: string };
const NAME = "GET /api/products";
const QUERY = "SELECT * FROM products WHERE id = $1";
// 6 x 15 ms: over the 50 ms the six must take together to count (lib/performance/n-plus-one.ts)
const QUERY_MS = "15";

let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let B: Tenant;
const apis: Partial<Record<"a" | "b", Api>> = {};
const tokens = {} as Record<"a" | "b", string>;
const rules = {} as Record<"a" | "b", number>;
/** A's first span container(s) as ingest queued them, to send again */
let firstItems: StreamItem[] = [];

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;
const ok = (reply: ApiReply) => {
  expect(reply.status, reply.body).toBe(200);
  return reply.json();
};

async function startApi(t: Tenant): Promise<Api> {
  const dsn = `${ingest.base.replace("//", `//${t.key.publicKey}@`)}/${t.project.id}`;
  const server = start(process.execPath, ["--import", "./tests/support/traced-api-instrument.mjs", "tests/support/traced-api.mjs"], {
    SENTRY_DSN: dsn,
    SENTRY_RELEASE: "shop@1.4.0",
    QUERY_MS,
  });
  const [, port] = await server.waitFor(/listening (\d+)/);
  return { server, base: `http://127.0.0.1:${port}` };
}

async function loadProducts(api: Api) {
  const reply = await fetch(`${api.base}/api/products`);
  expect(reply.status).toBe(200);
  expect(await reply.json()).toHaveLength(6);
}

const productTransactions = (t: Tenant) =>
  db().$queryRaw<{ event_id: string; trace_id: string; payload: { spans: StoredSpan[] } }[]>`
    select event_id, replace(trace_id::text, '-', '') as trace_id, payload from transactions
    where project_id = ${t.project.id} and name = ${NAME} order by timestamp`;

/** Waits for the SDK to send what it holds (span streaming sends a segment shortly after it ends), draining until `count` products transactions are stored. */
async function drainUntil(t: Tenant, count: number, beforeDrain?: () => Promise<void>) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    await beforeDrain?.();
    await drainAll(t.project.id);
    const stored = await productTransactions(t);
    if (stored.length >= count) {
      expect(stored).toHaveLength(count);
      return stored;
    }
    if (Date.now() > deadline) throw new Error(`${stored.length} of ${count} transactions after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const nPlusOneIssues = (t: Tenant) =>
  db().issue.findMany({ where: { projectId: t.project.id, type: N_PLUS_ONE_ISSUE_TYPE }, orderBy: { id: "asc" } });
const eventsOf = (issueId: number) =>
  db().event.findMany({ where: { issueId }, orderBy: { id: "asc" }, select: { eventId: true, payload: true, traceId: true, level: true } });
const deliveriesOf = (ruleId: number) => db().alertDelivery.findMany({ where: { ruleId } });

beforeAll(async () => {
  ingest = await startIngest();
  [A, B] = await Promise.all([createOrgWithProject(), createOrgWithProject()]);
  for (const [name, t] of [["a", A], ["b", B]] as const) {
    tokens[name] = await token(t, ["org:read", "project:read", "event:read"]);
    const rule = await db().alertRule.create({
      data: {
        projectId: t.project.id,
        name: "New issues",
        conditions: [{ id: CONDITION_IDS.firstSeen }],
        filters: [],
        actionMatch: "all",
        filterMatch: "all",
        frequency: 5,
        actions: [{ id: "errorhub.actions.webhook", url: `https://hooks.example.com/${name}` }],
      },
    });
    rules[name] = rule.id;
  }
  [apis.a, apis.b] = await Promise.all([startApi(A), startApi(B)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(apis).map((api) => api.server.stop("SIGKILL")));
  await ingest?.close();
  await closeQueues();
});

describe("N+1 queries from @sentry/node", () => {
  it("opens one N+1 issue on the first occurrence, beside the transaction stored as ever", async () => {
    await loadProducts(apis.a!);
    // keep what ingest queued before the drain takes it, to send it again below
    const [transaction] = await drainUntil(A, 1, async () => {
      firstItems.push(...(await streamItems(A.project.id)).filter((item) => item.type === "span"));
    });
    firstItems = [...new Map(firstItems.map((item) => [item.payload.toString("base64"), item])).values()];
    expect(firstItems.length).toBeGreaterThan(0);

    // the transaction: its six queries under "load products", as the waterfall shows them
    const spans = transaction!.payload.spans;
    const loader = spans.find((s) => s.description === "load products")!;
    const queries = spans.filter((s) => s.description === QUERY && s.parent_span_id === loader.span_id);
    expect(queries).toHaveLength(6);

    const issues = await nPlusOneIssues(A);
    expect(issues).toHaveLength(1);
    const [issue] = issues;
    expect(issue).toMatchObject({
      title: "N+1 Query",
      culprit: NAME,
      level: "warning",
      status: "unresolved",
      substatus: "new",
      timesSeen: 1,
      firstRelease: "shop@1.4.0",
      metadata: { title: "N+1 Query", value: QUERY },
    });
    // the only issue of the project: the SDK sent no error
    expect(await db().issue.count({ where: { projectId: A.project.id } })).toBe(1);

    const [event, ...more] = await eventsOf(issue!.id);
    expect(more).toEqual([]);
    expect(event!.level).toBe("warning");
    expect(event!.traceId?.replaceAll("-", "")).toBe(transaction!.trace_id);
    expect(event!.payload).toMatchObject({
      transaction: NAME,
      release: "shop@1.4.0",
      environment: "production",
      logentry: { formatted: QUERY },
      contexts: {
        trace: { trace_id: transaction!.trace_id, span_id: loader.span_id },
        performance_issue: {
          issue_type: N_PLUS_ONE_ISSUE_TYPE,
          transaction_event_id: transaction!.event_id,
          op: "db",
          query: "SELECT * FROM products WHERE id = $<int>",
          parent_span_id: loader.span_id,
          num_repeating_spans: 6,
          offender_span_ids: queries.map((q) => q.span_id),
        },
      },
    });
    const duration = (event!.payload as { contexts: { performance_issue: { duration_ms: number } } }).contexts.performance_issue.duration_ms;
    expect(duration).toBeGreaterThanOrEqual(6 * Number(QUERY_MS) - 1);

    // "first seen" fires for it as for any new issue
    const deliveries = await deliveriesOf(rules.a);
    expect(deliveries.map((d) => [d.issueId, d.eventId])).toEqual([[issue!.id, event!.eventId]]);
  }, 60_000);

  it("serves the issue in Sentry's shapes, with its kind and the transaction it links to", async () => {
    const [issue] = await nPlusOneIssues(A);
    const shown = ok(await callApi("GET", `/api/0/organizations/${A.org.slug}/issues/${issue!.id}/`, { token: tokens.a }));
    expect(shown).toMatchObject({
      title: "N+1 Query",
      culprit: NAME,
      level: "warning",
      type: N_PLUS_ONE_ISSUE_TYPE,
      issueType: N_PLUS_ONE_ISSUE_TYPE,
      issueCategory: "performance",
    });
    const latest = ok(await callApi("GET", `/api/0/organizations/${A.org.slug}/issues/${issue!.id}/events/latest/`, { token: tokens.a }));
    const tags = Object.fromEntries(latest.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    expect(tags).toMatchObject({ transaction: NAME, environment: "production", release: "shop@1.4.0", op: "http.server", level: "warning" });
    // the transaction it names is the org's, in the issue's project: its waterfall answers
    const transactionId = latest.contexts.performance_issue.transaction_event_id;
    const transaction = ok(
      await callApi("GET", `/api/0/organizations/${A.org.slug}/events/${A.project.slug}:${transactionId}/`, { token: tokens.a }),
    );
    expect(transaction).toMatchObject({ type: "transaction", title: NAME });
    // its trace lists it as a performance issue, not as an error
    const trace = ok(await callApi("GET", `/api/0/organizations/${A.org.slug}/events-trace/${latest.contexts.trace.trace_id}/`, { token: tokens.a }));
    expect(trace.errors).toEqual([]);
    expect(trace.performanceIssues).toEqual([expect.objectContaining({ issueId: String(issue!.id), title: "N+1 Query" })]);
  });

  it("adds the second occurrence to the same issue; the same spans sent again add nothing", async () => {
    const url = `${ingest.base}/api/${A.project.id}/envelope/?sentry_key=${A.key.publicKey}`;
    for (const item of firstItems) {
      const { type: _, length: __, ...headers } = item.header;
      const reply = await send(url, { body: envelope({}, [{ type: "span", payload: item.payload, headers }]) });
      expect(reply.status, reply.body).toBe(200);
    }
    await drainAll(A.project.id);
    const [resent] = await nPlusOneIssues(A);
    expect(resent!.timesSeen).toBe(1);
    expect(await eventsOf(resent!.id)).toHaveLength(1);

    await loadProducts(apis.a!);
    const transactions = await drainUntil(A, 2);
    const issues = await nPlusOneIssues(A);
    expect(issues).toHaveLength(1);
    expect(issues[0]!.timesSeen).toBe(2);
    const events = await eventsOf(issues[0]!.id);
    expect(events.map((e) => (e.payload as { contexts: { performance_issue: { transaction_event_id: string } } }).contexts.performance_issue.transaction_event_id)).toEqual(
      transactions.map((t) => t.event_id),
    );
    // not new any more: the rule fired once
    expect(await deliveriesOf(rules.a)).toHaveLength(1);
  }, 60_000);

  it("keeps each org's N+1 issue to itself", async () => {
    await loadProducts(apis.b!);
    const [transactionB] = await drainUntil(B, 1);
    const [issueA] = await nPlusOneIssues(A);
    const [issueB, ...moreB] = await nPlusOneIssues(B);
    expect(moreB).toEqual([]);
    expect(issueB!.id).not.toBe(issueA!.id);
    expect(issueB).toMatchObject({ title: "N+1 Query", culprit: NAME, timesSeen: 1 });
    expect(issueA!.timesSeen).toBe(2);
    const [eventB] = await eventsOf(issueB!.id);
    expect(eventB!.payload).toMatchObject({ contexts: { performance_issue: { transaction_event_id: transactionB!.event_id } } });
    expect((await deliveriesOf(rules.b)).map((d) => d.issueId)).toEqual([issueB!.id]);

    for (const [name, t, foreign] of [["a", A, issueB], ["b", B, issueA]] as const) {
      const reply = await callApi("GET", `/api/0/organizations/${t.org.slug}/issues/${foreign!.id}/`, { token: tokens[name] });
      expect(reply.status).toBe(404);
      const listed = ok(await callApi("GET", `/api/0/organizations/${t.org.slug}/issues/?query=&statsPeriod=24h`, { token: tokens[name] }));
      expect(listed.map((i: { id: string }) => i.id)).toEqual([String((name === "a" ? issueA : issueB)!.id)]);
    }
    // B cannot open A's transaction through the link its own events carry the shape of
    const [eventA] = await eventsOf(issueA!.id);
    const idA = (eventA!.payload as { contexts: { performance_issue: { transaction_event_id: string } } }).contexts.performance_issue.transaction_event_id;
    const reply = await callApi("GET", `/api/0/organizations/${B.org.slug}/events/${A.project.slug}:${idA}/`, { token: tokens.b });
    expect(reply.status).toBe(404);
  }, 60_000);

  it("counts none of it as errors: not in the transaction's error counts, not against the error quota", async () => {
    for (const [name, t] of [["a", A], ["b", B]] as const) {
      expect(await db().transactionErrorStat.count({ where: { projectId: t.project.id } })).toBe(0);
      const groups = ok(
        await callApi("GET", `/api/0/organizations/${t.org.slug}/transaction-groups/?project=${t.project.id}&statsPeriod=1h`, { token: tokens[name] }),
      );
      expect(groups.find((g: { transaction: string }) => g.transaction === NAME)).toMatchObject({ errorCount: 0 });
    }
    // the minutes ingest counted in are flushed: transactions (and spans) were accepted, no error
    await flushOutcomes(Date.now() + 3 * 60_000);
    const usage = await db().outcomeCount.findMany({ where: { orgId: { in: [A.org.id, B.org.id] } } });
    expect(usage.filter((u) => u.category === "transaction" && u.outcome === "accepted").length).toBeGreaterThan(0);
    expect(usage.filter((u) => u.category === "error")).toEqual([]);
  });
});
