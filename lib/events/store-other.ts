import type { SqlTx } from "../db";
import type { PreparedItem } from "./prepare";
import { itemHeaderOf } from "./stream";
import { toDataCategory, toOutcomeReason } from "../usage/outcome-values";
import { type ItemProject as Project, num, obj, str } from "./item-values";

export async function storeAttachments(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  const rows = items.filter(({ entry }) => entry.eventId);
  if (rows.length === 0) return;
  for (const { entry } of rows) {
    const header = itemHeaderOf(entry);
    await tx.run`
      insert into event_attachments (project_id, event_id, name, content_type, size, data)
      values (${project.id}, ${entry.eventId}, ${str(header.filename, 500) ?? "attachment"},
              ${str(header.content_type, 200) ?? "application/octet-stream"}, ${entry.payload.length}, ${entry.payload})`;
  }
}

/**
 * Outcomes the worker knows of: what SDKs report they discarded (client reports) and items
 * it could not process. Added to the same daily counters ingest's outcomes go to.
 */
export async function storeOutcomes(
  tx: SqlTx,
  project: Project,
  clientReports: PreparedItem[],
  // items the worker dropped: invalid unless they say otherwise (a check-in over the plan's
  // monitor limit is rate_limited), one each unless they say how many (spans a transaction
  // left out)
  invalid: { category: string; reason: string; outcome?: "invalid" | "rate_limited"; quantity?: number }[],
  now: Date,
): Promise<void> {
  const counts = new Map<string, { category: string; outcome: string; reason: string; quantity: number }>();
  const add = (category: string, outcome: string, reason: string, quantity: number) => {
    if (quantity <= 0) return;
    const key = `${category}\n${outcome}\n${reason}`;
    const current = counts.get(key) ?? { category, outcome, reason, quantity: 0 };
    current.quantity += quantity;
    counts.set(key, current);
  };
  for (const { data } of clientReports) {
    for (const discarded of Array.isArray(data.discarded_events) ? data.discarded_events : []) {
      const d = obj(discarded);
      // What the SDK names is kept only when it is on the fixed lists ingest counts with.
      add(
        toDataCategory(str(d.category, 50) ?? ""),
        "client_discard",
        toOutcomeReason(str(d.reason, 100) ?? "other"),
        Math.min(num(d.quantity), 1_000_000),
      );
    }
  }
  for (const { category, reason, outcome, quantity } of invalid) add(category, outcome ?? "invalid", reason, quantity ?? 1);
  if (counts.size === 0) return;
  // In key order, as every batch takes its row locks (see store-errors.ts).
  const rows = [...counts.keys()].sort().map((key) => counts.get(key)!);
  const day = now.toISOString().slice(0, 10);
  await tx.run`
    insert into outcome_counts (org_id, project_id, day, category, outcome, reason, quantity)
    select ${project.orgId}::int, ${project.id}::int, ${day}::date, c, o::"Outcome", r, q
    from unnest(${rows.map((r) => r.category)}::text[], ${rows.map((r) => r.outcome)}::text[], ${rows.map((r) => r.reason)}::text[],
                ${rows.map((r) => r.quantity)}::bigint[]) as x(c, o, r, q)
    on conflict (org_id, project_id, day, category, outcome, reason)
    do update set quantity = outcome_counts.quantity + excluded.quantity`;
}
