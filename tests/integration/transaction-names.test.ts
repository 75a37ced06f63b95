import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlRows } from "@/lib/db";
import { MAX_GROUPS_PER_PROJECT } from "@/lib/performance/group-bound";
import { UNPARAMETERIZED } from "@/lib/performance/transaction-name";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { drainAll, eventIdInLane } from "../support/drain";
import { envelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { type Running, start } from "../support/processes";
import { nodeTransaction } from "../support/transactions";

// Transaction names, through the real ingest and the drain. URL-sourced names have their ids
// scrubbed as Relay does: from the official @sentry/node 11 at its defaults (span streaming)
// instrumenting a bare HTTP server (tests/support/traced-api.mjs, GET /api/orders/<id>: no
// router, so the SDK names the request after its URL), and from transaction items of each
// source. Each project holds at most MAX_GROUPS_PER_PROJECT groups: past that a new name is
// stored under Sentry's placeholder, and nothing of the batch fails. Two orgs throughout.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Row = {
  event_id: string;
  name: string;
  op: string;
  method: string;
  group_name: string;
  payload: Record<string, unknown>;
};

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

const groupsOf = (projectId: number) =>
  sqlRows<{ name: string; op: string; method: string }>`
    select name, op, method from transaction_groups where project_id = ${projectId} order by name collate "C", op, method`;
const rowsOf = (projectId: number) =>
  sqlRows<Row>`
    select t.event_id, t.name, t.op, t.method, g.name as group_name, t.payload
    from transactions t join transaction_groups g on g.id = t.group_id
    where t.project_id = ${projectId} order by t.name collate "C", t.event_id`;
const hourlyCounts = (projectId: number) =>
  sqlRows<{ name: string; op: string; method: string; count: number }>`
    select g.name, g.op, g.method, sum(s.count)::int as count
    from transaction_stats s join transaction_groups g on g.id = s.group_id
    where s.project_id = ${projectId} and s.resolution = 'h' group by g.name, g.op, g.method order by g.name collate "C", g.op, g.method`;
const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;

async function sendTransactions(t: Tenant, transactions: Record<string, unknown>[]) {
  const url = `${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`;
  for (const transaction of transactions) {
    const body = envelope({ event_id: transaction.event_id }, [
      { type: "transaction", payload: JSON.stringify(transaction) },
    ]);
    const reply = await send(url, { body });
    expect(reply.status, reply.body).toBe(200);
  }
}

/**
 * A typical Node transaction (tests/support/transactions.ts) under another name, source, op and
 * method; in lane 0, so that one drain batch holds all of a test's transactions.
 */
function transaction(name: string, options: { source?: string; op?: string; method?: string } = {}) {
  const t = nodeTransaction(0) as ReturnType<typeof nodeTransaction> & Record<string, unknown>;
  const method = options.method ?? "GET";
  return {
    ...t,
    event_id: eventIdInLane(0),
    transaction: name,
    transaction_info: options.source === undefined ? undefined : { source: options.source },
    request: method ? { ...t.request, method } : undefined,
    contexts: {
      ...t.contexts,
      trace: {
        ...t.contexts.trace,
        op: options.op ?? "http.server",
        data: { ...t.contexts.trace.data, "http.request.method": method || undefined },
      },
    },
  };
}

describe("URL-named transactions from @sentry/node (span streaming)", () => {
  const ORDER_IDS = ["81723", "81724", "5f2c8a0e-1b2c-4d3e-8f9a-0b1c2d3e4f5a"];
  let A: Tenant;
  let B: Tenant;
  const servers: Running[] = [];
  const tokens = {} as Record<"a" | "b", string>;

  async function requestOrders(t: Tenant, ids: string[]) {
    const dsn = `${ingest.base.replace("//", `//${t.key.publicKey}@`)}/${t.project.id}`;
    const server = start(
      process.execPath,
      ["--import", "./tests/support/traced-api-instrument.mjs", "tests/support/traced-api.mjs"],
      {
        SENTRY_DSN: dsn,
      },
    );
    servers.push(server);
    const [, port] = await server.waitFor(/listening (\d+)/);
    for (const [i, id] of ids.entries()) {
      // the first order fails: its error names the transaction with the id in it
      const reply = await fetch(`http://127.0.0.1:${port}/api/orders/${id}${i === 0 ? "?fail=1" : ""}`);
      expect(await reply.json()).toEqual({ id });
    }
    // SIGTERM flushes what the SDK holds (traced-api.mjs)
    expect((await server.stop("SIGTERM")).code, server.output()).toBe(0);
    await drainAll(t.project.id);
  }

  beforeAll(async () => {
    [A, B] = await Promise.all([createOrgWithProject(), createOrgWithProject()]);
    tokens.a = await token(A, ["event:read"]);
    tokens.b = await token(B, ["event:read"]);
    await Promise.all([requestOrders(A, ORDER_IDS), requestOrders(B, ["4410"])]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop("SIGKILL")));
  });

  it("groups them under one name with the ids scrubbed; each keeps its URL and the name it was sent with", async () => {
    expect(await groupsOf(A.project.id)).toEqual([
      { name: "GET /api/orders/*", op: "http.server", method: "GET" },
    ]);
    const rows = await rowsOf(A.project.id);
    expect(rows).toHaveLength(3);
    const sentNames = rows.map((r) => (r.payload.transaction_info as { original: string }).original).sort();
    expect(sentNames).toEqual(ORDER_IDS.map((id) => `GET /api/orders/${id}`).sort());
    for (const row of rows) {
      expect(row).toMatchObject({
        name: "GET /api/orders/*",
        group_name: "GET /api/orders/*",
        method: "GET",
      });
      const info = row.payload.transaction_info as { source: string; original: string };
      expect(info.source).toBe("sanitized");
      expect(row.payload.transaction).toBe("GET /api/orders/*");
      expect((row.payload.request as { url: string }).url).toContain(info.original.slice("GET ".length));
      expect(row.payload.tags).toContainEqual(["transaction", "GET /api/orders/*"]);
    }
    expect(await hourlyCounts(A.project.id)).toEqual([
      { name: "GET /api/orders/*", op: "http.server", method: "GET", count: 3 },
    ]);
    expect(await groupsOf(B.project.id)).toEqual([
      { name: "GET /api/orders/*", op: "http.server", method: "GET" },
    ]);
  });

  it("lists the one group through the API, to its own org only", async () => {
    const url = (t: Tenant, query: string) =>
      `/api/0/organizations/${t.org.slug}/transaction-groups/?${query}`;
    const reply = await callApi("GET", url(A, `project=${A.project.id}&statsPeriod=1h`), { token: tokens.a });
    expect(reply.status, reply.body).toBe(200);
    expect(reply.json()).toMatchObject([
      // the error's raw name is counted under the scrubbed one too (error-stats.ts)
      { transaction: "GET /api/orders/*", op: "http.server", method: "GET", count: 3, errorCount: 1 },
    ]);
    expect((await callApi("GET", url(A, "statsPeriod=1h"), { token: tokens.b })).status).toBe(404);
    expect(
      (await callApi("GET", url(B, `project=${A.project.id}&statsPeriod=1h`), { token: tokens.b })).status,
    ).toBe(404);
    const theirs = await callApi("GET", url(B, "statsPeriod=1h"), { token: tokens.b });
    expect(theirs.json()).toMatchObject([{ transaction: "GET /api/orders/*", count: 1 }]);
  });
});

describe("transaction items by the source of their name", () => {
  let A: Tenant;

  beforeAll(async () => {
    A = await createOrgWithProject();
    await sendTransactions(A, [
      transaction("GET /api/invoices/20231", { source: "url" }),
      transaction("GET /api/invoices/20232", { source: "url" }),
      // sanitized by a relay in front: scrubbed again, keeping the original it came with
      {
        ...transaction("GET /api/invoices/*/lines/77", { source: "sanitized" }),
        transaction_info: { source: "sanitized", original: "GET /api/invoices/9/lines/77" },
      },
      // a route is a template, digits and all
      transaction("GET /api/v10/items/:id", { source: "route" }),
      transaction("GET /api/v10/items/:id", { source: "custom" }),
      // older SDKs send no source: only the SDK knows a name is a URL
      transaction("GET /legacy/12345"),
    ]);
    await drainAll(A.project.id);
  });

  it("scrubs the names whose source is url (or sanitized) and keeps the others as sent", async () => {
    expect((await groupsOf(A.project.id)).map((g) => g.name)).toEqual([
      "GET /api/invoices/*",
      "GET /api/invoices/*/lines/*",
      "GET /api/v10/items/:id",
      "GET /legacy/12345",
    ]);
    const byName = new Map<string, Row[]>();
    for (const row of await rowsOf(A.project.id))
      byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
    expect(byName.get("GET /api/invoices/*")!.map((r) => r.payload.transaction_info)).toEqual(
      expect.arrayContaining([
        { source: "sanitized", original: "GET /api/invoices/20231" },
        { source: "sanitized", original: "GET /api/invoices/20232" },
      ]),
    );
    expect(byName.get("GET /api/invoices/*/lines/*")![0]!.payload.transaction_info).toEqual({
      source: "sanitized",
      original: "GET /api/invoices/9/lines/77",
    });
    expect(byName.get("GET /api/v10/items/:id")!.map((r) => r.payload.transaction_info)).toEqual(
      expect.arrayContaining([{ source: "route" }, { source: "custom" }]),
    );
    expect(byName.get("GET /legacy/12345")![0]!.payload.transaction_info).toBeUndefined();
  });
});

describe("the bound on transaction groups per project", () => {
  let A: Tenant;
  let B: Tenant;
  const minted = [1, 2, 3, 4, 5, 6].map((n) => transaction(`GET /minted/${n}`));
  const job = transaction("job-7", { op: "queue.process", method: "" });

  /** `count` groups of names no transaction has, as the worker makes them. */
  const seedGroups = (projectId: number, count: number, name = "GET /seeded/", op = "http.server") =>
    sqlRows`
      insert into transaction_groups (project_id, name, op, method)
      select ${projectId}::int, ${name}::text || n, ${op}::text, 'GET' from generate_series(1, ${count}::int) n`;

  beforeAll(async () => {
    [A, B] = await Promise.all([createOrgWithProject(), createOrgWithProject()]);
    // two groups short of the bound
    await seedGroups(A.project.id, MAX_GROUPS_PER_PROJECT - 2);
    await sendTransactions(A, [...minted, job]);
    await sendTransactions(B, [transaction("GET /minted/1")]);
    await Promise.all([drainAll(A.project.id), drainAll(B.project.id)]);
  }, 60_000);

  it("stores every transaction; past the bound a new name goes to the placeholder of its op and method", async () => {
    const groups = await groupsOf(A.project.id);
    expect(groups).toHaveLength(MAX_GROUPS_PER_PROJECT + 2);
    // in key order, the first two new names took the last two places
    expect(groups.filter((g) => !g.name.startsWith("GET /seeded/"))).toEqual([
      { name: "<< unparameterized >>", op: "http.server", method: "GET" },
      { name: "<< unparameterized >>", op: "queue.process", method: "" },
      { name: "GET /minted/1", op: "http.server", method: "GET" },
      { name: "GET /minted/2", op: "http.server", method: "GET" },
    ]);
    // each row keeps its own name (its document too); only its group is the placeholder
    expect((await rowsOf(A.project.id)).map((r) => [r.name, r.group_name, r.payload.transaction])).toEqual([
      ["GET /minted/1", "GET /minted/1", "GET /minted/1"],
      ["GET /minted/2", "GET /minted/2", "GET /minted/2"],
      ["GET /minted/3", UNPARAMETERIZED, "GET /minted/3"],
      ["GET /minted/4", UNPARAMETERIZED, "GET /minted/4"],
      ["GET /minted/5", UNPARAMETERIZED, "GET /minted/5"],
      ["GET /minted/6", UNPARAMETERIZED, "GET /minted/6"],
      ["job-7", UNPARAMETERIZED, "job-7"],
    ]);
    // the placeholder's figures count what it holds
    expect(await hourlyCounts(A.project.id)).toEqual([
      { name: UNPARAMETERIZED, op: "http.server", method: "GET", count: 4 },
      { name: UNPARAMETERIZED, op: "queue.process", method: "", count: 1 },
      { name: "GET /minted/1", op: "http.server", method: "GET", count: 1 },
      { name: "GET /minted/2", op: "http.server", method: "GET", count: 1 },
    ]);
  });

  it("changes nothing when the same transactions come again, and keeps known names in their groups", async () => {
    await sendTransactions(A, [...minted, job]);
    await sendTransactions(A, [{ ...transaction("GET /minted/2"), event_id: eventIdInLane(0) }]);
    await drainAll(A.project.id);
    expect(await groupsOf(A.project.id)).toHaveLength(MAX_GROUPS_PER_PROJECT + 2);
    expect(await hourlyCounts(A.project.id)).toEqual([
      { name: UNPARAMETERIZED, op: "http.server", method: "GET", count: 4 },
      { name: UNPARAMETERIZED, op: "queue.process", method: "", count: 1 },
      { name: "GET /minted/1", op: "http.server", method: "GET", count: 1 },
      { name: "GET /minted/2", op: "http.server", method: "GET", count: 2 },
    ]);
  });

  it("bounds another org's project on its own", async () => {
    expect(await groupsOf(B.project.id)).toEqual([
      { name: "GET /minted/1", op: "http.server", method: "GET" },
    ]);
  });

  it("past the placeholders' own reserve, sends a name of a new op to the placeholder without op or method", async () => {
    const C = await createOrgWithProject();
    await seedGroups(C.project.id, MAX_GROUPS_PER_PROJECT);
    // the reserve of 100 placeholder groups, all taken (one per op)
    await seedGroups(C.project.id, 100, "", `${UNPARAMETERIZED}`);
    await sqlRows`
      update transaction_groups set op = 'op-' || name, name = ${UNPARAMETERIZED}
      where project_id = ${C.project.id} and op = ${UNPARAMETERIZED}`;
    await sendTransactions(C, [
      transaction("GET /minted/1"),
      transaction("cron-1", { op: "cron", method: "" }),
    ]);
    await drainAll(C.project.id);
    expect(await groupsOf(C.project.id)).toHaveLength(MAX_GROUPS_PER_PROJECT + 101);
    expect(await hourlyCounts(C.project.id)).toEqual([
      { name: UNPARAMETERIZED, op: "", method: "", count: 2 },
    ]);
    expect((await rowsOf(C.project.id)).map((r) => r.name)).toEqual(["GET /minted/1", "cron-1"]);
  });
});
