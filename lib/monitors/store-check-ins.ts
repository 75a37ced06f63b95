import type { SqlTx } from "../db";
import type { PreparedItem } from "../events/prepare";
import { type ItemProject as Project, str } from "../events/item-values";

/** Cron check-ins; a later update of the same check-in (in_progress -> ok) replaces its status. */
export async function storeCheckIns(tx: SqlTx, project: Project, items: PreparedItem[]): Promise<void> {
  for (const { data, entry } of items) {
    const checkInId = str(data.check_in_id, 64);
    const monitorSlug = str(data.monitor_slug);
    if (!checkInId || !monitorSlug) continue;
    const at = entry.receivedAt;
    // JSON.parse reads 1e400 as Infinity
    const duration = typeof data.duration === "number" && Number.isFinite(data.duration) ? data.duration : null;
    await tx.run`
      insert into check_ins (project_id, check_in_id, monitor_slug, status, duration_ms, environment, created_at, updated_at, payload)
      values (${project.id}, ${checkInId}, ${monitorSlug}, ${str(data.status, 20) ?? "unknown"}, ${duration === null ? null : duration * 1000},
              ${str(data.environment)}, ${at}, ${at}, ${JSON.stringify(data)}::jsonb)
      on conflict (project_id, check_in_id) do update set
        status = excluded.status, duration_ms = excluded.duration_ms, updated_at = excluded.updated_at, payload = excluded.payload`;
  }
}

