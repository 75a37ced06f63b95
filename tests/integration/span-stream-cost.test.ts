import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { drainCostHarness } from "../support/drain-cost";
import { envelope } from "../support/envelopes";
import { containerOf, spanEnvelope } from "../support/streamed-spans";
import { nodeTransaction } from "../support/transactions";

// The worker's cost of a streamed segment against the `transaction` item of the same content,
// in the same run: N typical 30-span Node SDK transactions (tests/support/transactions.ts),
// sent once as transaction items and once as the span containers SDK 11 streams for them
// (containerOf), through ingest, then drained as the drain jobs do (batches of 500, in this
// process). Rounds alternate the two on fresh projects; best and median drain times per
// transaction are printed. The stored results are checked exactly; the times are not asserted.

const N = 2000;
const ROUNDS = 3;

const { sendAll, timeDrain } = drainCostHarness();

async function stored(projectId: number) {
  const [row] = await db().$queryRaw<{ count: number; spans: number }[]>`
    select count(*)::int as count, sum(span_count)::int as spans from transactions where project_id = ${projectId}`;
  return row;
}

describe("streamed segment cost", () => {
  it("drains segments of 30 spans and the same transactions as items; prints the cost of each", async () => {
    const transactions = Array.from({ length: N }, (_, i) => nodeTransaction(i));
    const transactionBodies = transactions.map((t) =>
      envelope({ event_id: t.event_id }, [{ type: "transaction", payload: JSON.stringify(t) }]),
    );
    const spanBodies = transactions.map((t) =>
      spanEnvelope(JSON.stringify(containerOf(t)), { item_count: t.spans.length + 1 }),
    );
    const itemMs: number[] = [];
    const streamedMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const items = await sendAll(transactionBodies);
      itemMs.push(await timeDrain(items));
      expect(await stored(items)).toEqual({ count: N, spans: N * 30 });
      const streamed = await sendAll(spanBodies);
      streamedMs.push(await timeDrain(streamed));
      expect(await stored(streamed)).toEqual({ count: N, spans: N * 30 });
    }
    const per = (ms: number[]) => {
      const sorted = [...ms].sort((a, b) => a - b);
      return { best: (sorted[0]! * 1000) / N, median: (sorted[sorted.length >> 1]! * 1000) / N };
    };
    const t = per(itemMs);
    const s = per(streamedMs);
    const kb = (body: Buffer) => (body.length / 1024).toFixed(1);
    console.log(
      `drain cost per transaction (${N} each, ${ROUNDS} rounds): transaction item (${kb(transactionBodies[0]!)} KB) ` +
        `best ${t.best.toFixed(0)} µs, median ${t.median.toFixed(0)} µs; streamed segment of 30 spans (${kb(spanBodies[0]!)} KB) ` +
        `best ${s.best.toFixed(0)} µs, median ${s.median.toFixed(0)} µs; ratio (median) ${(s.median / t.median).toFixed(2)}`,
    );
  }, 600_000);
});
