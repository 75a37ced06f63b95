import type { Viewer } from "../auth/viewer";
import { dbRead } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import { type PageLinks, offsetOf, offsetPage, parseCursor } from "../pagination";
import { eventIssue } from "./events";

export type TagValueRecord = { key: string; value: string; times_seen: number; first_seen: Date; last_seen: Date };
export type TagSummary = { key: string; totalValues: number; uniqueValues: number; topValues: TagValueRecord[] };

const TOP_VALUES = 9;

// The tenant in the where, beside the guard that already found the issue in the viewer's org.
const inOrg = (viewer: Viewer, issueId: number) => Prisma.sql`
  join issues i on i.id = t.issue_id join projects p on p.id = i.project_id
  where p.org_id = ${viewer.orgId} and t.issue_id = ${issueId}`;

/** An issue's tag keys with their counts and most common values, from issue_tag_values. */
export async function issueTagSummaries(viewer: Viewer, issueId: number, keys?: string[]): Promise<TagSummary[]> {
  const read = await dbRead(viewer);
  await eventIssue(viewer, issueId, read);
  const onlyKeys = keys && keys.length > 0 ? Prisma.sql`and t.key = any(${keys}::text[])` : Prisma.empty;
  const rows = await read.$queryRaw<(TagValueRecord & { total: bigint; uniq: bigint })[]>`
    select key, value, times_seen, first_seen, last_seen, total, uniq from (
      select t.key, t.value, t.times_seen, t.first_seen, t.last_seen,
             sum(t.times_seen) over (partition by t.key) as total, count(*) over (partition by t.key) as uniq,
             row_number() over (partition by t.key order by t.times_seen desc, t.value) as rank
      from issue_tag_values t ${inOrg(viewer, issueId)} ${onlyKeys}
    ) ranked
    where rank <= ${TOP_VALUES}
    order by total desc, key, rank`;
  const summaries = new Map<string, TagSummary>();
  for (const { total, uniq, ...value } of rows) {
    let summary = summaries.get(value.key);
    if (!summary) {
      summary = { key: value.key, totalValues: Number(total), uniqueValues: Number(uniq), topValues: [] };
      summaries.set(value.key, summary);
    }
    summary.topValues.push(value);
  }
  return [...summaries.values()];
}

/** One tag key of an issue; 404 when the issue never saw it. */
export async function issueTagSummary(viewer: Viewer, issueId: number, key: string): Promise<TagSummary> {
  const [summary] = await issueTagSummaries(viewer, issueId, [key]);
  if (!summary) throw new AppError("not_found", "no such tag");
  return summary;
}

export const TAG_VALUE_SORTS = { date: "t.last_seen desc", age: "t.first_seen desc", count: "t.times_seen desc" } as const;

/** Every value of one tag key of an issue, paged by offset, most recent first by default. */
export async function issueTagValues(
  viewer: Viewer,
  issueId: number,
  key: string,
  options: { sort?: keyof typeof TAG_VALUE_SORTS; cursor?: string; limit?: number },
): Promise<{ values: TagValueRecord[]; links: PageLinks }> {
  const read = await dbRead(viewer);
  await eventIssue(viewer, issueId, read);
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new AppError("bad_request", "limit must be between 1 and 100");
  const offset = offsetOf(parseCursor(options.cursor));
  const order = Prisma.raw(TAG_VALUE_SORTS[options.sort ?? "date"]);
  const rows = await read.$queryRaw<TagValueRecord[]>`
    select t.key, t.value, t.times_seen, t.first_seen, t.last_seen from issue_tag_values t ${inOrg(viewer, issueId)}
    and t.key = ${key}
    order by ${order}, t.value
    limit ${limit + 1} offset ${offset}`;
  if (rows.length === 0 && offset === 0) throw new AppError("not_found", "no such tag");
  const page = offsetPage(rows, limit, offset);
  return { values: page.items, links: page.links };
}
