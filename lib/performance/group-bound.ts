import type { SqlTx } from "../db";
import { logger } from "../logger";
import { UNPARAMETERIZED } from "./transaction-name";

/**
 * Distinct transaction groups a project may have. A DSN is public, so a client can mint a name
 * per transaction; each group then costs an hourly and a daily stats row per environment and
 * release for every period it is seen in, and the transactions list merges them all. Groups are
 * never deleted (retention keeps them, see lib/billing/retention.ts), so this counts every name
 * the project ever had: far more than an application's endpoints once URL names are scrubbed
 * (transaction-name.ts), and a ceiling on what a hostile client can make the list merge.
 */
export const MAX_GROUPS_PER_PROJECT = 10_000;
/**
 * Placeholder groups (one per op and method) allowed past the bound, so the placeholder keeps
 * op and method apart as Sentry's does; past these too, a name goes to the one without either.
 */
const MAX_PLACEHOLDER_GROUPS = 100;

export type GroupKey = { name: string; op: string; method: string };

export const groupKey = (k: GroupKey) => `${k.name}\0${k.op}\0${k.method}`;

/**
 * Of the groups a batch would create (`missing`, in key order), those the project's bound lets
 * in (`create`, still in key order) and, for each other one, the placeholder group its
 * transactions are stored under (`redirect`, by group key; the group may exist already).
 *
 * Costs one count, bounded by the limit, and only for a batch with a name not seen before.
 * Drains of a project's two lanes count at the same time, so the bound is soft by one batch's
 * new names per lane. Transactions past the bound are stored and counted as ever (their own
 * names kept in their rows and documents); what they lose is a group of their own. They are not
 * an outcome: each was accepted, and a second outcome would count it twice in the usage stats.
 * The placeholder group counts them exactly, and a warning names the project.
 */
export async function boundNewGroups(
  tx: SqlTx,
  projectId: number,
  missing: GroupKey[],
): Promise<{ create: GroupKey[]; redirect: Map<string, GroupKey> }> {
  const redirect = new Map<string, GroupKey>();
  const ceiling = MAX_GROUPS_PER_PROJECT + MAX_PLACEHOLDER_GROUPS;
  const [counted] = await tx.rows<{ n: number }>`
    select count(*)::int as n from (select 1 from transaction_groups where project_id = ${projectId} limit ${ceiling}) g`;
  let groups = counted!.n;
  const room = Math.max(0, MAX_GROUPS_PER_PROJECT - groups);
  if (missing.length <= room) return { create: missing, redirect };

  const create = missing.slice(0, room);
  groups += room;
  // at most MAX_PLACEHOLDER_GROUPS + 1 rows, read by the unique index's (project_id, name)
  const placeholders = new Set(
    (
      await tx.rows<GroupKey>`
        select name, op, method from transaction_groups where project_id = ${projectId} and name = ${UNPARAMETERIZED}`
    ).map(groupKey),
  );
  // a client may send the placeholder as its own name
  for (const key of create) if (key.name === UNPARAMETERIZED) placeholders.add(groupKey(key));
  const last: GroupKey = { name: UNPARAMETERIZED, op: "", method: "" };
  for (const key of missing.slice(room)) {
    let target: GroupKey = { name: UNPARAMETERIZED, op: key.op, method: key.method };
    if (!placeholders.has(groupKey(target))) {
      if (groups >= ceiling) target = last;
      if (!placeholders.has(groupKey(target))) {
        placeholders.add(groupKey(target));
        create.push(target);
        groups++;
      }
    }
    redirect.set(groupKey(key), target);
  }
  logger.warn(
    { projectId, names: redirect.size, limit: MAX_GROUPS_PER_PROJECT },
    `transaction names past the project's bound on groups: stored under ${UNPARAMETERIZED}`,
  );
  create.sort((a, b) => compare(groupKey(a), groupKey(b)));
  return { create, redirect };
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
