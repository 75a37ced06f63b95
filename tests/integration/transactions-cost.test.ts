import { describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { drainCostHarness } from "../support/drain-cost";
import { envelope, errorEvent, newEventId } from "../support/envelopes";
import { nodeTransaction } from "../support/transactions";

// The worker's cost of a transaction against an error event's, in the same run: N typical
// 30-span Node SDK transactions (tests/support/transactions.ts) and N ~2 KB error events (each
// naming a transaction and a trace, so its per-name error count and trace id are written), sent
// through ingest, then drained as the drain jobs do (batches of 500, in this process). Rounds
// alternate the two on fresh projects; the best and median drain times are printed, per item.
// The counts are checked exactly; the times are not asserted (the machine is shared).

const N = 2000;
const ROUNDS = 3;

const { sendAll, timeDrain } = drainCostHarness();

const transactionBodies = () =>
  Array.from({ length: N }, (_, i) => {
    const t = nodeTransaction(i);
    return envelope({ event_id: t.event_id }, [{ type: "transaction", payload: JSON.stringify(t) }]);
  });
const NAME_SUFFIXES = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
const errorBodies = () =>
  Array.from({ length: N }, (_, i) => {
    const event = errorEvent({
      // 40 names, none holding an identifier (a name with one is counted under two: error-stats.ts)
      transaction: `POST /api/checkout/${NAME_SUFFIXES[i % NAME_SUFFIXES.length]}`,
      contexts: { trace: { trace_id: newEventId(), span_id: "a1b2c3d4e5f60718", op: "http.server" } },
    });
    return envelope({ event_id: event.event_id }, [{ type: "event", payload: JSON.stringify(event) }]);
  });

describe("transaction cost", () => {
  it("drains typical transactions and error events; prints the cost of each", async () => {
    const transactionMs: number[] = [];
    const errorMs: number[] = [];
    const bytes = Buffer.byteLength(JSON.stringify(nodeTransaction(0)));
    for (let round = 0; round < ROUNDS; round++) {
      const transactions = await sendAll(transactionBodies());
      transactionMs.push(await timeDrain(transactions));
      expect(await db().transaction.count({ where: { projectId: transactions } })).toBe(N);
      const [stats] = await db().$queryRaw<{ count: number }[]>`
        select sum(count)::int as count from transaction_stats where project_id = ${transactions} and resolution = 'h'`;
      expect(stats!.count).toBe(N);

      const errors = await sendAll(errorBodies());
      errorMs.push(await timeDrain(errors));
      expect(await db().event.count({ where: { projectId: errors, traceId: { not: null } } })).toBe(N);
      const [errorStats] = await db().$queryRaw<{ count: number }[]>`
        select sum(count)::int as count from transaction_error_stats where project_id = ${errors} and resolution = 'h'`;
      expect(errorStats!.count).toBe(N);
    }
    const per = (ms: number[]) => {
      const sorted = [...ms].sort((a, b) => a - b);
      return { best: (sorted[0]! * 1000) / N, median: (sorted[sorted.length >> 1]! * 1000) / N };
    };
    const t = per(transactionMs);
    const e = per(errorMs);
    console.log(
      `drain cost per item (${N} each, ${ROUNDS} rounds): transaction (30 spans, ${(bytes / 1024).toFixed(1)} KB) ` +
        `best ${t.best.toFixed(0)} µs, median ${t.median.toFixed(0)} µs; error event best ${e.best.toFixed(0)} µs, ` +
        `median ${e.median.toFixed(0)} µs; ratio (median) ${(t.median / e.median).toFixed(2)}`,
    );
  }, 300_000);
});
