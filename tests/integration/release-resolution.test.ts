import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { NO_RELEASE_FOR_NEXT, UNKNOWN_RESOLUTION_RELEASE } from "@/lib/issues/update";
import { unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// "Resolved in next release" and "resolved in release X" through the issue API, then events
// through real ingest and the drain: an event of the resolution release or an older one leaves
// the issue resolved (its counters still move), one of a newer release or with no release
// reopens it as a regression.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let B: Tenant;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  ingest = await startIngest();
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  const scopes = ["event:write", "project:releases"] as const;
  tokenA = (await unsafeCreateApiToken({ userId: A.user.id, orgId: A.org.id, name: "t", scopes: [...scopes] })).token;
  tokenB = (await unsafeCreateApiToken({ userId: B.user.id, orgId: B.org.id, name: "t", scopes: [...scopes] })).token;
});
afterAll(() => ingest.close());

async function sendEvent(tenant: Tenant, release: string | undefined) {
  const event = errorEvent({ release });
  if (release === undefined) delete (event as { release?: string }).release;
  const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
    body: eventEnvelope(event),
  });
  expect(res.status, res.body).toBe(200);
  await drainAll(tenant.project.id);
}

const issuePath = (t: Tenant, id: number) => `/api/0/organizations/${t.org.slug}/issues/${id}/`;
const getIssue = async (t: Tenant, id: number, token = tokenA) => (await callApi("GET", issuePath(t, id), { token })).json();
const putIssue = (t: Tenant, id: number, body: unknown, token = tokenA) => callApi("PUT", issuePath(t, id), { token, body });
const newRelease = async (t: Tenant, version: string, token = tokenA) => {
  const res = await callApi("POST", `/api/0/organizations/${t.org.slug}/releases/`, { token, body: { version, projects: [t.project.slug] } });
  expect(res.status, res.body).toBe(201);
};
const row = (id: number) =>
  db().issue.findUniqueOrThrow({
    where: { id },
    select: { status: true, substatus: true, timesSeen: true, resolvedInReleaseId: true, resolvedInNextRelease: true },
  });
const releaseId = async (t: Tenant, version: string) =>
  (await db().release.findUniqueOrThrow({ where: { orgId_version: { orgId: t.org.id, version } } })).id;

describe("resolved in the next release", () => {
  let issueId: number;

  it("resolves in the project's latest release, which newer releases' events reopen and older ones' do not", async () => {
    await sendEvent(A, "shop@1.0");
    const [issue] = await db().issue.findMany({ where: { projectId: A.project.id } });
    issueId = issue!.id;
    await newRelease(A, "shop@2.0");

    const resolved = await putIssue(A, issueId, { status: "resolvedInNextRelease" });
    expect(resolved.status, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: "resolved", statusDetails: { inNextRelease: true } });
    expect(await row(issueId)).toMatchObject({
      status: "resolved",
      resolvedInReleaseId: await releaseId(A, "shop@2.0"),
      resolvedInNextRelease: true,
    });
    const activity = (await getIssue(A, issueId)).activity[0];
    expect(activity).toMatchObject({ type: "set_resolved_in_release", data: { version: "shop@2.0", inNextRelease: true } });

    // The release it was resolved in, and an older one: still resolved, counted.
    await sendEvent(A, "shop@1.0");
    await sendEvent(A, "shop@2.0");
    expect(await row(issueId)).toMatchObject({ status: "resolved", timesSeen: 3, resolvedInNextRelease: true });

    // A release made after the resolution (by this very event): a regression.
    await sendEvent(A, "shop@3.0");
    expect(await row(issueId)).toMatchObject({
      status: "unresolved",
      substatus: "regressed",
      timesSeen: 4,
      resolvedInReleaseId: null,
      resolvedInNextRelease: false,
    });
    const body = await getIssue(A, issueId);
    expect(body.statusDetails).toEqual({});
    expect(body.activity[0].type).toBe("set_regression");
    expect(body.firstRelease).toMatchObject({ version: "shop@1.0" });
    expect(body.lastRelease).toMatchObject({ version: "shop@3.0" });
  });

  it("takes statusDetails {inNextRelease: true}; an event without a release reopens the issue", async () => {
    const res = await putIssue(A, issueId, { status: "resolved", statusDetails: { inNextRelease: true } });
    expect(res.status, res.body).toBe(200);
    // shop@3.0 was made by the worker: it is now the latest.
    expect(await row(issueId)).toMatchObject({ status: "resolved", resolvedInReleaseId: await releaseId(A, "shop@3.0") });
    await sendEvent(A, undefined);
    expect(await row(issueId)).toMatchObject({ status: "unresolved", substatus: "regressed", resolvedInReleaseId: null });
  });

  it("resolves in a named release with statusDetails {inRelease}", async () => {
    const res = await putIssue(A, issueId, { status: "resolved", statusDetails: { inRelease: "shop@2.0" } });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: "resolved", statusDetails: { inRelease: "shop@2.0" } });
    expect(await row(issueId)).toMatchObject({ resolvedInReleaseId: await releaseId(A, "shop@2.0"), resolvedInNextRelease: false });
    await sendEvent(A, "shop@1.0");
    expect((await row(issueId)).status).toBe("resolved");
    // shop@3.0 was created after shop@2.0
    await sendEvent(A, "shop@3.0");
    expect((await row(issueId)).status).toBe("unresolved");
  });

  it("a plain resolve clears the release; then any event reopens", async () => {
    await putIssue(A, issueId, { status: "resolved", statusDetails: { inRelease: "shop@3.0" } });
    const res = await putIssue(A, issueId, { status: "resolved" });
    expect(res.json()).toMatchObject({ status: "resolved", statusDetails: {} });
    expect(await row(issueId)).toMatchObject({ status: "resolved", resolvedInReleaseId: null, resolvedInNextRelease: false });
    await sendEvent(A, "shop@1.0");
    expect((await row(issueId)).status).toBe("unresolved");
  });

  it("refuses with Sentry's messages: no release in the project, an unknown or another org's version", async () => {
    await sendEvent(B, undefined);
    const [issueB] = await db().issue.findMany({ where: { projectId: B.project.id } });
    const none = await putIssue(B, issueB!.id, { status: "resolvedInNextRelease" }, tokenB);
    expect(none.status).toBe(400);
    expect(none.json()).toEqual({ detail: NO_RELEASE_FOR_NEXT });
    expect((await row(issueB!.id)).status).toBe("unresolved");

    await newRelease(B, "only-in-b", tokenB);
    const foreign = await putIssue(A, issueId, { status: "resolved", statusDetails: { inRelease: "only-in-b" } });
    expect(foreign.status).toBe(400);
    expect(foreign.json()).toEqual({ detail: UNKNOWN_RESOLUTION_RELEASE });
    const both = await putIssue(A, issueId, { statusDetails: { inRelease: "shop@1.0", inNextRelease: true } });
    expect(both.status).toBe(400);
    const ignored = await putIssue(A, issueId, { status: "ignored", statusDetails: { inRelease: "shop@1.0" } });
    expect(ignored.status).toBe(400);
    // Another org's issue is not found, whatever the body.
    const cross = await putIssue(A, issueB!.id, { status: "resolvedInNextRelease" });
    expect(cross.status).toBe(404);
    expect((await row(issueB!.id)).status).toBe("unresolved");
  });

  it("bulk: PUT .../issues/?id= answers the details it set", async () => {
    await sendEvent(A, "shop@1.0");
    const res = await callApi("PUT", `/api/0/organizations/${A.org.slug}/issues/?id=${issueId}`, {
      token: tokenA,
      body: { status: "resolved", statusDetails: { inNextRelease: true } },
    });
    expect(res.status, res.body).toBe(200);
    expect(res.json()).toEqual({ status: "resolved", statusDetails: { inNextRelease: true } });
    expect(await row(issueId)).toMatchObject({ status: "resolved", resolvedInNextRelease: true });
  });

  it("the worker counts each release's events per project", async () => {
    const counts = await db().releaseProject.findMany({
      where: { projectId: A.project.id },
      select: { eventCount: true, release: { select: { version: true } } },
    });
    const byVersion = Object.fromEntries(counts.map((c) => [c.release.version, c.eventCount]));
    // shop@1.0: first, 2nd, 7th, 9th and 10th events; shop@2.0 one; shop@3.0 two; one with no release.
    expect(byVersion).toEqual({ "shop@1.0": 5, "shop@2.0": 1, "shop@3.0": 2 });
  });
});
