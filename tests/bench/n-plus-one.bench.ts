import { preparedEventOf } from "@/lib/events/prepare";
import { detectNPlusOne } from "@/lib/performance/n-plus-one";
import { performanceIssues } from "@/lib/performance/n-plus-one-event";
import { prepareTransaction } from "@/lib/performance/transaction-document";
import type { StoredSpan } from "@/lib/performance/types";
import { nodeTransaction } from "../support/transactions";

// What N+1 detection adds to the worker's CPU per transaction, against prepareTransaction (which
// runs it) in the same run: `npx tsx tests/bench/n-plus-one.bench.ts`. The typical 30-span Node
// SDK transaction (tests/support/transactions.ts: 24 db spans under the root, each of 6 queries
// 4 times, so every one is parameterized and none is an N+1), and the same with an N+1 of 6
// queries added, whose event is made (performanceIssues + preparedEventOf). Rounds alternate;
// best and median per transaction are printed. In-process CPU only: no database.

const N = 2_000;
const ROUNDS = 7;
const ctx = (eventId: string) => ({ eventId, receivedAt: new Date(), scrub: true, itemType: "transaction" as const });

function withNPlusOne(i: number) {
  const t = nodeTransaction(i) as ReturnType<typeof nodeTransaction> & { spans: Record<string, unknown>[] };
  const root = t.contexts.trace.span_id;
  for (let n = 0; n < 6; n++)
    t.spans.push({
      span_id: (0x1000 + n).toString(16).padStart(16, "0"),
      parent_span_id: root,
      trace_id: t.contexts.trace.trace_id,
      op: "db",
      description: `SELECT * FROM items WHERE id = ${n + 1}`,
      start_timestamp: t.start_timestamp + n * 0.013,
      timestamp: t.start_timestamp + n * 0.013 + 0.012,
    });
  return t;
}

function time(work: () => void): number {
  const t0 = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - t0) / 1000 / N;
}

// what the timed work returns goes here, so none of it is optimized away
let sink = 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const best = (xs: number[]) => Math.min(...xs);

function main() {
  const plain = Array.from({ length: N }, (_, i) => JSON.stringify(nodeTransaction(i)));
  const loops = Array.from({ length: N }, (_, i) => JSON.stringify(withNPlusOne(i)));
  // the spans as stored (detection's input), from one preparation outside the timings
  const stored = plain.map((json) => {
    const raw = JSON.parse(json);
    const doc = JSON.parse(prepareTransaction(raw, ctx(raw.event_id)).payloadJson.toString()) as { spans: StoredSpan[] };
    return doc.spans;
  });
  const prepared = loops.map((json) => {
    const raw = JSON.parse(json);
    return { entryId: "1-0", ...prepareTransaction(raw, ctx(raw.event_id)) };
  });
  if (prepared.some((p) => p.nPlusOne?.length !== 1) || stored.some((s) => detectNPlusOne(s).length !== 0))
    throw new Error("the transactions are not what this bench expects");

  const results = { prepare: [] as number[], detect: [] as number[], event: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    const steps: [keyof typeof results, () => void][] = [
      [
        "prepare",
        () => {
          for (const json of plain) sink += prepareTransaction(JSON.parse(json), ctx("0".repeat(32))).payloadJson.length;
        },
      ],
      [
        "detect",
        () => {
          for (const spans of stored) sink += detectNPlusOne(spans).length;
        },
      ],
      [
        "event",
        () => {
          for (const t of prepared)
            for (const { event, grouping, issueType } of performanceIssues(t))
              sink += preparedEventOf(t.entryId, event, grouping, issueType).payloadJson.length;
        },
      ],
    ];
    if (round % 2) steps.reverse();
    for (const [name, work] of steps) results[name].push(time(work));
  }
  const line = (name: keyof typeof results, label: string) =>
    console.log(
      `${label.padEnd(52)} best ${best(results[name]).toFixed(1).padStart(6)} µs  median ${median(results[name]).toFixed(1).padStart(6)} µs` +
        `  (${((median(results[name]) / median(results.prepare)) * 100).toFixed(1)}% of prepare)`,
    );
  console.log(`${N} transactions x ${ROUNDS} rounds, per transaction:`);
  line("prepare", "prepareTransaction (parse, normalize, detect, fit)");
  line("detect", "detectNPlusOne on its 30 stored spans");
  line("event", "an N+1's event (performanceIssues + preparedEventOf)");
  if (sink === 0) throw new Error("nothing was measured");
}

main();
