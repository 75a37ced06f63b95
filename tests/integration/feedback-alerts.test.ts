import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { CONDITION_IDS, FILTER_IDS } from "@/lib/alerts/catalog";
import { unsafeAttemptDelivery } from "@/lib/alerts/deliver/process";
import { UNLINKED_FEEDBACK_BURST } from "@/lib/alerts/evaluate-feedback";
import { createAlertRule } from "@/lib/alerts/rules";
import type { Viewer } from "@/lib/auth/viewer";
import { db } from "@/lib/db";
import { closeQueues, queue } from "@/lib/queues";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// The new-feedback alert condition: feedback stored by the drain (and posted to the legacy
// endpoint) fires rules that have it, in the storing transaction, and the delivery code sends
// the webhook to a receiver on 127.0.0.1; rules without the condition, and other orgs' rules,
// stay quiet. Hoisted: lib/env.ts reads the environment once.
vi.hoisted(() => {
  process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS = "true";
  process.env.APP_URL = "https://errorhub.test";
});

type Received = { path: string; body: string };
const received: Received[] = [];
const receiver = http.createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    received.push({ path: request.url ?? "", body });
    response.writeHead(200).end("ok");
  });
});
let base = "";

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let A: Tenant;
let B: Tenant;
let issueId = 0;
let errorId = "";
const rules = { feedback: 0, everyEvent: 0, other: 0 };

const viewerOf = (t: Tenant): Viewer => ({ userId: t.user.id, orgId: t.org.id, role: "owner" });
const webhook = (path: string) => ({ id: "errorhub.actions.webhook", url: `${base}${path}` });

function feedbackItem(message: string, associated?: string) {
  const eventId = newEventId();
  const payload = {
    event_id: eventId,
    type: "feedback",
    timestamp: Date.now() / 1000,
    environment: "production",
    contexts: { feedback: { message, name: "Ana", contact_email: "ana@example.com", url: "https://shop.example/cart", associated_event_id: associated } },
  };
  return { type: "feedback", payload: JSON.stringify(payload) };
}

async function sendFeedback(t: Tenant, items: ReturnType<typeof feedbackItem>[]) {
  // At most one feedback per envelope, as SDKs send it.
  for (const item of items) {
    const res = await send(`${ingest.base}/api/${t.project.id}/envelope/?sentry_key=${t.key.publicKey}`, { body: envelope({}, [item]) });
    expect(res.status, res.body).toBe(200);
  }
  await drainAll(t.project.id);
}

const deliveriesOf = (ruleId: number) =>
  db().alertDelivery.findMany({ where: { ruleId }, orderBy: { id: "asc" }, select: { id: true, issueId: true, eventId: true } });

/** Sends deliveries the way the delivery job does (and takes their queued jobs away). */
async function deliver(ids: bigint[]) {
  for (const id of ids) {
    const run = await unsafeAttemptDelivery(id, true);
    expect(run.done).toBe("sent");
    await (await queue("alerts").getJob(`alert-${id}`))?.remove();
  }
}

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  ingest = await startIngest();
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  const event = errorEvent();
  errorId = event.event_id;
  const res = await send(`${ingest.base}/api/${A.project.id}/envelope/?sentry_key=${A.key.publicKey}`, { body: eventEnvelope(event) });
  expect(res.status, res.body).toBe(200);
  await drainAll(A.project.id);
  issueId = (await db().issue.findFirstOrThrow({ where: { projectId: A.project.id }, select: { id: true } })).id;
  const make = async (t: Tenant, name: string, conditions: object[], path: string) =>
    (await createAlertRule(viewerOf(t), t.project.id, { name, conditions, actions: [webhook(path)], frequency: 5 })).id;
  rules.feedback = await make(A, "Feedback", [{ id: CONDITION_IDS.newFeedback }], "/feedback");
  rules.everyEvent = await make(A, "Every event", [{ id: CONDITION_IDS.everyEvent }], "/events");
  rules.other = await make(B, "B's feedback", [{ id: CONDITION_IDS.newFeedback }], "/b");
});
afterAll(async () => {
  await ingest.close();
  await new Promise((resolve) => receiver.close(resolve));
  await closeQueues();
});

describe("alert rules on new feedback", () => {
  it("fires for feedback about an issue and for feedback about nothing, and the webhook says so", async () => {
    await sendFeedback(A, [feedbackItem("Pay button does nothing", errorId.replace(/^(.{8})(.{4})/, "$1-$2-")), feedbackItem("Love it")]);
    const deliveries = await deliveriesOf(rules.feedback);
    // (the two may be stored in either order: ingest spreads items over the project's lanes)
    expect(deliveries.map((d) => d.issueId).sort()).toEqual([issueId, null].sort());
    expect(deliveries.every((d) => d.eventId?.startsWith("feedback:"))).toBe(true);
    // A rule without the condition, and another org's rule, do not fire on feedback.
    expect(await deliveriesOf(rules.everyEvent)).toEqual([]);
    expect(await deliveriesOf(rules.other)).toEqual([]);
    // Queued for the delivery jobs, like event firings.
    for (const d of deliveries) expect(await queue("alerts").getJob(`alert-${d.id}`)).toBeTruthy();

    await deliver(deliveries.map((d) => d.id));
    const bodies = received
      .filter((r) => r.path === "/feedback")
      .map((r) => JSON.parse(r.body))
      .sort((a, b) => Number(b.id) - Number(a.id));
    expect(bodies).toHaveLength(2);
    expect(bodies[0]).toMatchObject({
      id: String(issueId),
      message: "New feedback from Ana <ana@example.com>: Pay button does nothing",
      url: `https://errorhub.test/${A.org.slug}/issues/${issueId}`,
      triggering_rules: ["Feedback"],
      feedback: { comments: "Pay button does nothing", email: "ana@example.com", associated_event_id: errorId, url: "https://shop.example/cart" },
      event: { event_id: errorId },
    });
    expect(bodies[1]).toMatchObject({
      id: "0",
      message: "New feedback from Ana <ana@example.com>: Love it",
      url: `https://errorhub.test/${A.org.slug}/feedback?project=${A.project.slug}`,
      feedback: { comments: "Love it", associated_event_id: null },
      event: { event_id: null },
    });
    expect(received.filter((r) => r.path !== "/feedback")).toEqual([]);
    const activity = await db().issueActivity.findMany({ where: { issueId, type: "alert_fired" }, select: { data: true } });
    expect(activity.map((a) => (a.data as { ruleName: string }).ruleName)).toEqual(["Feedback"]);
  });

  it("throttles per (rule, issue) and bounds feedback about nothing per frequency window", async () => {
    const before = (await deliveriesOf(rules.feedback)).length;
    const spam = Array.from({ length: UNLINKED_FEEDBACK_BURST + 3 }, (_, i) => feedbackItem(`spam ${i}`));
    await sendFeedback(A, [feedbackItem("Still broken", errorId), ...spam]);
    const after = await deliveriesOf(rules.feedback);
    const fresh = after.slice(before);
    // The issue's rule fired minutes ago: no second firing within its 5-minute frequency.
    expect(fresh.filter((d) => d.issueId !== null)).toEqual([]);
    // One unlinked firing happened in the first test: the rest of the burst, no more.
    expect(fresh).toHaveLength(UNLINKED_FEEDBACK_BURST - 1);
    await db().alertDelivery.deleteMany({ where: { id: { in: fresh.map((d) => d.id) } } });
    for (const d of fresh) await (await queue("alerts").getJob(`alert-${d.id}`))?.remove();
    // Every feedback is stored all the same.
    expect(await db().feedback.count({ where: { projectId: A.project.id } })).toBe(2 + 1 + spam.length);
  });

  it("fires for a report posted to the legacy endpoint, once (an update does not fire again)", async () => {
    const token = (await unsafeCreateApiToken({ userId: B.user.id, orgId: B.org.id, name: "t", scopes: ["event:write"] as Scope[] })).token;
    const path = `/api/0/projects/${B.org.slug}/${B.project.slug}/user-feedback/`;
    const body = { event_id: newEventId(), name: "Bo", email: "bo@example.com", comments: "Where is my order?" };
    expect((await callApi("POST", path, { token, body })).status).toBe(200);
    expect((await callApi("POST", path, { token, body: { ...body, comments: "Found it" } })).status).toBe(200);
    const deliveries = await deliveriesOf(rules.other);
    expect(deliveries).toHaveLength(1);
    await deliver(deliveries.map((d) => d.id));
    const [message] = received.filter((r) => r.path === "/b").map((r) => JSON.parse(r.body));
    // The delivery tells the feedback as it is when sent.
    expect(message).toMatchObject({ message: "New feedback from Bo <bo@example.com>: Found it", feedback: { comments: "Found it" } });
  });

  it("refuses filters on a rule with the feedback condition", async () => {
    await expect(
      createAlertRule(viewerOf(A), A.project.id, {
        name: "x",
        conditions: [{ id: CONDITION_IDS.newFeedback }],
        filters: [{ id: FILTER_IDS.level, match: "gte", level: "error" }],
        actions: [webhook("/x")],
      }),
    ).rejects.toThrow(/filters cannot be combined with the new feedback condition/);
  });

  it("refuses other conditions or actionMatch none beside the feedback condition (it would never fire, or fire on every event)", async () => {
    const attempt = (actionMatch: "all" | "any" | "none", conditions: { id: string }[]) =>
      createAlertRule(viewerOf(A), A.project.id, { name: "x", actionMatch, conditions, actions: [webhook("/x")] } as Parameters<typeof createAlertRule>[2]);
    await expect(attempt("none", [{ id: CONDITION_IDS.newFeedback }])).rejects.toThrow(/makes a rule of its own/);
    await expect(attempt("all", [{ id: CONDITION_IDS.newFeedback }, { id: CONDITION_IDS.firstSeen }])).rejects.toThrow(/makes a rule of its own/);
    await expect(attempt("any", [{ id: CONDITION_IDS.newFeedback }])).resolves.toBeTruthy();
  });
});
