import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { dbRead } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import { type PageLinks, keysetPage, parseCursor } from "../pagination";
import { type ProjectRef, monitorOfViewer } from "./api-lookup";
import { environmentName } from "./api-read";

const DEFAULT_CHECKIN_LIMIT = 50;
export const MAX_CHECKIN_LIMIT = 100;

export type CheckInView = {
  /** the row id, for paging */
  rowId: bigint;
  /** the check-in id the SDK gave (or the minute job made), dashed when it is a uuid */
  id: string;
  /** ok | error | in_progress | missed | timeout | unknown */
  status: string;
  durationMs: number | null;
  dateCreated: Date;
  dateUpdated: Date;
  environment: string;
  expectedTime: Date | null;
  release: string | null;
};

/** Sentry shows check-in ids as dashed uuids; SDKs send them undashed. */
function dashedCheckInId(id: string): string {
  const hex = id.replaceAll("-", "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return id;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export type CheckInListOptions = {
  project?: ProjectRef;
  /** only check-ins of these environments (production also finds those sent without one) */
  environments?: string[];
  cursor?: string;
  limit?: number;
};

/** GET .../monitors/{slug}/checkins/: the monitor's check-ins, newest first, keyset-paged. */
export async function listMonitorCheckIns(
  viewer: Viewer,
  slug: string,
  options: CheckInListOptions = {},
): Promise<{ checkIns: CheckInView[]; links: PageLinks }> {
  assertCan(viewer.role, "monitors:read");
  const limit = Math.min(Math.max(options.limit ?? DEFAULT_CHECKIN_LIMIT, 1), MAX_CHECKIN_LIMIT);
  const cursor = parseCursor(options.cursor);
  const read = await dbRead(viewer);
  const monitor = await monitorOfViewer(read, viewer, slug, options.project);
  const conditions: Prisma.Sql[] = [Prisma.sql`c.monitor_id = ${monitor.id}`, Prisma.sql`c.project_id = ${monitor.projectId}`];
  if (options.environments && options.environments.length > 0) {
    if (options.environments.some((e) => e.includes("\0"))) throw new AppError("bad_request", "environment may not contain NUL characters");
    const names = options.environments.flatMap((e) => (e === "production" ? ["production", ""] : [e]));
    conditions.push(Prisma.sql`coalesce(me.environment, c.environment, '') = any(${names}::text[])`);
  }
  // Keyset on (created_at, id): the value is the creation time in milliseconds.
  if (cursor) {
    const at = new Date(Number(cursor.value));
    const year = at.getUTCFullYear();
    if (Number.isNaN(at.getTime()) || year < 1 || year > 9999 || cursor.key > 9_223_372_036_854_775_807n) {
      throw new AppError("bad_request", "Invalid cursor");
    }
    conditions.push(
      cursor.prev
        ? Prisma.sql`(c.created_at, c.id) > (${at}::timestamptz, ${cursor.key}::bigint)`
        : Prisma.sql`(c.created_at, c.id) < (${at}::timestamptz, ${cursor.key}::bigint)`,
    );
  }
  const order = cursor?.prev ? Prisma.sql`c.created_at asc, c.id asc` : Prisma.sql`c.created_at desc, c.id desc`;
  const rows = await read.$queryRaw<
    {
      id: bigint;
      check_in_id: string;
      status: string;
      duration_ms: number | null;
      created_at: Date;
      updated_at: Date;
      environment: string | null;
      expected_time: Date | null;
      release: string | null;
    }[]
  >`
    select c.id, c.check_in_id, c.status, c.duration_ms, c.created_at, c.updated_at,
      coalesce(me.environment, c.environment) as environment, c.expected_time, c.release
    from check_ins c left join monitor_environments me on me.id = c.monitor_environment_id
    where ${Prisma.join(conditions, " and ")}
    order by ${order}
    limit ${limit + 1}`;
  const { items, links } = keysetPage(rows, limit, cursor, (r) => ({ value: BigInt(r.created_at.getTime()), key: r.id }));
  return {
    checkIns: items.map((r) => ({
      rowId: r.id,
      id: dashedCheckInId(r.check_in_id),
      status: r.status,
      durationMs: r.duration_ms,
      dateCreated: r.created_at,
      dateUpdated: r.updated_at,
      environment: environmentName(r.environment),
      expectedTime: r.expected_time,
      release: r.release,
    })),
    links,
  };
}
