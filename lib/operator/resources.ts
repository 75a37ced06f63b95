import { sqlRows } from "../db";
import { masterNodes } from "../redis";

/**
 * Redis memory as INFO memory reports it; maxBytes null when no maxmemory is set. In a Redis
 * Cluster, the sums over its masters (the data; replicas hold copies).
 */
export async function unsafeRedisMemory(): Promise<{ usedBytes: number; peakBytes: number; maxBytes: number | null }> {
  const infos = await Promise.all((await masterNodes()).map((node) => node.info("memory")));
  const field = (name: string) => infos.reduce((sum, info) => sum + Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0), 0);
  const max = field("maxmemory");
  return { usedBytes: field("used_memory"), peakBytes: field("used_memory_peak"), maxBytes: max > 0 ? max : null };
}

/**
 * This database's tables, largest first: total bytes (with indexes and TOAST) and the planner's
 * row estimate (an exact count would read every table; partitions count under their own names).
 */
export async function unsafeDatabaseSizes(): Promise<{ table: string; bytes: number; rows: number }[]> {
  const rows = await sqlRows<{ table: string; bytes: string; rows: string }>`
    select c.relname as table, pg_total_relation_size(c.oid) as bytes, greatest(c.reltuples, 0)::bigint as rows
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname = current_schema()
    order by pg_total_relation_size(c.oid) desc`;
  return rows.map((r) => ({ table: r.table, bytes: Number(r.bytes), rows: Number(r.rows) }));
}
