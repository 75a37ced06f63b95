import type { Metadata } from "next";
import { unsafeDatabaseSizes, unsafeRedisMemory } from "@/lib/operator";
import { cell, Figure, ReadAt, Section, Table } from "../bits";
import { bytes, count } from "../format";
import { requireOperator } from "../guard";

export const metadata: Metadata = { title: "Storage" };
export const dynamic = "force-dynamic";

/** Redis memory and the database's size by table, largest first. */
export default async function StoragePage() {
  await requireOperator();
  const [memory, tables] = await Promise.all([unsafeRedisMemory(), unsafeDatabaseSizes()]);
  const total = tables.reduce((sum, t) => sum + t.bytes, 0);
  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <div className="flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Storage</h1>
        <ReadAt />
      </div>
      <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Figure label="Redis used" value={bytes(memory.usedBytes)} testId="redis-used" />
        <Figure label="Redis peak" value={bytes(memory.peakBytes)} />
        <Figure label="Redis maxmemory" value={memory.maxBytes ? bytes(memory.maxBytes) : "none"} />
        <Figure label="Database (tables)" value={bytes(total)} testId="database-total" />
      </div>
      <Section title="Database size by table" testId="database-tables">
        <Table head={["Table", "Size (with indexes, TOAST)", "Rows (estimate)"]} empty="No tables." testId="table-rows">
          {tables.map((t) => (
            <tr key={t.table} data-testid="table-row">
              <td className={`${cell} font-mono text-xs`}>{t.table}</td>
              <td className={cell}>{bytes(t.bytes)}</td>
              <td className={cell}>{count(t.rows)}</td>
            </tr>
          ))}
        </Table>
      </Section>
    </main>
  );
}
