import { sqlTransaction } from "../db";
import { storeOutcomes } from "../events/store-other";

/**
 * How long spans wait for their segment. An SDK sends a segment at most 500 ms after it ended
 * and its earlier children 5 s after the first of them ended, so the wait is about the time a
 * segment stays open past 5 s: seconds for requests and tasks, up to a few minutes for a page
 * load left open (the browser SDK's idle and final timeouts). The clock starts when the worker
 * stored them, not when ingest received them, so a worker behind its streams by more than this
 * does not sweep children whose segment is still queued behind them.
 */
export const PENDING_SPANS_GRACE_MS = 10 * 60_000;
// Rows per statement: a sweep after an outage of the segments' sender must not delete
// millions of rows (and lock them) in one transaction.
const CHUNK = 1000;

/**
 * Deletes spans that waited longer than the grace period for their segment and counts them as
 * invalid outcomes (category span, reason missing_segment) of their project, chunk by chunk,
 * each chunk with its outcomes in one transaction. Rows a drain is taking into its transaction
 * right now are skipped (skip locked), never counted twice. Jobs only: every project's rows.
 */
export async function unsafeSweepPendingSpans(now = new Date()): Promise<{ rows: number; spans: number }> {
  const cutoff = new Date(now.getTime() - PENDING_SPANS_GRACE_MS).toISOString();
  const swept = { rows: 0, spans: 0 };
  for (;;) {
    const chunk = await sqlTransaction(async (tx) => {
      const byProject = await tx.rows<{ project_id: number; org_id: number; rows: number; spans: number }>`
        with doomed as (
          select id from pending_spans where received_at < ${cutoff}::timestamptz order by id limit ${CHUNK} for update skip locked
        ), deleted as (
          delete from pending_spans p using doomed where p.id = doomed.id returning p.project_id, p.span_count
        )
        select d.project_id, pr.org_id, count(*)::int as rows, sum(d.span_count)::int as spans
        from deleted d join projects pr on pr.id = d.project_id
        group by d.project_id, pr.org_id order by d.project_id`;
      for (const row of byProject) {
        const project = { id: row.project_id, orgId: row.org_id };
        await storeOutcomes(
          tx,
          project,
          [],
          [{ category: "span", reason: "missing_segment", quantity: row.spans }],
          now,
        );
      }
      return byProject.reduce((sum, r) => ({ rows: sum.rows + r.rows, spans: sum.spans + r.spans }), {
        rows: 0,
        spans: 0,
      });
    });
    swept.rows += chunk.rows;
    swept.spans += chunk.spans;
    if (chunk.rows < CHUNK) return swept;
  }
}
