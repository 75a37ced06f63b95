import { beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { addToSketch, isFailedStatus, SKETCH_RELATIVE_ACCURACY, type Sketch } from "@/lib/performance/sketch";
import { packSketch } from "@/lib/performance/sketch-bytes";
import {
  listTransactionGroups,
  parseTransactionGroupQuery,
  transactionGroupDetail,
} from "@/lib/performance/summaries";
import { FRESH_MS, FRESH_OLD_MS } from "@/lib/performance/summary-cache";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi, parseLink } from "../support/api";
import { createOrgWithProject } from "../support/factories";
import { seededRandom as random } from "../support/hostile";

// The transactions list over stats rows shaped exactly as the worker writes them (count,
// duration_sum, failures and a sketch built with addToSketch, per group, hour or day,
// environment and release, upserted with the worker's merge; error counts per name): figures
// against the exact values of the transactions seeded, both resolutions, the current hour and
// late transactions in a sealed one, filters, sorts, paging, the chart of one group, the API's
// shape, bad input, and two orgs that never see each other's groups.
// tests/integration/performance-summaries-sdk.test.ts does it with what @sentry/node sends.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let A2: { id: number; slug: string };
const tokens = {} as Record<"a" | "b" | "aNoScope", string>;

const HOUR = 3_600_000;
const DAY = 86_400_000;
// Three whole hours, two days ago (whole days are read in the daily cases).
const H0 = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY + 6 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

type Tx = { durationMs: number; status: string; timestamp: number; environment: string; release: string };


/**
 * `n` transactions over hours H0..H0+3h: log-normal durations (median `medianMs`), a status
 * mix with Sentry's non-failures (ok, cancelled, unknown, none) and failures, two environments
 * and two releases. Durations within 1% of an Apdex boundary (T or 4T for T = 300 and 250) are
 * moved off it, so Apdex from the sketch is exact.
 */
function transactions(seed: number, n: number, medianMs: number, failureShare: number): Tx[] {
  const next = random(seed);
  const statuses = ["ok", "ok", "cancelled", "unknown", ""];
  const nearBoundary = (ms: number) => [250, 300, 1000, 1200].some((b) => Math.abs(ms - b) / b <= 0.011);
  return Array.from({ length: n }, () => {
    const gauss = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    let durationMs = medianMs * Math.exp(0.9 * gauss);
    while (nearBoundary(durationMs)) durationMs *= 1.03;
    const failed = next() < failureShare;
    return {
      durationMs,
      status: failed
        ? next() < 0.5
          ? "internal_error"
          : "deadline_exceeded"
        : statuses[Math.floor(next() * statuses.length)]!,
      timestamp: H0 + Math.floor(next() * 3 * HOUR),
      environment: next() < 0.7 ? "production" : "staging",
      release: next() < 0.5 ? "app@1.0" : "app@2.0",
    };
  });
}

type Group = { id: bigint; projectId: number; name: string; op: string; method: string; txs: Tx[] };

/** A group and its stats, per hour and per day, as lib/performance/store-stats.ts writes them. */
async function seedGroup(
  projectId: number,
  name: string,
  txs: Tx[],
  op = "http.server",
  method = "GET",
): Promise<Group> {
  const group = await db().transactionGroup.create({
    data: { projectId, name, op, method },
    select: { id: true },
  });
  await addStats(group.id, projectId, txs);
  return { id: group.id, projectId, name, op, method, txs };
}

/** Adds transactions to a group's stats as the worker's upsert does (sketches merged). */
async function addStats(groupId: bigint, projectId: number, txs: Tx[]): Promise<void> {
  const stats = new Map<
    string,
    {
      resolution: string;
      bucket: number;
      environment: string;
      release: string;
      count: number;
      sum: number;
      failures: number;
      sketch: Sketch;
    }
  >();
  for (const t of txs) {
    for (const [resolution, width] of [
      ["h", HOUR],
      ["d", DAY],
    ] as const) {
      const bucket = Math.floor(t.timestamp / width) * width;
      const key = `${resolution}|${bucket}|${t.environment}|${t.release}`;
      let s = stats.get(key);
      if (!s) {
        s = {
          resolution,
          bucket,
          environment: t.environment,
          release: t.release,
          count: 0,
          sum: 0,
          failures: 0,
          sketch: {},
        };
        stats.set(key, s);
      }
      s.count++;
      s.sum += t.durationMs;
      if (isFailedStatus(t.status)) s.failures++;
      addToSketch(s.sketch, t.durationMs);
    }
  }
  for (const s of stats.values()) {
    await db().$executeRaw`
      insert into transaction_stats (group_id, project_id, resolution, bucket, environment, release, count, duration_sum, failures, sketch)
      values (${groupId}, ${projectId}, ${s.resolution}, ${new Date(s.bucket)}, ${s.environment}, ${s.release}, ${s.count}, ${s.sum},
        ${s.failures}, ${packSketch(s.sketch)})
      on conflict (group_id, resolution, bucket, environment, release) do update set
        count = transaction_stats.count + excluded.count,
        duration_sum = transaction_stats.duration_sum + excluded.duration_sum,
        failures = transaction_stats.failures + excluded.failures,
        sketch = transaction_sketch_merge(transaction_stats.sketch, excluded.sketch)`;
  }
}

/** Error events of a transaction name, counted per hour and day as the worker counts them. */
async function seedErrors(
  projectId: number,
  name: string,
  at: number,
  count: number,
  environment = "production",
  release = "app@1.0",
) {
  await db().transactionErrorStat.createMany({
    data: (["h", "d"] as const).map((resolution) => ({
      projectId,
      resolution,
      bucket: new Date(
        Math.floor(at / (resolution === "h" ? HOUR : DAY)) * (resolution === "h" ? HOUR : DAY),
      ),
      name,
      environment,
      release,
      count,
    })),
  });
}

const nearestRank = (sorted: number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;

/** The figures of a set of transactions, computed from every duration. */
function exact(txs: Tx[], apdexT: number) {
  const sorted = txs.map((t) => t.durationMs).sort((a, b) => a - b);
  const satisfied = sorted.filter((d) => d <= apdexT).length;
  const tolerating = sorted.filter((d) => d > apdexT && d <= 4 * apdexT).length;
  return {
    count: txs.length,
    avgDuration: sorted.reduce((a, b) => a + b, 0) / txs.length,
    p50: nearestRank(sorted, 0.5),
    p75: nearestRank(sorted, 0.75),
    p95: nearestRank(sorted, 0.95),
    p99: nearestRank(sorted, 0.99),
    failureRate: txs.filter((t) => isFailedStatus(t.status)).length / txs.length,
    apdex: (satisfied + tolerating / 2) / txs.length,
  };
}

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;
const viewerOf = (t: Tenant) => ({ userId: t.user.id, orgId: t.org.id, role: "owner" as const });
const within = (actual: number | null, expected: number) =>
  expect(Math.abs(actual! - expected) / expected).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);

const groupsUrl = (t: Tenant, query: string) =>
  `/api/0/organizations/${t.org.slug}/transaction-groups/?${query}`;
const WINDOW = `start=${iso(H0)}&end=${iso(H0 + 3 * HOUR)}`;

let checkout: Group;
let slowReport: Group;
let flaky: Group;
let checkoutPost: Group;
let otherProject: Group;
let foreign: Group;

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  const second = await db().project.create({
    data: { orgId: A.org.id, slug: `second-${A.org.slug}`, name: "Second", apdexThresholdMs: 250 },
  });
  A2 = { id: second.id, slug: second.slug };
  tokens.a = await token(A, ["org:read"]);
  tokens.b = await token(B, ["event:read"]);
  tokens.aNoScope = await token(A, ["project:releases"]);

  checkout = await seedGroup(A.project.id, "GET /checkout", transactions(1, 3000, 80, 0.04));
  checkoutPost = await seedGroup(
    A.project.id,
    "GET /checkout",
    transactions(2, 400, 120, 0.02),
    "http.server",
    "POST",
  );
  slowReport = await seedGroup(A.project.id, "GET /reports/100%_done", transactions(3, 200, 2500, 0.01));
  flaky = await seedGroup(A.project.id, "task.sync", transactions(4, 500, 40, 0.3), "queue.task", "");
  otherProject = await seedGroup(A2.id, "GET /checkout", transactions(5, 700, 400, 0.05));
  foreign = await seedGroup(B.project.id, "GET /checkout", transactions(6, 900, 3000, 0.5));
  // Errors of /checkout: inside the window (production, app@1.0 and staging), before it, and of B.
  await seedErrors(A.project.id, "GET /checkout", H0 + 10 * 60_000, 7);
  await seedErrors(A.project.id, "GET /checkout", H0 + 70 * 60_000, 3, "staging");
  await seedErrors(A.project.id, "GET /checkout", H0 - 2 * DAY, 100);
  await seedErrors(B.project.id, "GET /checkout", H0 + 10 * 60_000, 1000);
});

describe("transaction groups: figures", () => {
  it("match the exact values of the transactions: counts, throughput, failure rate and Apdex exactly, percentiles within 1%", async () => {
    const { groups } = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(WINDOW)),
    );
    for (const g of [checkout, checkoutPost, slowReport, flaky, otherProject]) {
      const row = groups.find(
        (r) => r.transaction === g.name && r.method === g.method && r.project.id === String(g.projectId),
      );
      expect(row, g.name).toBeDefined();
      const want = exact(g.txs, g.projectId === A2.id ? 250 : 300);
      expect(row!.op).toBe(g.op);
      expect(row!.count).toBe(want.count);
      expect(row!.throughput).toBeCloseTo(want.count / 180, 12);
      expect(row!.avgDuration).toBeCloseTo(want.avgDuration, 6);
      within(row!.p50, want.p50);
      within(row!.p75, want.p75);
      within(row!.p95, want.p95);
      within(row!.p99, want.p99);
      expect(row!.failureRate).toBeCloseTo(want.failureRate, 12);
      expect(row!.apdex).toBeCloseTo(want.apdex, 12);
      // one count per hour of the window
      expect(row!.series).toHaveLength(3);
      expect(row!.series.reduce((a, b) => a + b, 0)).toBe(want.count);
      for (let h = 0; h < 3; h++)
        expect(row!.series[h]).toBe(
          g.txs.filter((t) => t.timestamp >= H0 + h * HOUR && t.timestamp < H0 + (h + 1) * HOUR).length,
        );
    }
    expect(groups.some((r) => r.count === foreign.txs.length)).toBe(false);
  });

  it("are the same from daily rows for a long period, over the days it really covers", async () => {
    const start = H0 - 5 * DAY;
    const end = H0 + 3 * HOUR;
    const { groups } = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(`start=${iso(start)}&end=${iso(end)}`)),
    );
    const row = groups.find(
      (r) => r.transaction === checkout.name && r.method === "GET" && r.project.id === String(A.project.id),
    )!;
    const want = exact(checkout.txs, 300);
    expect(row.count).toBe(want.count);
    within(row.p95, want.p95);
    expect(row.apdex).toBeCloseTo(want.apdex, 12);
    // whole days: from the start's day to the end of the end's day (in the past)
    const days = Math.ceil(end / DAY) - Math.floor(start / DAY);
    expect(row.series).toHaveLength(days);
    expect(row.throughput).toBeCloseTo(want.count / ((days * DAY) / 60_000), 12);
  });

  it("counts errors of the name in the period, environment and release", async () => {
    const all = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(WINDOW)),
    );
    const rowOf = (groups: typeof all.groups, method: string) =>
      groups.find(
        (r) =>
          r.transaction === "GET /checkout" && r.method === method && r.project.id === String(A.project.id),
      )!;
    expect(rowOf(all.groups, "GET").errorCount).toBe(10);
    // the name's errors do not say their method: both groups of the name show them
    expect(rowOf(all.groups, "POST").errorCount).toBe(10);
    expect(all.groups.find((r) => r.project.id === String(A2.id))!.errorCount).toBe(0);
    const prod = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(`${WINDOW}&environment=production`)),
    );
    expect(rowOf(prod.groups, "GET").errorCount).toBe(7);
    const release2 = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(`${WINDOW}&release=app@2.0`)),
    );
    expect(rowOf(release2.groups, "GET").errorCount).toBe(0);
  });

  it("filters by environment and release exactly", async () => {
    const { groups } = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(`${WINDOW}&environment=staging&release=app@2.0`)),
    );
    const row = groups.find((r) => r.transaction === flaky.name)!;
    const subset = flaky.txs.filter((t) => t.environment === "staging" && t.release === "app@2.0");
    const want = exact(subset, 300);
    expect(row.count).toBe(want.count);
    expect(row.failureRate).toBeCloseTo(want.failureRate, 12);
    within(row.p95, want.p95);
    const none = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(`${WINDOW}&environment=nowhere`)),
    );
    expect(none.groups).toEqual([]);
  });

  it("lists nothing for a period without transactions", async () => {
    const { groups } = await listTransactionGroups(
      viewerOf(A),
      parseTransactionGroupQuery(new URLSearchParams(`start=${iso(H0 - 3 * HOUR)}&end=${iso(H0)}`)),
    );
    expect(groups).toEqual([]);
  });
});

describe("transaction groups: sketch accuracy at scale", () => {
  it("reads p50-p99 of 100,000 durations within 1% through the whole read path, and prints the errors measured", async () => {
    const C = await createOrgWithProject();
    const next = random(11);
    const shapes = { lognormal: [] as Tx[], bimodal: [] as Tx[] };
    for (const [shape, list] of Object.entries(shapes)) {
      for (let i = 0; i < 100_000; i++) {
        const gauss = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
        const median = shape === "bimodal" && next() < 0.7 ? 4 : 120;
        list.push({
          durationMs: median * Math.exp(0.8 * gauss),
          status: "ok",
          timestamp: H0 + Math.floor(next() * 3 * HOUR),
          environment: next() < 0.5 ? "production" : "staging",
          release: "app@1.0",
        });
      }
      await seedGroup(C.project.id, `GET /${shape}`, list);
    }
    const { groups } = await listTransactionGroups(
      viewerOf(C),
      parseTransactionGroupQuery(new URLSearchParams(WINDOW)),
    );
    const errors: string[] = [];
    for (const [shape, list] of Object.entries(shapes)) {
      const row = groups.find((g) => g.transaction === `GET /${shape}`)!;
      const want = exact(list, 300);
      expect(row.count).toBe(100_000);
      const measured = (["p50", "p75", "p95", "p99"] as const).map((q) => {
        const error = Math.abs(row[q]! - want[q]) / want[q];
        expect(error, `${shape} ${q}`).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);
        return `${q} ${(error * 100).toFixed(3)}%`;
      });
      errors.push(`${shape}: ${measured.join(", ")}`);
    }
    console.log(
      `relative error against the exact nearest-rank values, 100,000 durations each: ${errors.join("; ")}`,
    );
  });
});

describe("transaction groups: fresh figures", () => {
  it("reads the current hour every time, a sealed bucket's late transactions within FRESH_MS (FRESH_OLD_MS an hour after it)", async () => {
    const hourNow = Math.floor(Date.now() / HOUR) * HOUR;
    // half past the current hour: the last hour is sealed and ended half an hour ago
    const now = hourNow + 30 * 60_000;
    const at = (ms: number, n: number): Tx[] =>
      Array.from({ length: n }, () => ({
        durationMs: 50,
        status: "ok",
        timestamp: ms,
        environment: "production",
        release: "app@1.0",
      }));
    const group = await seedGroup(A2.id, "GET /fresh", [
      ...at(hourNow - HOUR + 60_000, 10),
      ...at(now - 1000, 5),
    ]);
    // sorted by p95: the sort that reads every unit's figures and keeps the sealed ones (the
    // others read totals of what is not kept, and keep nothing)
    const count = async (period: string, when: number) =>
      (
        await listTransactionGroups(
          viewerOf(A),
          parseTransactionGroupQuery(
            new URLSearchParams(`statsPeriod=${period}&query=fresh&sort=-p95`),
            when,
          ),
          when,
        )
      ).groups[0]!.count;
    const both = async (when: number) => [await count("24h", when), await count("14d", when)];
    expect(await both(now)).toEqual([15, 15]);
    // more of the current hour: seen at once
    await addStats(group.id, A2.id, at(now - 1000, 3));
    expect(await both(now)).toEqual([18, 18]);
    // late ones of the last hour: the kept figures until they are FRESH_MS old, then these
    await addStats(group.id, A2.id, at(hourNow - HOUR + 60_000, 4));
    expect(await both(now + 1000)).toEqual([18, 18]);
    expect(await both(now + FRESH_MS + 1)).toEqual([22, 22]);
    // a bucket that ended over an hour ago (read, empty, at `now`) is kept for FRESH_OLD_MS
    await addStats(group.id, A2.id, at(hourNow - 3 * DAY, 7));
    expect(await count("14d", now + FRESH_MS + 2)).toBe(22);
    expect(await count("14d", now + FRESH_OLD_MS + 1)).toBe(29);
  });
});

describe("transaction groups: sorting, search and paging", () => {
  const keyOf = (r: { transaction: string; method: string; project: { id: string } }) =>
    `${r.project.id} ${r.method} ${r.transaction}`;
  const all = () => [checkout, checkoutPost, slowReport, flaky, otherProject];

  it("sorts by count (the default), throughput, p95 and failure rate", async () => {
    const order = async (sort: string) =>
      (
        await listTransactionGroups(
          viewerOf(A),
          parseTransactionGroupQuery(new URLSearchParams(`${WINDOW}${sort}`)),
        )
      ).groups.map(keyOf);
    const expected = (key: (g: Group) => number) =>
      [...all()].sort((a, b) => key(b) - key(a)).map((g) => `${g.projectId} ${g.method} ${g.name}`);
    expect(await order("")).toEqual(expected((g) => g.txs.length));
    expect(await order("&sort=-throughput")).toEqual(expected((g) => g.txs.length));
    expect(await order("&sort=-p95")).toEqual(expected((g) => exact(g.txs, 300).p95));
    expect(await order("&sort=-failureRate")).toEqual(expected((g) => exact(g.txs, 300).failureRate));
  });

  it("finds names by a part of them, case-insensitive, with % and _ taken literally", async () => {
    const find = async (query: string) =>
      (
        await listTransactionGroups(
          viewerOf(A),
          parseTransactionGroupQuery(new URLSearchParams({ start: iso(H0), end: iso(H0 + 3 * HOUR), query })),
        )
      ).groups.map((r) => r.transaction);
    expect(new Set(await find("CHECK"))).toEqual(new Set(["GET /checkout"]));
    expect(await find("100%_d")).toEqual([slowReport.name]);
    expect(await find("1000%")).toEqual([]);
    expect(await find("_")).toEqual([slowReport.name]);
  });

  it("filters by project id or slug; another org's project is not found", async () => {
    const ids = async (query: string, t: Tenant = A) =>
      (
        await listTransactionGroups(
          viewerOf(t),
          parseTransactionGroupQuery(new URLSearchParams(`${WINDOW}&${query}`)),
        )
      ).groups.map((r) => r.project.id);
    expect(new Set(await ids(`project=${A2.id}`))).toEqual(new Set([String(A2.id)]));
    expect(new Set(await ids(`project=${A2.slug}`))).toEqual(new Set([String(A2.id)]));
    expect(new Set(await ids(`project=${A.project.id}&project=${A2.slug}`))).toEqual(
      new Set([String(A.project.id), String(A2.id)]),
    );
    expect((await ids("project=-1")).length).toBe(5);
    await expect(ids(`project=${B.project.id}`)).rejects.toMatchObject({ code: "not_found" });
    await expect(ids(`project=${B.project.slug}`)).rejects.toMatchObject({ code: "not_found" });
    await expect(ids(`project=${A.project.id}`, B)).rejects.toMatchObject({ code: "not_found" });
    await expect(ids("project=99999999999")).rejects.toMatchObject({ code: "not_found" });
  });

  it("pages through the API with Sentry's Link header, every group once", async () => {
    const seen: string[] = [];
    let url = groupsUrl(A, `${WINDOW}&sort=-p95&per_page=2`);
    for (let page = 0; page < 5; page++) {
      const reply = await callApi("GET", url, { token: tokens.a });
      expect(reply.status, reply.body).toBe(200);
      seen.push(...reply.json().map(keyOf));
      const link = parseLink(reply.headers.get("link"));
      expect(link.previous!.results).toBe(page > 0);
      if (!link.next!.results) break;
      url = link.next!.url;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    const first = await callApi("GET", groupsUrl(A, `${WINDOW}&sort=-p95`), { token: tokens.a });
    expect(first.json().map(keyOf)).toEqual(seen);
  });
});

describe("transaction groups: one group's chart", () => {
  it("has per-hour figures and the list's summary; null op and method merge the name's groups", async () => {
    const filter = { environment: null, release: null, start: new Date(H0), end: new Date(H0 + 3 * HOUR) };
    const detail = await transactionGroupDetail(
      viewerOf(A),
      { projectId: A.project.id, transaction: "GET /checkout", op: "http.server", method: "GET" },
      filter,
    );
    const want = exact(checkout.txs, 300);
    expect(detail!.summary).toMatchObject({
      transaction: "GET /checkout",
      op: "http.server",
      method: "GET",
      count: want.count,
      errorCount: 10,
    });
    within(detail!.summary.p95, want.p95);
    expect(detail!.series.map((p) => p.bucket)).toEqual([0, 1, 2].map((h) => iso(H0 + h * HOUR)));
    for (const [h, point] of detail!.series.entries()) {
      const hour = checkout.txs.filter(
        (t) => t.timestamp >= H0 + h * HOUR && t.timestamp < H0 + (h + 1) * HOUR,
      );
      const w = exact(hour, 300);
      expect(point.count).toBe(w.count);
      expect(point.avgDuration).toBeCloseTo(w.avgDuration, 6);
      within(point.p50, w.p50);
      within(point.p95, w.p95);
      expect(point.failureRate).toBeCloseTo(w.failureRate, 12);
    }
    const both = await transactionGroupDetail(
      viewerOf(A),
      { projectId: A.project.id, transaction: "GET /checkout", op: null, method: null },
      filter,
    );
    expect(both!.summary).toMatchObject({
      op: "http.server",
      method: "",
      count: checkout.txs.length + checkoutPost.txs.length,
    });
    within(both!.summary.p99, exact([...checkout.txs, ...checkoutPost.txs], 300).p99);
  });

  it("is null for an unknown name and for another org's project", async () => {
    const filter = { environment: null, release: null, start: new Date(H0), end: new Date(H0 + 3 * HOUR) };
    const ref = { projectId: A.project.id, transaction: "GET /checkout", op: null, method: null };
    expect(
      await transactionGroupDetail(viewerOf(A), { ...ref, transaction: "GET /nothing" }, filter),
    ).toBeNull();
    expect(await transactionGroupDetail(viewerOf(B), ref, filter)).toBeNull();
    expect(await transactionGroupDetail(viewerOf(A), { ...ref, projectId: B.project.id }, filter)).toBeNull();
  });
});

describe("GET /api/0/organizations/{org}/transaction-groups/", () => {
  it("answers Sentry's shape with durations in ms", async () => {
    const reply = await callApi("GET", groupsUrl(A, `${WINDOW}&project=${A2.id}`), { token: tokens.a });
    expect(reply.status, reply.body).toBe(200);
    const [row] = reply.json();
    expect(Object.keys(row).sort()).toEqual(
      [
        "apdex",
        "avgDuration",
        "count",
        "errorCount",
        "failureRate",
        "method",
        "op",
        "p50",
        "p75",
        "p95",
        "p99",
        "project",
        "throughput",
        "transaction",
      ].sort(),
    );
    expect(row.project).toEqual({ id: String(A2.id), slug: A2.slug });
    expect(row.count).toBe(otherProject.txs.length);
    within(row.p50, exact(otherProject.txs, 250).p50);
  });

  it("keeps tenants apart: another org's slug, project or token is a 404; B sees only its own", async () => {
    expect((await callApi("GET", groupsUrl(A, WINDOW), { token: tokens.b })).status).toBe(404);
    expect(
      (await callApi("GET", groupsUrl(A, `${WINDOW}&project=${B.project.id}`), { token: tokens.a })).status,
    ).toBe(404);
    expect(
      (await callApi("GET", groupsUrl(A, `${WINDOW}&project=${B.project.slug}`), { token: tokens.a })).status,
    ).toBe(404);
    expect(
      (await callApi("GET", groupsUrl(B, `${WINDOW}&project=${A.project.id}`), { token: tokens.b })).status,
    ).toBe(404);
    const mine = await callApi("GET", groupsUrl(B, WINDOW), { token: tokens.b });
    expect(mine.status).toBe(200);
    expect(mine.json()).toHaveLength(1);
    expect(mine.json()[0]).toMatchObject({
      project: { id: String(B.project.id) },
      count: foreign.txs.length,
      errorCount: 1000,
    });
  });

  it("refuses bad input with a 400 and a token without the scope with a 403", async () => {
    for (const query of [
      "statsPeriod=abc",
      "statsPeriod=0d",
      `start=${iso(H0)}&end=${iso(H0 - HOUR)}`,
      `start=${iso(H0)}`,
      "statsPeriod=24h&start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z",
      "sort=-name",
      "sort=-p95&sort=-count",
      "cursor=nonsense",
      "per_page=0",
      "per_page=101",
      "project=a%20b",
      "environment=%00",
      `query=${"x".repeat(201)}`,
      "statsPeriod=5000d",
    ]) {
      const reply = await callApi("GET", groupsUrl(A, query), { token: tokens.a });
      expect(reply.status, `${query}: ${reply.body}`).toBe(400);
    }
    expect((await callApi("GET", groupsUrl(A, WINDOW), { token: tokens.aNoScope })).status).toBe(403);
    expect((await callApi("GET", groupsUrl(A, WINDOW))).status).toBe(401);
  });
});
