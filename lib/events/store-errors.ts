import { hash } from "node:crypto";
import type { SqlTx } from "../db";
import { type IssueState, type ReleaseOrder, reopensResolution, transitionOnNewEvents } from "../issues/lifecycle";
import { joinDocuments, SEPARATOR } from "./joined-documents";
import type { PreparedEvent } from "./prepare";
import { upsertTransactionErrorStats } from "../performance/error-stats";

type Project = { id: number; orgId: number; hasFirstEvent: boolean };

/** What a batch did to one issue: the facts alert rules are evaluated on (lib/alerts). */
export type IssueFacts = {
  issueId: number;
  isNew: boolean;
  /** resolved -> unresolved by this batch */
  regressed: boolean;
  /** ignored -> unresolved by this batch */
  reappeared: boolean;
  /** the batch's stored events of the issue, in batch order */
  events: PreparedEvent[];
  newUsers: number;
  /** after this batch */
  timesSeen: number;
  firstSeen: Date;
};

export type StoredErrors = { inserted: number; newIssues: number; issues: IssueFacts[] };

/**
 * Stores a batch of error events in the caller's transaction: finds or creates their issues,
 * inserts the events (a duplicate event id changes nothing), then moves each touched issue's
 * counters, status, users, hourly counts and tag values once for the whole batch. Counters
 * move only for events actually inserted, so a retried batch never double-counts.
 *
 * Batches of a project's lanes run at the same time. They cannot deadlock because every
 * batch takes its row locks in one order: the project row (only to create issues or mark the
 * first event), grouping hashes, event ids (the dedupe keys), events, issues, then the issues' hourly counts
 * and tag values, releases, release users, environments and transaction error counts; within each
 * table, rows sorted by key. An issue's row lock also makes its counters' updates take turns.
 * storeBatch (process-batch.ts) then locks transaction groups, transactions and their stats
 * (lib/performance/store-transactions.ts), sessions, feedback and outcome counts, in that order.
 */
export async function storeErrorEvents(
  tx: SqlTx,
  project: Project,
  prepared: PreparedEvent[],
  now: Date,
): Promise<StoredErrors> {
  // Repeats within the batch; events stored before (SDK retries, duplicate sends) are
  // skipped by the insert and counted nowhere.
  const seen = new Set<string>();
  const fresh = prepared.filter((p) => !seen.has(p.event.eventId) && seen.add(p.event.eventId));
  if (fresh.length === 0) return { inserted: 0, newIssues: 0, issues: [] };
  if (!project.hasFirstEvent) {
    await tx.run`update projects set first_event_at = now() where id = ${project.id} and first_event_at is null`;
  }

  const { issueOf, created } = await resolveIssues(tx, project.id, fresh);
  const inserted = await insertEvents(tx, project.id, fresh, issueOf);
  const stored = fresh.filter((p) => inserted.has(p.event.eventId));

  const byIssue = new Map<number, PreparedEvent[]>();
  for (const p of stored) {
    const issueId = issueOf.get(p.event.eventId)!;
    const events = byIssue.get(issueId);
    if (events) events.push(p);
    else byIssue.set(issueId, [p]);
  }
  // An issue created for events that all turn out to be stored already (their first copies
  // were grouped differently, before a grouping change) would stay empty.
  const empty = [...created.keys()].filter((id) => !byIssue.has(id));
  if (empty.length > 0) {
    await tx.run`delete from issues where id = any(${empty}::int[])`;
    for (const id of empty) created.delete(id);
  }
  const states = await lockIssues(tx, byIssue);
  await upsertHourlyCounts(tx, byIssue);
  const newUsers = await upsertTagValues(tx, byIssue);
  const reopening = await reopeningEvents(tx, project.orgId, states, byIssue);
  const transitions = await updateIssues(tx, states, byIssue, newUsers, now, reopening);
  await upsertReleasesAndEnvironments(tx, project, stored, created);
  // Events the worker makes (a performance issue names its transaction) are no errors of it.
  await upsertTransactionErrorStats(tx, project.id, stored.filter((p) => !p.issueType).map((p) => p.event));
  const issues = states.map((state): IssueFacts => {
    const events = byIssue.get(state.id)!;
    const status = transitions.get(state.id);
    return {
      issueId: state.id,
      isNew: created.has(state.id),
      regressed: status === "regressed",
      reappeared: status === "reappeared",
      events,
      newUsers: newUsers.get(state.id) ?? 0,
      timesSeen: state.times_seen + events.length,
      firstSeen: new Date(events.reduce((first, p) => Math.min(first, p.event.timestamp.getTime()), state.first_seen.getTime())),
    };
  });
  return { inserted: stored.length, newIssues: created.size, issues };
}

/**
 * Maps each event to its issue through its grouping hashes, creating one issue per new
 * primary hash (with the next short ids of the project) and recording every hash.
 */
async function resolveIssues(tx: SqlTx, projectId: number, events: PreparedEvent[]) {
  const allHashes = [...new Set(events.flatMap((p) => p.grouping.hashes))];
  const known = await tx.rows<{ hash: string; issue_id: number }>`
    select hash, issue_id from issue_hashes where project_id = ${projectId} and hash = any(${allHashes}::text[])`;
  const issueOfHash = new Map(known.map((r) => [r.hash, r.issue_id]));

  let firstOfNewGroup = newGroups(events, issueOfHash);
  if (firstOfNewGroup.size > 0) {
    // Another lane's batch may be creating the same issues right now. Whoever holds the
    // project row creates them; the other reads their hashes once that commits.
    await tx.run`select 1 from projects where id = ${projectId} for no key update`;
    const unknown = [...new Set([...firstOfNewGroup.values()].flatMap((p) => p.grouping.hashes))];
    const createdMeanwhile = await tx.rows<{ hash: string; issue_id: number }>`
      select hash, issue_id from issue_hashes where project_id = ${projectId} and hash = any(${unknown}::text[])`;
    for (const r of createdMeanwhile) {
      issueOfHash.set(r.hash, r.issue_id);
      known.push(r);
    }
    firstOfNewGroup = newGroups(events, issueOfHash);
  }
  // new issue id -> the release of its first event
  const created = new Map<number, string | undefined>();
  if (firstOfNewGroup.size > 0) {
    const groups = [...firstOfNewGroup.values()];
    const [allocated] = await tx.rows<{ next: number }>`
      update projects set next_short_id = next_short_id + ${groups.length}::int where id = ${projectId}
      returning next_short_id - ${groups.length}::int as next`;
    const next = allocated!.next;
    const rows = await tx.rows<{ id: number; short_id: number }>`
      insert into issues (project_id, short_id, title, culprit, type, level, platform, metadata, status, substatus,
                          grouping_version, times_seen, user_count, first_seen, last_seen, first_release, last_release)
      select ${projectId}::int, g.short_id, g.title, g.culprit, g.type, g.level, g.platform, g.metadata, 'unresolved', 'new',
             g.grouping_version, 0, 0, g.ts, g.ts, g.release, g.release
      from unnest(${groups.map((_, i) => next + i)}::int[], ${groups.map((p) => p.grouping.title)}::text[],
                  ${groups.map((p) => p.grouping.culprit)}::text[], ${groups.map((p) => issueType(p))}::text[],
                  ${groups.map((p) => p.event.level)}::text[], ${groups.map((p) => p.event.platform)}::text[],
                  ${groups.map((p) => JSON.stringify(p.grouping.metadata))}::jsonb[],
                  ${groups.map((p) => p.grouping.groupingVersion)}::text[], ${groups.map((p) => p.event.timestamp.toISOString())}::timestamptz[],
                  ${groups.map((p) => p.event.release ?? null)}::text[])
           as g(short_id, title, culprit, type, level, platform, metadata, grouping_version, ts, release)
      returning id, short_id`;
    for (const row of rows) {
      const group = groups[row.short_id - next]!;
      issueOfHash.set(group.grouping.hashes[0]!, row.id);
      created.set(row.id, group.event.release);
    }
  }

  const issueOf = new Map<string, number>();
  const knownHashes = new Set(known.map((k) => k.hash));
  const unrecorded = new Map<string, number>();
  for (const p of events) {
    const issueId = p.grouping.hashes.map((h) => issueOfHash.get(h)).find((id) => id !== undefined)!;
    issueOf.set(p.event.eventId, issueId);
    for (const hash of p.grouping.hashes)
      if (!knownHashes.has(hash) && !unrecorded.has(hash)) unrecorded.set(hash, issueId);
  }
  const newPairs = [...unrecorded].sort(([a], [b]) => compare(a, b));
  if (newPairs.length > 0) {
    await tx.run`
      insert into issue_hashes (project_id, hash, issue_id)
      select ${projectId}::int, h, i from unnest(${newPairs.map(([h]) => h)}::text[], ${newPairs.map(([, i]) => i)}::int[]) as x(h, i)
      on conflict (project_id, hash) do nothing`;
  }
  return { issueOf, created };
}

/** Events whose hashes are all unknown start a new issue: its first event per primary hash. */
function newGroups(events: PreparedEvent[], issueOfHash: Map<string, number>): Map<string, PreparedEvent> {
  const firstOfNewGroup = new Map<string, PreparedEvent>();
  for (const p of events) {
    if (p.grouping.hashes.some((h) => issueOfHash.has(h))) continue;
    const primary = p.grouping.hashes[0]!;
    const current = firstOfNewGroup.get(primary);
    if (!current || p.event.timestamp < current.event.timestamp) firstOfNewGroup.set(primary, p);
  }
  return firstOfNewGroup;
}

// Sorts keys the same way in every batch, which is what keeps lanes from deadlocking.
const compare = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

function issueType(p: PreparedEvent): string {
  if (p.issueType) return p.issueType;
  return p.event.type === "csp" ? "csp" : p.event.type === "error" ? "error" : "default";
}

/**
 * Claims the batch's event ids in event_ids, the dedupe key that outlives week boundaries (a
 * unique index on the partitioned events table would only cover one week: see the migration
 * 20261205022400_events_partitioned), and returns the ids that were not stored before. In id
 * order, so two lanes' batches that share ids take their locks in one order. A batch claiming
 * an id another uncommitted batch holds waits for it, then sees it taken (or free, on rollback).
 */
async function claimEventIds(tx: SqlTx, projectId: number, events: PreparedEvent[]): Promise<Set<string>> {
  const sorted = [...events].sort((a, b) => compare(a.event.eventId, b.event.eventId));
  const rows = await tx.rows<{ event_id: string }>`
    insert into event_ids (project_id, event_id, received_at)
    select ${projectId}::int, event_id, received_at
    from unnest(${sorted.map((p) => p.event.eventId)}::text[], ${sorted.map((p) => p.event.receivedAt.toISOString())}::timestamptz[])
         as x(event_id, received_at)
    on conflict do nothing
    returning event_id`;
  return new Set(rows.map((r) => r.event_id));
}

async function insertEvents(
  tx: SqlTx,
  projectId: number,
  batch: PreparedEvent[],
  issueOf: Map<string, number>,
): Promise<Set<string>> {
  const claimed = await claimEventIds(tx, projectId, batch);
  const events = batch.filter((p) => claimed.has(p.event.eventId));
  if (events.length === 0) return claimed;
  const column = <T>(value: (p: PreparedEvent) => T) => events.map(value);
  // The JSON columns travel as one text each, the rows' documents joined by a separator JSON
  // text never contains (JSON.stringify escapes every control character), sent as the UTF-8
  // bytes prepare made (a Buffer parameter is sent in binary format, which for text is the
  // bytes themselves). string_to_table splits it row by row as the insert reads it, and each
  // document is parsed once, as it is stored. Measured on 500-event batches: a text[]
  // parameter costs the worker as much again in array-literal escaping; one JSON document of
  // all rows (json_to_recordset) had Postgres parse every payload three times; and
  // string_to_array(...)::json[], which the planner folds into constants, built and zeroed
  // two more megabyte-sized arrays per batch (this statement's Postgres CPU 700 -> 300 ms
  // per 10,000 events with string_to_table).
  const joined = (json: (p: PreparedEvent) => Buffer) => joinDocuments(events.map(json));
  await tx.run`
    insert into events (project_id, issue_id, event_id, timestamp, received_at, level, platform, release, environment,
                        user_tag, title, trace_id, tags, payload)
    select ${projectId}::int, issue_id, event_id, ts, received_at, level, platform, release, environment, user_tag, title,
           trace_id, tags::jsonb, payload::json
    from rows from (
      unnest(${column((p) => issueOf.get(p.event.eventId)!)}::int[]), unnest(${column((p) => p.event.eventId)}::text[]),
      unnest(${column((p) => p.event.timestamp.toISOString())}::timestamptz[]),
      unnest(${column((p) => p.event.receivedAt.toISOString())}::timestamptz[]), unnest(${column((p) => p.event.level)}::text[]),
      unnest(${column((p) => p.event.platform)}::text[]), unnest(${column((p) => p.event.release ?? null)}::text[]),
      unnest(${column((p) => p.event.environment ?? null)}::text[]), unnest(${column((p) => p.event.userTag ?? null)}::text[]),
      unnest(${column((p) => p.grouping.title)}::text[]), unnest(${column((p) => p.event.traceId ?? null)}::uuid[]),
      string_to_table(${joined((p) => p.tagsJson)}::text, ${SEPARATOR}),
      string_to_table(${joined((p) => p.payloadJson)}::text, ${SEPARATOR}))
      as x(issue_id, event_id, ts, received_at, level, platform, release, environment, user_tag, title, trace_id, tags, payload)`;
  return claimed;
}

type LockedIssue = {
  id: number;
  status: IssueState["status"];
  substatus: string | null;
  ignore_until: Date | null;
  ignore_until_count: number | null;
  times_seen: number;
  first_seen: Date;
  resolved_in_release_id: number | null;
  resolved_in_next_release: boolean;
};

/** Locks the touched issues (before their hourly counts and tag values) and reads their state. */
async function lockIssues(tx: SqlTx, byIssue: Map<number, PreparedEvent[]>): Promise<LockedIssue[]> {
  const ids = [...byIssue.keys()];
  if (ids.length === 0) return [];
  return tx.rows<LockedIssue>`
    select id, status, substatus, ignore_until, ignore_until_count, times_seen, first_seen,
           resolved_in_release_id, resolved_in_next_release from issues
    where id = any(${ids}::int[])
    order by id for no key update`;
}

/**
 * For issues resolved in a release: how many of the batch's events reopen each (see
 * reopensResolution). One read of the releases involved, only when such an issue is touched;
 * other issues are absent from the map (every event may reopen them). A release this batch
 * is about to create is not in the table yet, so it counts as newer.
 */
async function reopeningEvents(
  tx: SqlTx,
  orgId: number,
  states: LockedIssue[],
  byIssue: Map<number, PreparedEvent[]>,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const resolvedIn = states.filter((s) => s.status === "resolved" && s.resolved_in_release_id !== null);
  if (resolvedIn.length === 0) return counts;
  const releaseIds = [...new Set(resolvedIn.map((s) => s.resolved_in_release_id!))];
  const versions = [...new Set(resolvedIn.flatMap((s) => byIssue.get(s.id)!.flatMap((p) => p.event.release ?? [])))];
  const rows = await tx.rows<{ id: number; version: string; created_at: Date }>`
    select id, version, created_at from releases
    where org_id = ${orgId} and (id = any(${releaseIds}::int[]) or version = any(${versions}::text[]))`;
  const byId = new Map<number, ReleaseOrder>(rows.map((r) => [r.id, { id: r.id, createdAt: r.created_at }]));
  const byVersion = new Map<string, ReleaseOrder>(rows.map((r) => [r.version, { id: r.id, createdAt: r.created_at }]));
  for (const state of resolvedIn) {
    const resolution = byId.get(state.resolved_in_release_id!);
    // The release row is gone (its org's): nothing to compare with, as a plain resolution.
    if (!resolution) continue;
    const events = byIssue.get(state.id)!;
    counts.set(
      state.id,
      events.filter((p) => reopensResolution(resolution, p.event.release ? byVersion.get(p.event.release) : null)).length,
    );
  }
  return counts;
}

/**
 * One statement for all touched issues: counters, last level and release, status changes.
 * Returns the issues whose status the batch changed: regressed (was resolved) or reappeared
 * (was ignored).
 */
async function updateIssues(
  tx: SqlTx,
  states: LockedIssue[],
  byIssue: Map<number, PreparedEvent[]>,
  newUsers: Map<number, number>,
  now: Date,
  reopening: Map<number, number>,
): Promise<Map<number, "regressed" | "reappeared">> {
  const changed = new Map<number, "regressed" | "reappeared">();
  if (states.length === 0) return changed;
  const rows = states.map((state) => {
    const events = byIssue.get(state.id)!;
    const latest = events.reduce((a, b) => (b.event.timestamp > a.event.timestamp ? b : a));
    const earliest = events.reduce((a, b) => (b.event.timestamp < a.event.timestamp ? b : a));
    const transition = transitionOnNewEvents(
      {
        status: state.status,
        substatus: state.substatus,
        ignoreUntil: state.ignore_until,
        ignoreUntilCount: state.ignore_until_count,
        timesSeen: state.times_seen,
        resolvedInReleaseId: state.resolved_in_release_id,
        resolvedInNextRelease: state.resolved_in_next_release,
      },
      events.length,
      now,
      reopening.get(state.id) ?? events.length,
    );
    return {
      id: state.id,
      count: events.length,
      users: newUsers.get(state.id) ?? 0,
      latest,
      earliest,
      transition,
    };
  });
  await tx.run`
    update issues i set
      times_seen = i.times_seen + u.count,
      user_count = i.user_count + u.users,
      first_seen = least(i.first_seen, u.first_seen),
      last_seen = greatest(i.last_seen, u.last_seen),
      level = case when u.last_seen >= i.last_seen then u.level else i.level end,
      last_release = case when u.last_seen >= i.last_seen then coalesce(u.release, i.last_release) else i.last_release end,
      first_release = coalesce(i.first_release, u.first_release),
      status = coalesce(u.status::"IssueStatus", i.status),
      substatus = coalesce(u.substatus, i.substatus),
      resolved_at = case when u.status is null then i.resolved_at else null end,
      ignore_until = case when u.status is null then i.ignore_until else null end,
      ignore_until_count = case when u.status is null then i.ignore_until_count else null end,
      resolved_in_release_id = case when u.status is null then i.resolved_in_release_id else null end,
      resolved_in_next_release = case when u.status is null then i.resolved_in_next_release else false end,
      updated_at = now()
    from unnest(${rows.map((r) => r.id)}::int[], ${rows.map((r) => r.count)}::int[], ${rows.map((r) => r.users)}::int[],
                ${rows.map((r) => r.earliest.event.timestamp.toISOString())}::timestamptz[],
                ${rows.map((r) => r.latest.event.timestamp.toISOString())}::timestamptz[],
                ${rows.map((r) => r.latest.event.level)}::text[], ${rows.map((r) => r.latest.event.release ?? null)}::text[],
                ${rows.map((r) => r.earliest.event.release ?? null)}::text[],
                ${rows.map((r) => r.transition?.status ?? null)}::text[], ${rows.map((r) => r.transition?.substatus ?? null)}::text[])
         as u(id, count, users, first_seen, last_seen, level, release, first_release, status, substatus)
    where i.id = u.id`;
  const changes = rows.filter((r) => r.transition);
  states.forEach((state, i) => {
    if (rows[i]!.transition) changed.set(state.id, state.status === "resolved" ? "regressed" : "reappeared");
  });
  if (changes.length > 0) {
    await tx.run`
      insert into issue_activities (issue_id, type, data)
      select * from unnest(${changes.map((r) => r.id)}::int[], ${changes.map((r) => r.transition!.activity.type)}::text[],
                           ${changes.map((r) => JSON.stringify({ ...r.transition!.activity.data, eventId: r.latest.event.eventId }))}::jsonb[])`;
  }
  return changed;
}

async function upsertHourlyCounts(tx: SqlTx, byIssue: Map<number, PreparedEvent[]>): Promise<void> {
  // hours as numbers while counting; an ISO string only per row sent
  const counts = new Map<string, [number, number, number]>();
  for (const [issueId, events] of byIssue) {
    for (const p of events) {
      const hour = Math.floor(p.event.timestamp.getTime() / 3_600_000);
      const key = `${issueId}|${hour}`;
      const current = counts.get(key);
      if (current) current[2]++;
      else counts.set(key, [issueId, hour, 1]);
    }
  }
  if (counts.size === 0) return;
  const rows = [...counts.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  await tx.run`
    insert into issue_hourly_counts (issue_id, hour, count)
    select * from unnest(${rows.map((r) => r[0])}::int[], ${rows.map((r) => new Date(r[1] * 3_600_000).toISOString())}::timestamptz[],
                         ${rows.map((r) => r[2])}::int[])
    on conflict (issue_id, hour) do update set count = issue_hourly_counts.count + excluded.count`;
}

/**
 * Counts the batch's tag values per issue, key and value; returns how many distinct users each
 * issue gained. An issue's users are the values of its "user" tag, as in Sentry's tag store, so
 * the rows this upsert inserts (rather than updates) under that key are its new users: a row
 * a statement inserted has xmax 0, one it updated carries the updating transaction's id.
 */
async function upsertTagValues(tx: SqlTx, byIssue: Map<number, PreparedEvent[]>): Promise<Map<number, number>> {
  // Counted per issue, then key, then value, so the rows come out in lock order by sorting a
  // few short lists instead of thousands of rows on three fields. First and last as epoch
  // milliseconds: a batch has thousands of these rows, and numbers cost far less to send than
  // ISO strings.
  const rows = {
    issueIds: [] as number[],
    keys: [] as string[],
    values: [] as string[],
    counts: [] as number[],
    firsts: [] as number[],
    lasts: [] as number[],
  };
  for (const issueId of [...byIssue.keys()].sort((a, b) => a - b)) {
    const byKey = new Map<string, Map<string, { count: number; first: number; last: number }>>();
    for (const p of byIssue.get(issueId)!) {
      const ts = p.event.timestamp.getTime();
      const tags = p.event.flatTags;
      for (let i = 0; i < tags.length; i += 2) {
        let byValue = byKey.get(tags[i]!);
        if (!byValue) {
          byValue = new Map();
          byKey.set(tags[i]!, byValue);
        }
        const current = byValue.get(tags[i + 1]!);
        if (current) {
          current.count += 1;
          if (ts < current.first) current.first = ts;
          if (ts > current.last) current.last = ts;
        } else byValue.set(tags[i + 1]!, { count: 1, first: ts, last: ts });
      }
    }
    for (const key of [...byKey.keys()].sort(compare)) {
      const byValue = byKey.get(key)!;
      for (const value of [...byValue.keys()].sort(compare)) {
        const { count, first, last } = byValue.get(value)!;
        rows.issueIds.push(issueId);
        rows.keys.push(key);
        rows.values.push(value);
        rows.counts.push(count);
        rows.firsts.push(first);
        rows.lasts.push(last);
      }
    }
  }
  const newUsers = new Map<number, number>();
  if (rows.issueIds.length === 0) return newUsers;
  const added = await tx.rows<{ issue_id: number; users: number }>`
    with upserted as (
      insert into issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen)
      select i, k, v, n, to_timestamp(f / 1000), to_timestamp(l / 1000)
      from unnest(${rows.issueIds}::int[], ${rows.keys}::text[], ${rows.values}::text[],
                  ${rows.counts}::int[], ${rows.firsts}::float8[], ${rows.lasts}::float8[])
           as x(i, k, v, n, f, l)
      on conflict (issue_id, key, value) do update set
        times_seen = issue_tag_values.times_seen + excluded.times_seen,
        first_seen = least(issue_tag_values.first_seen, excluded.first_seen),
        last_seen = greatest(issue_tag_values.last_seen, excluded.last_seen)
      returning issue_id, key, xmax = 0 as inserted)
    select issue_id, count(*)::int as users from upserted where inserted and key = 'user' group by issue_id`;
  for (const { issue_id, users } of added) newUsers.set(issue_id, users);
  return newUsers;
}

async function upsertReleasesAndEnvironments(
  tx: SqlTx,
  project: Project,
  stored: PreparedEvent[],
  created: Map<number, string | undefined>,
): Promise<void> {
  const newIssues = new Map<string, number>();
  for (const release of created.values())
    if (release) newIssues.set(release, (newIssues.get(release) ?? 0) + 1);
  const releases = new Map<string, { first: Date; last: Date; count: number }>();
  const environments = new Set<string>();
  for (const p of stored) {
    if (p.event.environment) environments.add(p.event.environment);
    const version = p.event.release;
    if (!version) continue;
    const seen = releases.get(version);
    const ts = p.event.timestamp;
    if (!seen) releases.set(version, { first: ts, last: ts, count: 1 });
    else {
      seen.count += 1;
      if (ts < seen.first) seen.first = ts;
      if (ts > seen.last) seen.last = ts;
    }
  }
  if (releases.size > 0) {
    const versions = [...releases.keys()].sort(compare);
    await tx.run`
      insert into releases (org_id, version) select ${project.orgId}::int, v from unnest(${versions}::text[]) as v
      on conflict (org_id, version) do nothing`;
    // first/last seen are null for a release the API made before any event: least and
    // greatest skip nulls.
    await tx.run`
      insert into release_projects (release_id, project_id, first_seen, last_seen, new_issues, event_count)
      select r.id, ${project.id}::int, x.first_seen, x.last_seen, x.new_issues, x.event_count
      from unnest(${versions}::text[], ${versions.map((v) => releases.get(v)!.first.toISOString())}::timestamptz[],
                  ${versions.map((v) => releases.get(v)!.last.toISOString())}::timestamptz[],
                  ${versions.map((v) => newIssues.get(v) ?? 0)}::int[], ${versions.map((v) => releases.get(v)!.count)}::int[])
           as x(version, first_seen, last_seen, new_issues, event_count)
      join releases r on r.org_id = ${project.orgId} and r.version = x.version
      on conflict (release_id, project_id) do update set
        first_seen = least(release_projects.first_seen, excluded.first_seen),
        last_seen = greatest(release_projects.last_seen, excluded.last_seen),
        new_issues = release_projects.new_issues + excluded.new_issues,
        event_count = release_projects.event_count + excluded.event_count`;
    await insertReleaseUsers(tx, project, stored);
  }
  if (environments.size > 0) {
    await tx.run`
      insert into environments (org_id, project_id, name)
      select ${project.orgId}::int, ${project.id}::int, e from unnest(${[...environments].sort(compare)}::text[]) as e
      on conflict (project_id, name) do nothing`;
  }
}

/**
 * Adds the users of the batch's stored events to their releases' user sets (release_users,
 * whose count is a release's exact number of users): the batch's distinct (release, user)
 * pairs in one statement, a pair already in the set ignored. So a user counts once however
 * many events, batches or retried batches bring them, and an event without a release or a
 * user adds nothing. Rows go in (release id, user hash) order, the table's key, as every
 * batch takes its locks in one order. Measured per 500 pairs: ~8 ms of Postgres when all are
 * new (the two foreign-key checks are a quarter of it), ~2.5 ms when all are present, plus
 * ~1 ms of hashing here.
 */
async function insertReleaseUsers(tx: SqlTx, project: Project, stored: PreparedEvent[]): Promise<void> {
  const usersOf = new Map<string, Set<string>>();
  for (const p of stored) {
    const { release, userTag } = p.event;
    if (!release || !userTag) continue;
    const users = usersOf.get(release);
    if (users) users.add(userTag);
    else usersOf.set(release, new Set([userTag]));
  }
  if (usersOf.size === 0) return;
  const versions: string[] = [];
  const hashes: string[] = [];
  for (const [version, users] of usersOf) {
    for (const user of users) {
      versions.push(version);
      hashes.push(userHash(user));
    }
  }
  await tx.run`
    insert into release_users (release_id, project_id, user_hash)
    select r.id, ${project.id}::int, x.user_hash
    from unnest(${versions}::text[], ${hashes}::int8[]) as x(version, user_hash)
    join releases r on r.org_id = ${project.orgId} and r.version = x.version
    order by r.id, x.user_hash
    on conflict do nothing`;
}

/**
 * A user tag (`id:42`, `email:...`) as 64 bits: the first 8 bytes of its sha1, as the decimal
 * text of a signed bigint. A release would need billions of users for a collision (which
 * counts two users as one) to be likely: ~n^2/2^65, under 1e-7 for a million.
 */
export function userHash(userTag: string): string {
  return hash("sha1", userTag, "buffer").readBigInt64BE(0).toString();
}
