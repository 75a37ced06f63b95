// First: turns billing on before lib/ reads the environment (see billing-env.ts).
import "../support/billing-env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { AppError } from "@/lib/errors";
import { unsafeAssertMonitorAllowed } from "@/lib/monitors/quota";
import { drainAll } from "../support/drain";
import { envelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// The plan's monitor limit (billing on): a check-in that would create one monitor too many is
// dropped and counted rate_limited; the API's creation check refuses with 403; a paid plan
// allows more. Check-ins of monitors that exist are never limited by it.

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

async function checkIn(t: Tenant, slug: string, withConfig = true) {
  const payload = {
    check_in_id: newEventId(),
    monitor_slug: slug,
    status: "ok",
    ...(withConfig ? { monitor_config: { schedule: { type: "crontab", value: "0 * * * *" } } } : {}),
  };
  const body = envelope({}, [{ type: "check_in", payload: JSON.stringify(payload) }]);
  const res = await send(`${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body });
  expect(res.status, res.body).toBe(200);
}

const slugsOf = async (orgId: number) => (await db().monitor.findMany({ where: { orgId }, orderBy: { id: "asc" } })).map((m) => m.slug);

describe("monitor limit of the plan", () => {
  it("free: one monitor per org; the check-in that would make a second is dropped as rate_limited", async () => {
    const t = await createOrgWithProject();
    await checkIn(t, "first");
    await checkIn(t, "second");
    await checkIn(t, "first", false);
    await drainAll(t.project.id);
    expect(await slugsOf(t.org.id)).toEqual(["first"]);
    expect(await db().checkIn.count({ where: { projectId: t.project.id } })).toBe(2);
    const outcomes = await db().outcomeCount.findMany({ where: { projectId: t.project.id, category: "monitor" } });
    expect(outcomes.map((o) => [o.outcome, o.reason, Number(o.quantity)])).toEqual([["rate_limited", "monitor_limit", 1]]);
    await expect(db().$transaction((tx) => unsafeAssertMonitorAllowed(tx, t.org.id))).rejects.toSatisfy(
      (e) => e instanceof AppError && e.code === "forbidden" && /Free plan allows 1 monitor/.test(e.message),
    );
  });

  it("team: more monitors", async () => {
    const t = await createOrgWithProject();
    await db().organization.update({ where: { id: t.org.id }, data: { plan: "team", subscriptionStatus: "active" } });
    await checkIn(t, "a");
    await checkIn(t, "b");
    await drainAll(t.project.id);
    expect(await slugsOf(t.org.id)).toEqual(["a", "b"]);
    await db().$transaction((tx) => unsafeAssertMonitorAllowed(tx, t.org.id));
  });
});
