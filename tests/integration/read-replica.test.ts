import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Viewer } from "@/lib/auth/viewer";
import { closeDb, db, dbRead, duringWrite, onReplicaSql, readsOnReplica, sqlRows } from "@/lib/db";
import { env, setDatabaseUrl } from "@/lib/env";
import { listIssueEvents } from "@/lib/issues/events";
import { listIssues } from "@/lib/issues/list";
import { issueDetail } from "@/lib/issues/views";
import { updateIssues } from "@/lib/issues/update";
import { migrate } from "@/lib/migrate";
import { listMonitors } from "@/lib/monitors/api-list";
import { getMonitor } from "@/lib/monitors/api-read";
import { listTransactionGroups, parseTransactionGroupQuery } from "@/lib/performance/summaries";
import { listTransactions, parseTransactionListQuery } from "@/lib/performance/transactions-list";
import { copyRows } from "@/lib/sql-copy";
import { projectHourlyCounts } from "@/lib/projects/stats";
import { closeRedis } from "@/lib/redis";
import { listReleases } from "@/lib/releases/list";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { createOrgWithProject } from "../support/factories";
import { type ReplicaPair, startReplicaPair } from "../support/replica";

// DATABASE_REPLICA_URL against a real streaming replica of a private primary (started here).
// Pausing the replica's replay makes the routing visible: a row written on the primary after
// the pause is there for a read of the primary and absent from a read of the replica.

let pair: ReplicaPair;
type Tenant = Awaited<ReturnType<typeof createOrgWithProject>> & { token: string; viewer: () => Viewer };
let a: Tenant;
let b: Tenant;
let memberOfA: { token: string; viewer: () => Viewer };
let shortIds = 0;

async function tenant(): Promise<Tenant> {
  const created = await createOrgWithProject();
  const { token } = await unsafeCreateApiToken({
    userId: created.user.id,
    orgId: created.org.id,
    name: "replica test",
    scopes: ["event:read", "event:write", "project:read", "org:read"],
  });
  // A new object per call, as each request resolves its own viewer.
  return { ...created, token, viewer: () => ({ userId: created.user.id, orgId: created.org.id, role: "owner" }) };
}

/** An issue as the worker writes it: on the primary, by no user. */
async function workerIssue(projectId: number, title: string) {
  const now = new Date();
  return db().issue.create({
    data: { projectId, shortId: ++shortIds, title, firstSeen: now, lastSeen: now, timesSeen: 1 },
    select: { id: true },
  });
}

async function issueTitles(token: string, org: string, query = "") {
  const reply = await callApi("GET", `/api/0/organizations/${org}/issues/?query=${encodeURIComponent(query)}`, { token });
  expect(reply.status).toBe(200);
  return reply.json().map((issue: { title: string }) => issue.title) as string[];
}

beforeAll(async () => {
  pair = await startReplicaPair(`errorhub_replica_${process.pid}`, migrate);
  // lib/env.ts's values were read when the logger loaded: set both URLs on them.
  setDatabaseUrl(pair.primaryUrl);
  env().DATABASE_REPLICA_URL = pair.replicaUrl;
  a = await tenant();
  b = await tenant();
  const member = await db().user.create({ data: { email: `member-${a.org.slug}@example.com`, emailVerifiedAt: new Date() } });
  await db().membership.create({ data: { userId: member.id, orgId: a.org.id, role: "member" } });
  memberOfA = {
    token: (
      await unsafeCreateApiToken({ userId: member.id, orgId: a.org.id, name: "member", scopes: ["event:read", "event:write"] })
    ).token,
    viewer: () => ({ userId: member.id, orgId: a.org.id, role: "member" }),
  };
  await workerIssue(a.project.id, "old issue of A");
  await workerIssue(b.project.id, "old issue of B");
  await pair.waitForReplay();
}, 300_000);

afterAll(async () => {
  await closeDb();
  await closeRedis();
  await pair?.stop();
});

describe("read replica (DATABASE_REPLICA_URL)", () => {
  it("serves the dashboard's and the API's reads: what the replica has not replayed is not shown until it has", async () => {
    await pair.pauseReplay();
    // Written on the primary while the replica stands still, as the worker and sentry-cli would.
    const fresh = await workerIssue(a.project.id, "fresh issue of A");
    const old = await db().issue.findFirstOrThrow({ where: { title: "old issue of A" }, select: { id: true } });
    await db().event.create({
      data: { projectId: a.project.id, issueId: old.id, eventId: "a".repeat(32), timestamp: new Date(), payload: {} },
    });
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await db().issueHourlyCount.create({ data: { issueId: fresh.id, hour, count: 7 } });
    await db().release.create({
      data: { orgId: a.org.id, version: "fresh-release", projects: { create: { projectId: a.project.id } } },
    });
    await db().monitor.create({
      data: { orgId: a.org.id, projectId: a.project.id, slug: "fresh-cron", name: "fresh cron", scheduleType: "crontab", schedule: "* * * * *" },
    });
    expect(await db().issue.count({ where: { projectId: a.project.id } })).toBe(2); // the primary has it

    const seen = async () => {
      const viewer = a.viewer();
      const counts = await projectHourlyCounts(viewer, [a.project.id]);
      return {
        api: await issueTitles(a.token, a.org.slug),
        issues: (await listIssues(viewer, { query: "" })).issues.map((i) => i.title),
        events: (await listIssueEvents(viewer, old.id, {})).events.length,
        hourly: counts.get(a.project.id)!.reduce((sum, [, count]) => sum + count, 0),
        releases: (await listReleases(viewer)).releases.map((r) => r.version),
        monitors: (await listMonitors(viewer)).monitors.map((m) => m.slug),
        monitor: await getMonitor(viewer, "fresh-cron").then((m) => m.name, () => null),
        detail: await issueDetail(viewer, fresh.id).then((i) => i.title, () => null),
      };
    };
    expect(await readsOnReplica(a.viewer())).toBe(true);
    expect(await seen()).toEqual({
      api: ["old issue of A"],
      issues: ["old issue of A"],
      events: 0,
      hourly: 0,
      releases: [],
      monitors: [],
      monitor: null,
      detail: null,
    });

    await pair.resumeReplay();
    await pair.waitForReplay();
    const after = await seen();
    expect(after.api.sort()).toEqual(["fresh issue of A", "old issue of A"]);
    expect(after.issues.sort()).toEqual(["fresh issue of A", "old issue of A"]);
    expect(after).toMatchObject({
      events: 1,
      hourly: 7,
      releases: ["fresh-release"],
      monitors: ["fresh-cron"],
      monitor: "fresh cron",
      detail: "fresh issue of A",
    });
  });

  it("read-your-writes: after a status change its user reads the primary until the replica has replayed it; others and other tenants read the replica", async () => {
    await pair.waitForReplay();
    await pair.pauseReplay();
    const target = await db().issue.findFirstOrThrow({ where: { title: "old issue of A" }, select: { id: true } });

    // The API door: a PUT is a write; its answer is read from the primary.
    const put = await callApi("PUT", `/api/0/organizations/${a.org.slug}/issues/${target.id}/`, {
      token: a.token,
      body: { status: "resolved" },
    });
    expect(put.status).toBe(200);
    expect(put.json().status).toBe("resolved");

    // The user who resolved it does not see it among unresolved issues any more...
    expect(await readsOnReplica(a.viewer())).toBe(false);
    expect(await issueTitles(a.token, a.org.slug, "is:unresolved")).toEqual(["fresh issue of A"]);
    const detail = await callApi("GET", `/api/0/organizations/${a.org.slug}/issues/${target.id}/`, { token: a.token });
    expect(detail.json().status).toBe("resolved");
    // ...while another member of the org still reads the replica, which has not replayed it,
    expect(await readsOnReplica(memberOfA.viewer())).toBe(true);
    expect((await issueTitles(memberOfA.token, a.org.slug, "is:unresolved")).sort()).toEqual(["fresh issue of A", "old issue of A"]);
    // and the other tenant reads the replica too, and only its own issues.
    expect(await readsOnReplica(b.viewer())).toBe(true);
    expect(await issueTitles(b.token, b.org.slug)).toEqual(["old issue of B"]);

    // The dashboard's door (formAction runs every server action this way): the member ignores
    // the fresh issue, and sees it at once while the replica is still paused.
    const fresh = await db().issue.findFirstOrThrow({ where: { title: "fresh issue of A" }, select: { id: true } });
    const member = memberOfA.viewer();
    await duringWrite(
      async () => {
        expect(await readsOnReplica(member)).toBe(false); // a write's own reads are the primary's
        await updateIssues(member, [fresh.id], { status: { status: "ignored" } });
      },
      () => member.userId,
    );
    expect((await listIssues(memberOfA.viewer(), { query: "is:ignored" })).issues.map((i) => i.title)).toEqual([
      "fresh issue of A",
    ]);
    expect(await readsOnReplica(b.viewer())).toBe(true);

    // Once the replica has replayed both changes, everyone sees them, from the replica.
    await pair.resumeReplay();
    await pair.waitForReplay();
    for (const viewer of [a.viewer(), memberOfA.viewer(), b.viewer()]) expect(await readsOnReplica(viewer)).toBe(true);
    expect(await issueTitles(memberOfA.token, a.org.slug, "is:unresolved")).toEqual([]);
    expect(await issueTitles(a.token, a.org.slug, "is:ignored")).toEqual(["fresh issue of A"]);
  });

  it("sends no write to the replica: it is read-only, and the replica's reads are only the read paths'", async () => {
    await pair.waitForReplay();
    const viewer = b.viewer();
    const replica = await dbRead(viewer);
    expect(replica).not.toBe(db());
    const [state] = await replica.$queryRaw<{ recovery: boolean }[]>`select pg_is_in_recovery() as recovery`;
    expect(state!.recovery).toBe(true);
    await expect(replica.issue.updateMany({ where: { projectId: b.project.id }, data: { title: "x" } })).rejects.toThrow(/read-only/);
    // The transactions list's statements run through sqlRows inside onReplicaSql; outside it, the primary.
    expect((await onReplicaSql(() => sqlRows<{ r: boolean }>`select pg_is_in_recovery() as r`))[0]!.r).toBe(true);
    expect((await sqlRows<{ r: boolean }>`select pg_is_in_recovery() as r`)[0]!.r).toBe(false);
    await expect(onReplicaSql(() => sqlRows`update issues set title = 'x' where id = 0`)).rejects.toThrow(/read-only/);
    // ...and so do its sketches, read by binary COPY (lib/sql-copy.ts).
    expect(String((await onReplicaSql(() => copyRows`select pg_is_in_recovery()::text`))[0]![0])).toBe("true");
    // The performance lists read there without writing (a write would fail as above).
    for (const sort of ["-count", "-p95"]) {
      const groups = await listTransactionGroups(viewer, parseTransactionGroupQuery(new URLSearchParams(`statsPeriod=24h&sort=${sort}`)));
      expect(groups.groups).toEqual([]);
    }
    const list = await listTransactions(viewer, parseTransactionListQuery(new URLSearchParams("transaction=GET /")));
    expect(list.transactions).toEqual([]);
    // Writes through the doors went to the primary: the titles written above are unchanged there.
    expect(await db().issue.count({ where: { title: "x" } })).toBe(0);
  });

  it("without DATABASE_REPLICA_URL every read is the primary's", async () => {
    const url = env().DATABASE_REPLICA_URL;
    env().DATABASE_REPLICA_URL = undefined;
    try {
      expect(await readsOnReplica(a.viewer())).toBe(false);
      expect(await dbRead(a.viewer())).toBe(db());
    } finally {
      env().DATABASE_REPLICA_URL = url;
    }
  });

  it("reads go to the primary once the replica is promoted, and while it does not answer", async () => {
    pair.promoteReplica();
    const written = await workerIssue(b.project.id, "written after the promotion");
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // past the probe's interval
    expect(await readsOnReplica(b.viewer())).toBe(false);
    expect((await issueTitles(b.token, b.org.slug)).sort()).toEqual(["old issue of B", "written after the promotion"]);

    pair.stopReplica();
    await db().issue.update({ where: { id: written.id }, data: { title: "written while the replica is down" } });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await readsOnReplica(b.viewer())).toBe(false);
    expect((await issueTitles(b.token, b.org.slug)).sort()).toEqual(["old issue of B", "written while the replica is down"]);
  });
});
