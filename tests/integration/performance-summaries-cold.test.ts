import { beforeAll, describe, expect, it } from "vitest";
import { db, sqlTransaction } from "@/lib/db";
import {
  type TransactionGroupListItem,
  listTransactionGroups,
  parseTransactionGroupQuery,
} from "@/lib/performance/summaries";
import { sketchValue } from "@/lib/performance/sketch";
import { packSketch } from "@/lib/performance/sketch-bytes";
import { forgetUnitFigures, keptFigureBytes, setKeptFigureLimit } from "@/lib/performance/summary-cache";
import { type StatInput, upsertTransactionStats } from "@/lib/performance/store-stats";
import { createOrgWithProject } from "../support/factories";
import { seededRandom as random } from "../support/hostile";

// The transactions list sorted by count, throughput or failure rate reads, for units the
// process does not keep, only totals for every group and the rows of the page's groups
// (lib/performance/summary-rank.ts). Its pages must be exactly those of the full path (every
// unit's figures with sketches, what the p95 sort reads): the same groups, in the same order,
// with the same numbers, series and percentiles, cold and with the sealed units kept, for
// filters, paging and both resolutions, and never another org's groups.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let A2: number;

const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.now();


type Group = { id: string; projectId: number; name: string; op: string; method: string; count: number };
const groups: Group[] = [];

/**
 * A group with `n` transactions over the last six days up to the current hour. Durations are
 * multiples of 1/1024 ms: their sums are exact in any order, so the list's average duration
 * (summed per unit in PostgreSQL or in this process) can be compared exactly.
 */
async function seedGroup(projectId: number, name: string, n: number, seed: number, method = "GET") {
  const group = await db().transactionGroup.create({
    data: { projectId, name, op: "http.server", method },
    select: { id: true },
  });
  const next = random(seed);
  const failShare = (seed % 4) * 0.1;
  const statuses = ["ok", "cancelled", "unknown", "internal_error", "deadline_exceeded"];
  const txs: StatInput[] = Array.from({ length: n }, () => ({
    groupId: String(group.id),
    timestamp: new Date(NOW - 1000 - Math.floor(next() ** 2 * 6 * DAY)),
    durationMs: Math.round(20 * Math.exp(3 * next()) * 1024) / 1024,
    status: next() < failShare ? statuses[3 + Math.floor(next() * 2)]! : statuses[Math.floor(next() * 3)]!,
    environment: next() < 0.6 ? "production" : "staging",
    release: next() < 0.5 ? "app@1" : "app@2",
  }));
  await sqlTransaction((tx) => upsertTransactionStats(tx, projectId, txs));
  groups.push({ id: String(group.id), projectId, name, op: "http.server", method, count: n });
}

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  A2 = (
    await db().project.create({
      data: { orgId: A.org.id, slug: `cold-${A.org.slug}`, name: "Cold", apdexThresholdMs: 250 },
    })
  ).id;
  // counts repeat (ties go to the newest group) and failure shares too
  for (let i = 0; i < 24; i++)
    await seedGroup(
      i % 3 === 0 ? A2 : A.project.id,
      i % 5 === 0 ? `GET /checkout/${i}` : `GET /api/${i}`,
      20 + (i % 5) * 15,
      i + 1,
    );
  for (let i = 0; i < 6; i++) await seedGroup(B.project.id, `GET /checkout/${i}`, 300 + i, 100 + i, "POST");
});

const groupOf = (g: TransactionGroupListItem) =>
  groups.find(
    (x) => String(x.projectId) === g.project.id && x.name === g.transaction && x.method === g.method,
  )!;

const list = async (tenant: Tenant, query: string) =>
  (
    await listTransactionGroups(
      viewerOf(tenant),
      parseTransactionGroupQuery(new URLSearchParams(query), NOW),
      NOW,
    )
  ).groups;
const viewerOf = (t: Tenant) => ({ userId: t.user.id, orgId: t.org.id, role: "owner" as const });

/**
 * The page the full path gives: every group's figures read with their sketches (sorted by
 * p95, all on one page), sorted here by the key, ties by newest group, and paged.
 */
async function fullPath(tenant: Tenant, query: string, sort: string, offset: number, perPage: number) {
  const all = await list(tenant, `${query}&sort=-p95&per_page=100`);
  const key =
    sort === "-failureRate"
      ? (g: TransactionGroupListItem) => g.failureRate
      : (g: TransactionGroupListItem) => g.count;
  return all
    .sort((a, b) => key(b) - key(a) || Number(BigInt(groupOf(b).id) - BigInt(groupOf(a).id)))
    .slice(offset, offset + perPage);
}

const QUERIES = [
  "statsPeriod=24h",
  "statsPeriod=7d",
  `start=${new Date(NOW - 2 * DAY - 5 * HOUR).toISOString()}&end=${new Date(NOW - 3 * HOUR).toISOString()}`,
  "statsPeriod=24h&environment=production",
  "statsPeriod=7d&environment=staging&release=app@2",
  "statsPeriod=7d&query=checkout",
];

describe("transaction groups sorted by totals: the page read cold equals the full path's", () => {
  for (const sort of ["-count", "-throughput", "-failureRate"])
    it(`sort=${sort}: same groups, order and figures, cold and with kept units, paged, hourly and daily`, async () => {
      for (const query of QUERIES) {
        for (const [offset, perPage] of [
          [0, 100],
          [0, 7],
          [7, 7],
        ] as const) {
          const page = `${query}&sort=${sort}&per_page=${perPage}&cursor=0:${offset}:0`;
          const expected = await fullPath(A, query, sort, offset, perPage);
          forgetUnitFigures();
          const cold = await list(A, page);
          // a list sorted by totals keeps nothing: it never reads every sketch to fill the cache
          expect(keptFigureBytes()).toBe(0);
          expect(cold).toEqual(expected);
          // the name search finds 5 groups: its page 2 is empty, and no other page is
          if (!(query.includes("query=") && offset > 0)) expect(cold.length).toBeGreaterThan(0);
          // with every sealed unit kept (a p95 list filled them), the current hour read as totals
          await list(A, `${query}&sort=-p95&per_page=100`);
          expect(keptFigureBytes()).toBeGreaterThan(0);
          expect(await list(A, page)).toEqual(expected);
        }
      }
    });

  it("counts every seeded transaction once and lists only the org's own groups, for each org", async () => {
    forgetUnitFigures();
    const a = await list(A, "statsPeriod=7d&per_page=100");
    const b = await list(B, "statsPeriod=7d&per_page=100");
    for (const [tenant, page] of [
      [A, a],
      [B, b],
    ] as const) {
      const own = groups.filter((g) =>
        tenant === A ? g.projectId === A.project.id || g.projectId === A2 : g.projectId === B.project.id,
      );
      expect(page.map((g) => `${g.project.id} ${g.transaction} ${g.count}`).sort()).toEqual(
        own.map((g) => `${g.projectId} ${g.name} ${g.count}`).sort(),
      );
      for (const g of page) expect(g.series.reduce((x, y) => x + y, 0)).toBe(g.count);
    }
    // A's page 2 of 7 cold is its full list's positions 7 to 13
    forgetUnitFigures();
    const second = await list(A, "statsPeriod=7d&per_page=7&cursor=0:7:0");
    expect(second.map(groupOf).map((g) => g.id)).toEqual(
      a
        .slice(7, 14)
        .map(groupOf)
        .map((g) => g.id),
    );
  });
});

describe("kept figures", () => {
  it("keep a sketch bucket's count beyond 32 bits exactly (the narrow arrays are only used when every count fits)", async () => {
    const C = await createOrgWithProject();
    const group = await db().transactionGroup.create({
      data: { projectId: C.project.id, name: "GET /huge", op: "http.server", method: "GET" },
      select: { id: true },
    });
    const day = Math.floor((NOW - 2 * DAY) / DAY) * DAY;
    // three environments' rows of one day (a stored bucket holds up to 2^31 - 1): bucket 100
    // sums to 2^32, one more than a Uint32 holds
    for (const [environment, sketch] of [
      ["production", { 100: 2 ** 31 - 1 }],
      ["staging", { 100: 2 ** 31 - 1 }],
      ["qa", { 100: 2, 200: 2 }],
    ] as const)
      await db().$executeRaw`
        insert into transaction_stats (group_id, project_id, resolution, bucket, environment, release, count, duration_sum, failures, sketch)
        values (${group.id}, ${C.project.id}, 'd', ${new Date(day)}, ${environment}, '', 1, 1, 0, ${packSketch(sketch)})`;
    forgetUnitFigures();
    const [cold] = await list(C, "statsPeriod=7d&sort=-p95");
    expect(keptFigureBytes()).toBeGreaterThan(0);
    const [kept] = await list(C, "statsPeriod=7d&sort=-p95");
    // 2^32 + 2 durations, all but 2 in bucket 100: every percentile is bucket 100's value
    expect(kept!.p99).toBe(cold!.p99);
    expect(kept!.p99).toBe(sketchValue(100));
  });

  it("combined for a list sorted by p95 give the page read unit by unit: groups, order, figures, series", async () => {
    for (const query of QUERIES) {
      const page = `${query}&sort=-p95&per_page=100`;
      forgetUnitFigures();
      const cold = await list(A, page);
      expect(cold.length, query).toBeGreaterThan(0);
      // the units that ended over an hour ago now come from one combined figure
      expect(await list(A, page), query).toEqual(cold);
      // ...and a list of another period (other series points) does not take it for its own
      const other = query.replace("statsPeriod=7d", "statsPeriod=8d").replace("statsPeriod=24h", "statsPeriod=25h");
      if (other === query) continue;
      const otherPage = `${other}&sort=-p95&per_page=100`;
      const withKept = await list(A, otherPage);
      forgetUnitFigures();
      expect(withKept, other).toEqual(await list(A, otherPage));
    }
  });

  it("stay within their bound however many lists a caller asks for (a new release each time)", async () => {
    forgetUnitFigures();
    // each list keeps a combined figure of ~100 empty daily units and its last hour or two,
    // under a filter no other list shares: 1,000 such lists fill 1 MB
    setKeptFigureLimit(256 * 1024);
    try {
      for (let i = 0; i < 120; i++) {
        await list(A, `statsPeriod=99d&sort=-p95&release=probe-${i}`);
        expect(keptFigureBytes()).toBeLessThanOrEqual(256 * 1024);
      }
      expect(keptFigureBytes()).toBeGreaterThan(128 * 1024);
    } finally {
      setKeptFigureLimit();
    }
  });
});
