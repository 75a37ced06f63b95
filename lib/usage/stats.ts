import { z } from "zod";
import { Prisma } from "../generated/prisma/client.ts";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, dbRead } from "../db";
import { AppError } from "../errors";
import { QUOTA_CATEGORIES } from "../ingest/quota-policy";
import { DATA_CATEGORIES, OUTCOMES } from "./outcome-values";

// Usage by outcome, read from outcome_counts (daily rows flushed from ingest's counters): the
// usage page and GET /api/0/organizations/{org}/stats_v2/ share this, in Sentry's shape.

export const STATS_FIELDS = ["sum(quantity)", "sum(times_seen)"] as const;
export const STATS_GROUP_BY = ["outcome", "category", "reason", "project"] as const;
export const STATS_OUTCOMES = OUTCOMES;
export const STATS_CATEGORIES = DATA_CATEGORIES;

type Field = (typeof STATS_FIELDS)[number];
type GroupBy = (typeof STATS_GROUP_BY)[number];

export type StatsQuery = {
  /** first day (00:00 UTC), inclusive */
  start: Date;
  /** last day's end (00:00 UTC of the day after), exclusive */
  end: Date;
  fields: Field[];
  groupBy: GroupBy[];
  categories?: string[];
  outcomes?: string[];
  reasons?: string[];
  projectIds?: number[];
};

export type StatsGroup = { by: Record<string, string | number>; totals: Record<string, number>; series: Record<string, number[]> };
export type StatsResult = { start: string; end: string; intervals: string[]; groups: StatsGroup[] };

const DAY = 86_400_000;
const MAX_DAYS = 400;
const startOfDay = (ms: number) => Math.floor(ms / DAY) * DAY;
/** Sentry's timestamps: second precision, "Z". */
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const COLUMN: Record<GroupBy, Prisma.Sql> = {
  outcome: Prisma.sql`outcome::text`,
  category: Prisma.sql`category`,
  reason: Prisma.sql`reason`,
  project: Prisma.sql`project_id`,
};

/** Outcome totals of the viewer's org per day, grouped as asked, with every day present (zeros). */
export async function usageStats(viewer: Viewer, query: StatsQuery): Promise<StatsResult> {
  assertCan(viewer.role, "org:read");
  const orgId = viewer.orgId;
  const start = startOfDay(query.start.getTime());
  const end = startOfDay(query.end.getTime() + DAY - 1);
  const days = Math.round((end - start) / DAY);
  const intervals = Array.from({ length: days }, (_, i) => iso(start + i * DAY));
  const groupColumns = query.groupBy.map((g, i) => Prisma.sql`${COLUMN[g]} as ${Prisma.raw(`g${i}`)}`);
  const filters: Prisma.Sql[] = [
    Prisma.sql`org_id = ${orgId}`,
    Prisma.sql`day >= ${new Date(start)}::date`,
    Prisma.sql`day < ${new Date(end)}::date`,
  ];
  if (query.categories?.length) filters.push(Prisma.sql`category = any(${query.categories}::text[])`);
  if (query.outcomes?.length) filters.push(Prisma.sql`outcome::text = any(${query.outcomes}::text[])`);
  if (query.reasons?.length) filters.push(Prisma.sql`reason = any(${query.reasons}::text[])`);
  if (query.projectIds?.length) filters.push(Prisma.sql`project_id = any(${query.projectIds}::int[])`);
  const groupPositions = query.groupBy.map((_, i) => Prisma.raw(String(i + 2)));
  const rows = await (await dbRead(viewer)).$queryRaw<Record<string, unknown>[]>`
    select to_char(day, 'YYYY-MM-DD') as day, ${Prisma.join([...groupColumns, Prisma.sql`sum(quantity)::bigint as quantity`])}
    from outcome_counts
    where ${Prisma.join(filters, " and ")}
    group by ${Prisma.join([Prisma.raw("1"), ...groupPositions])}`;

  const groups = new Map<string, StatsGroup>();
  for (const row of rows) {
    const by: Record<string, string | number> = {};
    query.groupBy.forEach((g, i) => {
      by[g] = g === "project" ? Number(row[`g${i}`]) : String(row[`g${i}`]);
    });
    const key = JSON.stringify(by);
    let group = groups.get(key);
    if (!group) {
      group = { by, totals: {}, series: {} };
      for (const field of query.fields) {
        group.totals[field] = 0;
        group.series[field] = new Array(days).fill(0);
      }
      groups.set(key, group);
    }
    const index = Math.round((Date.parse(`${row.day}T00:00:00Z`) - start) / DAY);
    const quantity = Number(row.quantity);
    // Outcomes are stored as quantities only (attachments in bytes, everything else in items),
    // so times seen reports the same number: for attachments that is bytes, not files.
    for (const field of query.fields) {
      group.totals[field]! += quantity;
      group.series[field]![index]! += quantity;
    }
  }
  const sorted = [...groups.values()].sort((a, b) => JSON.stringify(a.by).localeCompare(JSON.stringify(b.by)));
  return { start: iso(start), end: iso(end), intervals, groups: sorted };
}

const list = <T extends string>(values: readonly T[], name: string) =>
  z.array(z.string()).transform((items, ctx) => {
    const bad = items.filter((v) => !(values as readonly string[]).includes(v));
    if (bad.length > 0) ctx.addIssue({ code: "custom", message: `${name}: unknown value ${bad.join(", ")}; use one of ${values.join(", ")}` });
    return items as T[];
  });

const PERIOD = /^(\d{1,4})(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: DAY, w: 7 * DAY } as const;

const paramsSchema = z.object({
  field: list(STATS_FIELDS, "field").refine((fields) => fields.length > 0, "field: at least one of sum(quantity), sum(times_seen)"),
  groupBy: list(STATS_GROUP_BY, "groupBy"),
  category: list(STATS_CATEGORIES, "category"),
  outcome: list(STATS_OUTCOMES, "outcome"),
  reason: z.array(z.string().max(200)),
  project: z.array(z.string().regex(/^-?\d{1,10}$/, "project: ids only")),
  interval: z.array(z.string()).max(1).refine((v) => v.length === 0 || v[0] === "1d", "interval: only 1d is supported (usage is counted per day)"),
  statsPeriod: z.array(z.string().regex(PERIOD, "statsPeriod: like 30d, 24h or 2w")).max(1),
  start: z.array(z.iso.datetime({ offset: true, local: true })).max(1),
  end: z.array(z.iso.datetime({ offset: true, local: true })).max(1),
});

/** Sentry's stats_v2 query string, checked; the period is statsPeriod (default 30d) or start/end. */
export function parseStatsQuery(params: URLSearchParams, now = Date.now()): StatsQuery {
  const raw = Object.fromEntries(Object.keys(paramsSchema.shape).map((name) => [name, params.getAll(name)]));
  const parsed = paramsSchema.safeParse(raw);
  if (!parsed.success) throw new AppError("bad_request", parsed.error.issues.map((i) => i.message).join("; "));
  const p = parsed.data;
  let start: number;
  let end: number;
  if (p.start.length || p.end.length) {
    if (!p.start.length || !p.end.length) throw new AppError("bad_request", "start and end go together");
    if (p.statsPeriod.length) throw new AppError("bad_request", "use statsPeriod or start and end, not both");
    start = Date.parse(withZone(p.start[0]!));
    end = Date.parse(withZone(p.end[0]!));
  } else {
    const [, amount, unit] = PERIOD.exec(p.statsPeriod[0] ?? "30d")!;
    end = now;
    start = now - Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  // Whole days, as Sentry rounds to the interval: the start's day through the end's day.
  start = startOfDay(start);
  end = startOfDay(end - 1) + DAY;
  if (end <= start) throw new AppError("bad_request", "end must be after start");
  if ((end - start) / DAY > MAX_DAYS) throw new AppError("bad_request", `at most ${MAX_DAYS} days at a time`);
  const projectIds = p.project.map(Number).filter((id) => id > 0);
  return {
    start: new Date(start),
    end: new Date(end),
    fields: [...new Set(p.field)],
    groupBy: [...new Set(p.groupBy)],
    categories: p.category,
    outcomes: p.outcome,
    reasons: p.reason,
    // -1 (Sentry's "all projects") or nothing: no filter.
    projectIds: projectIds.length === p.project.length ? projectIds : [],
  };
}

const withZone = (value: string) => (/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);

/** The viewer's org's quota-counted errors this month (UTC): accepted and refused for the quota. */
export async function monthUsage(viewer: Viewer, now = Date.now()): Promise<{ accepted: number; rateLimited: number; filtered: number }> {
  assertCan(viewer.role, "billing:read");
  const orgId = viewer.orgId;
  const date = new Date(now);
  const monthStart = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
  const rows = await db().outcomeCount.groupBy({
    by: ["outcome"],
    where: { orgId, day: { gte: monthStart }, category: { in: [...QUOTA_CATEGORIES] }, outcome: { in: ["accepted", "rate_limited", "filtered"] } },
    _sum: { quantity: true },
  });
  const of = (outcome: string) => Number(rows.find((r) => r.outcome === outcome)?._sum.quantity ?? 0);
  return { accepted: of("accepted"), rateLimited: of("rate_limited"), filtered: of("filtered") };
}
