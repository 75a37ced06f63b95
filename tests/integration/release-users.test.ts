import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { getReleaseDetail } from "@/lib/releases/detail";
import { drainAll } from "../support/drain";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createKey, createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// A release's user count is exact: the worker keeps each release's users as a set
// (release_users) in the batch's transaction. Events go through real ingest and the drain.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Target = { project: { id: number }; key: { publicKey: string } };
let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let A2: Target;
let B: Tenant;
const VERSION = "shop@1.0";

beforeAll(async () => {
  ingest = await startIngest();
  A = await createOrgWithProject();
  const project = await db().project.create({
    data: { orgId: A.org.id, slug: `second-${randomBytes(4).toString("hex")}`, name: "Second" },
  });
  A2 = { project, key: await createKey(project.id) };
  B = await createOrgWithProject();
});
afterAll(() => ingest.close());

/** Sends the events in one envelope each; drains once after all, so they share batches. */
async function sendEvents(target: Target, events: Record<string, unknown>[]) {
  for (const event of events) {
    const res = await send(`${ingest.base}/api/${target.project.id}/envelope/?sentry_key=${target.key.publicKey}`, {
      body: eventEnvelope(event as ReturnType<typeof errorEvent>),
    });
    expect(res.status, res.body).toBe(200);
  }
  await drainAll(target.project.id);
}

const withUser = (id: string, release = VERSION) => errorEvent({ release, user: { id } });
function withoutUser(release = VERSION) {
  const event: Record<string, unknown> = errorEvent({ release });
  delete event.user;
  return event;
}
function withoutRelease(id: string) {
  const event: Record<string, unknown> = errorEvent({ user: { id } });
  delete event.release;
  return event;
}

const usersOf = async (tenant: Tenant, version = VERSION) =>
  (await getReleaseDetail({ userId: tenant.user.id, orgId: tenant.org.id, role: "owner" }, version)).userCount;
const setRows = async (projectId: number) => db().releaseUser.count({ where: { projectId } });

describe("a release's users", () => {
  it("counts each user once over repeats, batches and projects; events without a user or release add nothing", async () => {
    await sendEvents(A, [withUser("u1"), withUser("u2"), withUser("u1"), withoutUser(), withoutRelease("u7")]);
    expect(await usersOf(A)).toBe(2);
    expect(await setRows(A.project.id)).toBe(2);

    // a later batch repeating u2 and adding u3; u2 in the second project is the same user
    await sendEvents(A, [withUser("u2"), withUser("u3")]);
    await sendEvents(A2, [withUser("u2"), withUser("u4"), withoutUser()]);
    expect(await usersOf(A)).toBe(4);
    // the set holds one row per project a user was seen in
    expect(await setRows(A.project.id)).toBe(3);
    expect(await setRows(A2.project.id)).toBe(2);

    // users of another release of the same org are that release's
    await sendEvents(A, [withUser("u1", "shop@2.0"), withUser("u9", "shop@2.0")]);
    expect(await usersOf(A, "shop@2.0")).toBe(2);
    expect(await usersOf(A)).toBe(4);
    // the events were stored: the counts above are not missing events
    expect(await db().event.count({ where: { project: { orgId: A.org.id } } })).toBe(12);
  });

  it("does not count the user of a duplicate of a stored event", async () => {
    const version = "dup@1.0";
    const first = withUser("d1", version);
    await sendEvents(A, [first]);
    // an SDK retry of the same event id with another user: skipped by the insert, counted nowhere
    await sendEvents(A, [{ ...first, user: { id: "d2" } }]);
    // the same id twice within one batch: only the first copy is stored
    const again = withUser("d3", version);
    await sendEvents(A, [again, { ...again, user: { id: "d4" } }]);
    expect(await usersOf(A, version)).toBe(2);
    expect(await db().event.count({ where: { projectId: A.project.id, release: version } })).toBe(2);
  });

  it("keeps two orgs' releases with the same version apart", async () => {
    await sendEvents(B, [withUser("u1"), withUser("b1"), withUser("b1")]);
    expect(await usersOf(B)).toBe(2);
    expect(await usersOf(A)).toBe(4);
    const releases = await db().release.findMany({ where: { version: VERSION, orgId: { in: [A.org.id, B.org.id] } } });
    expect(releases).toHaveLength(2);
  });

  it("keeps the users when retention deletes the events, and drops a deleted project's", async () => {
    // retention deletes events by age; the set counts the users ever seen in the release
    await db().event.deleteMany({ where: { projectId: A.project.id } });
    expect(await usersOf(A)).toBe(4);
    // u2 was also seen in A's first project, u4 only in the second
    await db().project.delete({ where: { id: A2.project.id } });
    expect(await usersOf(A)).toBe(3);
    expect(await setRows(A2.project.id)).toBe(0);
  });
});
