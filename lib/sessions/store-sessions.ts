import type { SqlTx } from "../db";
import type { PreparedItem } from "../events/prepare";
import { type ItemProject as Project, hourOf, num, obj, str, toMs } from "../events/item-values";

// The int columns' bound: counters a client inflates stop there instead of failing each batch.
const MAX_INT = 2 ** 31 - 1;

type SessionTotals = {
  hour: string;
  release: string;
  environment: string;
  started: number;
  exited: number;
  errored: number;
  crashed: number;
  abnormal: number;
};

/**
 * Release health: single session updates and pre-aggregated `sessions` items, summed per
 * hour, release and environment. A session counts as started on its init update and as
 * exited, crashed, abnormal or errored on its final one, so each is counted once.
 */
export async function storeSessions(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  const totals = new Map<string, SessionTotals>();
  const add = (startedMs: number, attrs: Record<string, unknown>, counts: Partial<SessionTotals>) => {
    const release = str(attrs.release);
    if (!release) return; // Sentry drops sessions without a release: nothing to attribute them to
    const environment = str(attrs.environment) ?? "";
    const hour = hourOf(startedMs);
    const key = `${hour}\n${release}\n${environment}`;
    const t = totals.get(key) ?? {
      hour,
      release,
      environment,
      started: 0,
      exited: 0,
      errored: 0,
      crashed: 0,
      abnormal: 0,
    };
    for (const field of ["started", "exited", "errored", "crashed", "abnormal"] as const)
      t[field] = Math.min(t[field] + (counts[field] ?? 0), MAX_INT);
    totals.set(key, t);
  };
  for (const { type, data, entry } of items) {
    const attrs = obj(data.attrs);
    if (type === "session") {
      const status = str(data.status) ?? "ok";
      const startedMs = toMs(data.started) ?? entry.receivedAt.getTime();
      const final = status !== "ok";
      add(startedMs, attrs, {
        started: data.init === true ? 1 : 0,
        exited: status === "exited" && num(data.errors) === 0 ? 1 : 0,
        errored: status === "errored" || (final && status !== "crashed" && num(data.errors) > 0) ? 1 : 0,
        crashed: status === "crashed" ? 1 : 0,
        abnormal: status === "abnormal" ? 1 : 0,
      });
    } else {
      for (const bucket of Array.isArray(data.aggregates) ? data.aggregates : []) {
        const b = obj(bucket);
        const counts = {
          exited: num(b.exited),
          errored: num(b.errored),
          crashed: num(b.crashed),
          abnormal: num(b.abnormal),
        };
        const started = counts.exited + counts.errored + counts.crashed + counts.abnormal;
        add(toMs(b.started) ?? entry.receivedAt.getTime(), attrs, { ...counts, started });
      }
    }
  }
  if (totals.size === 0) return;
  // In key order, as every batch takes its row locks (see store-errors.ts).
  const rows = [...totals.keys()].sort().map((key) => totals.get(key)!);
  await tx.run`
    insert into session_counts (project_id, hour, release, environment, started, exited, errored, crashed, abnormal)
    select ${project.id}::int, * from unnest(${rows.map((r) => r.hour)}::timestamptz[], ${rows.map((r) => r.release)}::text[],
      ${rows.map((r) => r.environment)}::text[], ${rows.map((r) => r.started)}::int[], ${rows.map((r) => r.exited)}::int[],
      ${rows.map((r) => r.errored)}::int[], ${rows.map((r) => r.crashed)}::int[], ${rows.map((r) => r.abnormal)}::int[])
    on conflict (project_id, hour, release, environment) do update set
      started = least(session_counts.started::bigint + excluded.started, ${MAX_INT}::bigint),
      exited = least(session_counts.exited::bigint + excluded.exited, ${MAX_INT}::bigint),
      errored = least(session_counts.errored::bigint + excluded.errored, ${MAX_INT}::bigint),
      crashed = least(session_counts.crashed::bigint + excluded.crashed, ${MAX_INT}::bigint),
      abnormal = least(session_counts.abnormal::bigint + excluded.abnormal, ${MAX_INT}::bigint)`;
}

