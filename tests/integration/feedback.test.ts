import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { DSN_REPORTS_PER_MINUTE } from "@/lib/feedback/submit";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi, parseLink } from "../support/api";
import { drainAll } from "../support/drain";
import { envelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";
import { NODE, run } from "../support/processes";

// User feedback end to end: the real @sentry/node SDK's captureFeedback and a raw user_report
// item through ingest and the drain, the legacy user-feedback endpoint with DSN and token auth,
// and the lists, in two orgs.

// The official SDK in its own process: an exception, feedback about it, feedback about nothing.
const SDK_SCRIPT = `
import * as Sentry from "@sentry/node";
Sentry.init({ dsn: process.env.SENTRY_DSN, environment: "production", sendClientReports: false });
Sentry.setUser({ id: "u-42", email: "ana@example.com", username: "ana" });
const eventId = Sentry.captureException(new Error("Checkout button does nothing"));
console.log("exception " + eventId);
console.log("linked " + Sentry.captureFeedback({ message: "I clicked pay and nothing happened", name: "Ana", email: "ana@example.com", url: "https://shop.example/cart", associatedEventId: eventId }));
console.log("unlinked " + Sentry.captureFeedback({ message: "Love the new design", name: "Bo", email: "bo@example.com" }));
console.log("flushed " + (await Sentry.flush(5000)));
`;

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>> & { read: string; write: string; dsn: string };

let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let B: Tenant;
let exceptionId = "";
let linkedId = "";
let unlinkedId = "";

const token = async (t: Awaited<ReturnType<typeof createOrgWithProject>>, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;

async function tenant(): Promise<Tenant> {
  const t = await createOrgWithProject();
  return {
    ...t,
    read: await token(t, ["event:read"]),
    write: await token(t, ["event:write"]),
    dsn: `http://${t.key.publicKey}@${new URL(ingest.base).host}/${t.project.id}`,
  };
}

const listPath = (t: Tenant, org = t.org.slug, project = t.project.slug) => `/api/0/projects/${org}/${project}/user-feedback/`;
const postDsn = (t: Tenant, body: unknown, dsn = t.dsn, path = listPath(t)) =>
  callApi("POST", path, { rawBody: typeof body === "string" ? body : JSON.stringify(body), headers: { authorization: `DSN ${dsn}` } });

beforeAll(async () => {
  ingest = await startIngest();
  A = await tenant();
  B = await tenant();
  const result = await run(NODE, ["--input-type=module", "-e", SDK_SCRIPT], { SENTRY_DSN: A.dsn });
  expect(result.code, result.output).toBe(0);
  expect(result.output).toContain("flushed true");
  exceptionId = result.output.match(/exception ([0-9a-f]{32})/)![1]!;
  linkedId = result.output.match(/linked ([0-9a-f]{32})/)![1]!;
  unlinkedId = result.output.match(/unlinked ([0-9a-f]{32})/)![1]!;
  await drainAll(A.project.id);
});
afterAll(() => ingest.close());

describe("feedback from the SDK and from user_report items", () => {
  it("lists captureFeedback linked to its error event and issue, and feedback about nothing", async () => {
    const issue = await db().issue.findFirstOrThrow({ where: { projectId: A.project.id }, select: { id: true, shortId: true, title: true } });
    const reply = await callApi("GET", listPath(A), { token: A.read });
    expect(reply.status, reply.body).toBe(200);
    const list = reply.json();
    expect(list).toHaveLength(2);
    const linked = list.find((r: { comments: string }) => r.comments === "I clicked pay and nothing happened");
    expect(linked).toMatchObject({
      eventID: exceptionId,
      name: "Ana",
      email: "ana@example.com",
      issue: { id: String(issue.id), shortId: `${A.project.slug.toUpperCase()}-${issue.shortId}`, title: issue.title },
      user: { id: "u-42", email: "ana@example.com", username: "ana" },
      url: "https://shop.example/cart",
    });
    expect(new Date(linked.dateCreated).getTime()).toBeGreaterThan(Date.now() - 120_000);
    // Feedback about no event: its own event id stands in, and there is no issue.
    const unlinked = list.find((r: { comments: string }) => r.comments === "Love the new design");
    expect(unlinked).toMatchObject({ eventID: unlinkedId, issue: null, user: null, name: "Bo" });
    // Newest first.
    expect(list.map((r: { id: string }) => Number(r.id))).toEqual(list.map((r: { id: string }) => Number(r.id)).sort((a: number, b: number) => b - a));
    expect(linkedId).not.toBe(exceptionId);
  });

  it("stores a raw user_report item (dashed event id) linked to the issue", async () => {
    const dashed = exceptionId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5").toUpperCase();
    const report = { event_id: dashed, name: "Cy", email: "cy@example.com", comments: "Same here, on Firefox" };
    const res = await send(`${ingest.base}/api/${A.project.id}/envelope/?sentry_key=${A.key.publicKey}`, {
      body: envelope({ event_id: exceptionId }, [{ type: "user_report", payload: JSON.stringify(report) }]),
    });
    expect(res.status, res.body).toBe(200);
    await drainAll(A.project.id);
    const issue = await db().issue.findFirstOrThrow({ where: { projectId: A.project.id }, select: { id: true } });
    const reports = await callApi("GET", `/api/0/organizations/${A.org.slug}/issues/${issue.id}/user-reports/`, { token: A.read });
    expect(reports.status, reports.body).toBe(200);
    expect(reports.json().map((r: { comments: string; eventID: string }) => [r.comments, r.eventID])).toEqual([
      ["Same here, on Firefox", exceptionId],
      ["I clicked pay and nothing happened", exceptionId],
    ]);
    // Sentry's older org-less path answers the same for the token's org.
    const orgless = await callApi("GET", `/api/0/issues/${issue.id}/user-reports/`, { token: A.read });
    expect(orgless.json()).toEqual(reports.json());
  });

  it("drops a user_report without comments and feedback without a message", async () => {
    const before = await db().feedback.count({ where: { projectId: A.project.id } });
    const items = [
      { type: "user_report", payload: JSON.stringify({ event_id: newEventId(), name: "x", comments: "" }) },
      { type: "feedback", payload: JSON.stringify({ event_id: newEventId(), type: "feedback", contexts: { feedback: { message: 42 } } }) },
    ];
    for (const item of items) {
      const res = await send(`${ingest.base}/api/${A.project.id}/envelope/?sentry_key=${A.key.publicKey}`, { body: envelope({}, [item]) });
      expect(res.status, res.body).toBe(200);
    }
    await drainAll(A.project.id);
    expect(await db().feedback.count({ where: { projectId: A.project.id } })).toBe(before);
  });
});

describe("the legacy user-feedback endpoint", () => {
  it("takes a report with the project's DSN and answers it in the legacy shape, linked to the issue", async () => {
    const reply = await postDsn(A, { event_id: exceptionId, name: "Di", email: "di@example.com", comments: "Posted by the crash dialog" });
    // The SDK's report for this event came first (a user_report row): within five minutes it is updated.
    expect(reply.status, reply.body).toBe(200);
    expect(reply.json()).toMatchObject({ eventID: exceptionId, name: "Di", email: "di@example.com", comments: "Posted by the crash dialog" });
    expect(reply.json().issue.shortId).toMatch(new RegExp(`^${A.project.slug.toUpperCase()}-\\d+$`));
  });

  it("takes at most DSN_REPORTS_PER_MINUTE reports a minute with one DSN (it is public), then 429; other DSNs go on", async () => {
    const C = await tenant();
    const before = await db().feedback.count({ where: { projectId: C.project.id } });
    const statuses: number[] = [];
    for (let i = 0; i <= DSN_REPORTS_PER_MINUTE; i++) statuses.push((await postDsn(C, { event_id: newEventId(), comments: `report ${i}` })).status);
    expect(statuses.slice(0, DSN_REPORTS_PER_MINUTE).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect(await db().feedback.count({ where: { projectId: C.project.id } })).toBe(before + DSN_REPORTS_PER_MINUTE);
    // A token is no public key: not limited by this; another project's DSN has its own minute.
    expect((await callApi("POST", listPath(C), { token: C.write, body: { event_id: newEventId(), comments: "by token" } })).status).toBe(200);
    const D = await tenant();
    expect((await postDsn(D, { event_id: newEventId(), comments: "other DSN" })).status).toBe(200);
  });

  it("takes a report with a token; a second one within five minutes updates it, later it is 409", async () => {
    const eventId = newEventId();
    const first = await callApi("POST", listPath(A), { token: A.write, body: { event_id: eventId, name: "Ed", email: "ed@example.com", comments: "first" } });
    expect(first.status, first.body).toBe(200);
    expect(first.json()).toMatchObject({ eventID: eventId, comments: "first", issue: null, user: null });
    const second = await callApi("POST", listPath(A), { token: A.write, body: { event_id: eventId, comments: "second thoughts" } });
    expect(second.status, second.body).toBe(200);
    expect(second.json()).toMatchObject({ id: first.json().id, comments: "second thoughts" });
    await db().feedback.update({ where: { id: BigInt(first.json().id) }, data: { createdAt: new Date(Date.now() - 6 * 60_000) } });
    const third = await callApi("POST", listPath(A), { token: A.write, body: { event_id: eventId, comments: "third" } });
    expect(third.status, third.body).toBe(409);
    expect((await db().feedback.findUniqueOrThrow({ where: { id: BigInt(first.json().id) } })).message).toBe("second thoughts");
  });

  it("refuses bad input with 400 and stores nothing", async () => {
    const before = await db().feedback.count({ where: { projectId: A.project.id } });
    const eventId = newEventId();
    const bad: [unknown, RegExp][] = [
      [{ event_id: eventId, name: "x", email: "x@example.com" }, /comments is required/],
      [{ event_id: eventId, comments: "x".repeat(5000) }, /comments is longer than 4096/],
      [{ event_id: eventId, comments: "hi", email: "not-an-email" }, /email is not a valid email/],
      [{ event_id: "zz".repeat(16), comments: "hi" }, /event_id must be a 32-character hex id/],
      [{ comments: "hi" }, /event_id is required/],
      [{ event_id: eventId, comments: "hi", name: { first: "x" } }, /name must be a string/],
      ["[1, 2]", /JSON object/],
      ["{not json", /Malformed JSON/],
      ["", /JSON object/],
    ];
    for (const [body, message] of bad) {
      const reply = await postDsn(A, body);
      expect(reply.status, `${JSON.stringify(body)}: ${reply.body}`).toBe(400);
      expect(reply.json().detail).toMatch(message);
    }
    expect(await db().feedback.count({ where: { projectId: A.project.id } })).toBe(before);
  });

  it("keeps tenants apart: B's DSN or token cannot post into A's project or read A's feedback", async () => {
    const body = { event_id: newEventId(), comments: "from B" };
    expect((await postDsn(A, body, B.dsn)).status).toBe(403);
    // B's DSN with B's project id but A's slugs, and a DSN naming A's project id with B's key
    expect((await postDsn(A, body, B.dsn.replace(/\/\d+$/, `/${A.project.id}`))).status).toBe(403);
    expect((await postDsn(A, body, `http://${"0".repeat(32)}@localhost/${A.project.id}`)).status).toBe(401);
    expect((await postDsn(A, body, "not a dsn")).status).toBe(401);
    expect((await callApi("POST", listPath(A), { body })).status).toBe(401);
    expect((await callApi("POST", listPath(A), { token: B.write, body })).status).toBe(404);
    expect((await callApi("POST", listPath(A), { token: A.read, body })).status).toBe(403);
    expect((await callApi("GET", listPath(A), { token: B.read })).status).toBe(404);
    // A's project slug under B's org
    expect((await callApi("GET", listPath(B, B.org.slug, A.project.slug), { token: B.read })).status).toBe(404);
    const issue = await db().issue.findFirstOrThrow({ where: { projectId: A.project.id }, select: { id: true } });
    expect((await callApi("GET", `/api/0/organizations/${B.org.slug}/issues/${issue.id}/user-reports/`, { token: B.read })).status).toBe(404);
    expect((await callApi("GET", `/api/0/organizations/${A.org.slug}/issues/${issue.id}/user-reports/`, { token: B.read })).status).toBe(404);
    expect((await callApi("GET", `/api/0/issues/${issue.id}/user-reports/`, { token: B.read })).status).toBe(404);
    // B's own list is empty, and nothing of B's landed in A.
    expect((await callApi("GET", listPath(B), { token: B.read })).json()).toEqual([]);
    expect(await db().feedback.count({ where: { projectId: A.project.id, message: "from B" } })).toBe(0);
  });

  it("pages newest first with Link headers", async () => {
    const all = (await callApi("GET", listPath(A), { token: A.read })).json();
    expect(all.length).toBeGreaterThanOrEqual(4);
    const seen: string[] = [];
    let path: string | undefined = `${listPath(A)}?per_page=2`;
    while (path) {
      const reply = await callApi("GET", path, { token: A.read });
      expect(reply.status, reply.body).toBe(200);
      seen.push(...reply.json().map((r: { id: string }) => r.id));
      const next = parseLink(reply.headers.get("link")).next;
      path = next?.results ? next.url : undefined;
    }
    expect(seen).toEqual(all.map((r: { id: string }) => r.id));
    expect((await callApi("GET", `${listPath(A)}?cursor=bogus`, { token: A.read })).status).toBe(400);
  });
});
