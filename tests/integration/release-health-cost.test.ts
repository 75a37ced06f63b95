import { afterAll, describe, expect, it } from "vitest";
import { db, sqlTransaction } from "@/lib/db";
import type { PreparedItem } from "@/lib/events/prepare";
import { storeSessions } from "@/lib/sessions/store-sessions";
import { createOrgWithProject } from "../support/factories";

// The worker's cost of release health: 10,000 session items (5,000 sessions, init then final,
// 2,000 users, 3 releases x 2 environments) stored in the drain's batches of 500, each in its
// own transaction as the drain does. The figure is printed; the sums are checked exactly.

const ITEMS = 10_000;
const BATCH = 500;
const FINAL = ["exited", "exited", "exited", "crashed", "abnormal", "exited"] as const;

function items(): PreparedItem[] {
  const started = new Date(Date.now() - 30 * 60_000).toISOString();
  const out: PreparedItem[] = [];
  for (let i = 0; i < ITEMS / 2; i++) {
    const attrs = { release: `cost@${i % 3}`, environment: i % 2 ? "production" : "staging" };
    const did = `user-${i % 2000}`;
    const status = FINAL[i % FINAL.length]!;
    const errors = i % 5 === 0 ? 1 : 0;
    for (const data of [
      { sid: `s${i}`, did, init: true, started, status: "ok", errors: 0, attrs },
      { sid: `s${i}`, did, init: false, started, status, errors, attrs },
    ]) {
      out.push({
        entryId: `${out.length}-0`,
        type: "session",
        data,
        entry: { id: `${out.length}-0`, type: "session", itemHeader: Buffer.from("{}"), payload: Buffer.alloc(0), eventId: "", clientIp: "", receivedAt: new Date(), sentAt: undefined },
      });
    }
  }
  return out;
}

const tenants: Awaited<ReturnType<typeof createOrgWithProject>>[] = [];
afterAll(async () => {
  await db().organization.deleteMany({ where: { id: { in: tenants.map((t) => t.org.id) } } });
});
const ROUNDS = 5;

describe("storeSessions cost", () => {
  it("stores 10,000 session items in batches of 500, sums exact", async () => {
    // Rounds on fresh projects, the best and the median printed: the machine is shared.
    const times: number[] = [];
    let project = { id: 0, orgId: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const tenant = await createOrgWithProject();
      tenants.push(tenant);
      project = { id: tenant.project.id, orgId: tenant.org.id };
      const all = items();
      const t0 = performance.now();
      for (let i = 0; i < all.length; i += BATCH) {
        await sqlTransaction((tx) => storeSessions(tx, project, all.slice(i, i + BATCH)));
      }
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`storeSessions: ${ITEMS} items, best ${times[0]!.toFixed(0)} ms, median ${times[ROUNDS >> 1]!.toFixed(0)} ms`);

    const [sums] = await db().$queryRaw<{ started: number; crashed: number; abnormal: number; errored: number }[]>`
      select sum(started)::int as started, sum(crashed)::int as crashed, sum(abnormal)::int as abnormal, sum(errored)::int as errored
      from session_counts where project_id = ${project.id}`;
    expect(sums).toEqual({ started: 5000, crashed: 833, abnormal: 833, errored: 666 });
  });
});
