import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import { createOrgWithProject } from "../support/factories";
import { drainAll } from "../support/drain";
import { envelope, errorEvent, eventEnvelope, newEventId } from "../support/envelopes";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(() => ingest.close());

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

async function sendEvents(tenant: Tenant, events: object[]) {
  for (const event of events) {
    const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
      body: eventEnvelope(event as ReturnType<typeof errorEvent>),
    });
    expect(res.status, res.body).toBe(200);
  }
  await drainAll(tenant.project.id);
}

const issuesOf = (projectId: number) => db().issue.findMany({ where: { projectId }, orderBy: { id: "asc" } });

function withFrames(lines: number[], fn = "handleCheckout") {
  const base = errorEvent();
  base.exception.values[0]!.stacktrace.frames = lines.map((lineno, i) => ({
    filename: `/app/src/step-${i}.js`,
    function: i === lines.length - 1 ? fn : `step${i}`,
    lineno,
    colno: 1,
    in_app: true,
    context_line: "x",
  }));
  return base;
}

describe("grouping into issues", () => {
  it("groups the same error from the same site into one issue, whatever the line numbers", async () => {
    const tenant = await createOrgWithProject();
    await sendEvents(tenant, [withFrames([10, 20, 30]), withFrames([11, 21, 31]), withFrames([12, 22, 32])]);
    const issues = await issuesOf(tenant.project.id);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      timesSeen: 3,
      userCount: 1,
      status: "unresolved",
      shortId: 1,
      title: "TypeError: Cannot read properties of undefined (reading 'total')",
    });
    expect(issues[0]!.culprit).toContain("handleCheckout");
    const hourly = await db().issueHourlyCount.findMany({ where: { issueId: issues[0]!.id } });
    expect(hourly.reduce((n, h) => n + h.count, 0)).toBe(3);
    const tags = await db().issueTagValue.findMany({ where: { issueId: issues[0]!.id, key: "region" } });
    expect(tags.map((t) => [t.value, t.timesSeen])).toEqual([["eu-west-1", 3]]);
  });

  it("splits different crash sites, and counts distinct users", async () => {
    const tenant = await createOrgWithProject();
    const a = withFrames([1, 2], "pay");
    const b = withFrames([1, 2], "ship");
    const c = { ...withFrames([5, 6], "pay"), user: { id: "7" } };
    await sendEvents(tenant, [a, b, c]);
    // The project's two lanes may store the two crash sites' first events in either order.
    const issues = (await issuesOf(tenant.project.id)).sort((x, y) => y.timesSeen - x.timesSeen);
    expect(issues.map((i) => [i.timesSeen, i.userCount])).toEqual([
      [2, 2],
      [1, 1],
    ]);
    expect(issues.map((i) => i.shortId).sort()).toEqual([1, 2]);
  });

  it("counts an issue's users by its user tag: once each across batches, also past the tag cap", async () => {
    const tenant = await createOrgWithProject();
    // 60 tags of its own, of which an event keeps 50; the user tag is a built-in, on top.
    const manyTags = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, "x"]));
    const user = (id: string) => ({ ...withFrames([1]), tags: manyTags, user: { id } });
    await sendEvents(tenant, [user("u1"), user("u1")]);
    await sendEvents(tenant, [user("u1"), user("u2")]);
    const [issue] = await issuesOf(tenant.project.id);
    expect(issue).toMatchObject({ timesSeen: 4, userCount: 2 });
    const users = await db().issueTagValue.findMany({ where: { issueId: issue!.id, key: "user" }, orderBy: { value: "asc" } });
    expect(users.map((u) => [u.value, u.timesSeen])).toEqual([
      ["id:u1", 3],
      ["id:u2", 1],
    ]);
    const capped = await db().issueTagValue.count({ where: { issueId: issue!.id, key: { startsWith: "t" } } });
    expect(capped).toBeLessThanOrEqual(50);
    const levels = await db().issueTagValue.findMany({ where: { issueId: issue!.id, key: "level" } });
    expect(levels.map((l) => [l.value, l.timesSeen])).toEqual([["error", 4]]);
  });

  it("groups messages that differ only in numbers, ids and durations", async () => {
    const tenant = await createOrgWithProject();
    const message = (text: string) => ({ ...errorEvent(), exception: undefined, message: text, level: "warning" });
    await sendEvents(tenant, [
      message("Payment 4821 timed out after 30s"),
      message("Payment 77 timed out after 45s"),
      message("Refund 77 timed out after 45s"),
    ]);
    const issues = await issuesOf(tenant.project.id);
    // The title is the issue's first stored event's; the two payments may be stored by the
    // project's two lanes in either order.
    const byTitle = issues.sort((a, b) => a.title.localeCompare(b.title));
    expect(byTitle.map((i) => [i.title, i.timesSeen, i.level])).toEqual([
      [expect.stringMatching(/^Payment (4821 timed out after 30s|77 timed out after 45s)$/), 2, "warning"],
      ["Refund 77 timed out after 45s", 1, "warning"],
    ]);
  });

  it("honours a custom fingerprint, and {{ default }} within one", async () => {
    const tenant = await createOrgWithProject();
    await sendEvents(tenant, [
      { ...withFrames([1]), fingerprint: ["payment-provider-down"] },
      { ...withFrames([1], "other"), fingerprint: ["payment-provider-down"] },
      { ...withFrames([1]), fingerprint: ["{{ default }}", "eu"] },
      { ...withFrames([2]), fingerprint: ["{{ default }}", "eu"] },
      withFrames([1]),
    ]);
    // In any order: the project's two lanes may create the three issues in any order.
    expect((await issuesOf(tenant.project.id)).map((i) => i.timesSeen).sort()).toEqual([1, 2, 2]);
  });
});

describe("exactly once in effect", () => {
  it("stores an event sent twice once and counts it once", async () => {
    const tenant = await createOrgWithProject();
    const event = errorEvent();
    await sendEvents(tenant, [event, event]);
    await sendEvents(tenant, [event]);
    expect(await db().event.count({ where: { projectId: tenant.project.id } })).toBe(1);
    expect((await issuesOf(tenant.project.id))[0]!.timesSeen).toBe(1);
  });

  it("creates no empty issue for a resent event whose first copy was grouped differently", async () => {
    const tenant = await createOrgWithProject();
    const event = errorEvent();
    await sendEvents(tenant, [event]);
    const [issue] = await issuesOf(tenant.project.id);
    // As if the grouping had changed since: the event's hashes now point nowhere.
    await db().issueHash.deleteMany({ where: { issueId: issue!.id } });
    await sendEvents(tenant, [event]);
    expect((await issuesOf(tenant.project.id)).map((i) => [i.id, i.timesSeen])).toEqual([[issue!.id, 1]]);
    expect(await db().event.count({ where: { projectId: tenant.project.id } })).toBe(1);
  });
});

describe("storage", () => {
  it("stores payloads and tags with control characters and quotes intact, each event in its own row", async () => {
    const tenant = await createOrgWithProject();
    // \x1e separates the rows' JSON documents on the way to Postgres: JSON escapes it.
    const odd = 'rec\x1esep "quoted" back\\slash\nnewline \u2028 ünïcödé 🚀';
    const oddTag = 'rec\x1esep "quoted" back\\slash ünïcödé'; // tag values may not hold newlines
    const events = [errorEvent({ extra: { odd }, tags: { odd: oddTag } }), errorEvent({ extra: { odd: "plain" } })];
    await sendEvents(tenant, events);
    const stored = await db().event.findMany({ where: { projectId: tenant.project.id } });
    expect(stored).toHaveLength(2);
    const first = stored.find((e) => e.eventId === events[0]!.event_id)!;
    expect((first.payload as { extra: { odd: string } }).extra.odd).toBe(odd);
    expect(first.tags).toContainEqual(["odd", oddTag]);
    // Tags are stored once, in their own column.
    expect(first.payload).not.toHaveProperty("tags");
    const second = stored.find((e) => e.eventId === events[1]!.event_id)!;
    expect((second.payload as { extra: { odd: string } }).extra.odd).toBe("plain");
  });

  it("corrects the SDK's clock with the envelope's sent_at", async () => {
    const tenant = await createOrgWithProject();
    // The SDK's clock is two hours behind: it sent the event 5 s after it happened.
    const sdkNow = Date.now() - 2 * 3600_000;
    const event = errorEvent({ timestamp: (sdkNow - 5000) / 1000 });
    const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
      body: eventEnvelope(event, { sent_at: new Date(sdkNow).toISOString() }),
    });
    expect(res.status, res.body).toBe(200);
    await drainAll(tenant.project.id);
    const stored = await db().event.findFirstOrThrow({ where: { projectId: tenant.project.id } });
    const behindReceipt = stored.receivedAt.getTime() - stored.timestamp.getTime();
    expect(behindReceipt).toBeGreaterThanOrEqual(4000);
    expect(behindReceipt).toBeLessThan(10_000);
  });
});

describe("issue lifecycle", () => {
  it("reopens a resolved issue as a regression, with an activity entry", async () => {
    const tenant = await createOrgWithProject();
    await sendEvents(tenant, [withFrames([1])]);
    const [issue] = await issuesOf(tenant.project.id);
    await db().issue.update({ where: { id: issue!.id }, data: { status: "resolved", resolvedAt: new Date() } });
    await sendEvents(tenant, [withFrames([1])]);
    const after = await db().issue.findUniqueOrThrow({ where: { id: issue!.id }, include: { activities: true } });
    expect(after).toMatchObject({ status: "unresolved", substatus: "regressed", resolvedAt: null, timesSeen: 2 });
    expect(after.activities.map((a) => a.type)).toEqual(["set_regression"]);
  });

  it("keeps an issue ignored until N more events, and forever when told", async () => {
    const tenant = await createOrgWithProject();
    await sendEvents(tenant, [withFrames([1], "a"), withFrames([1], "b")]);
    const [untilCount, forever] = await issuesOf(tenant.project.id);
    await db().issue.update({ where: { id: untilCount!.id }, data: { status: "ignored", ignoreUntilCount: 3 } });
    await db().issue.update({ where: { id: forever!.id }, data: { status: "ignored" } });
    await sendEvents(tenant, [withFrames([1], "a"), withFrames([1], "b")]);
    expect((await db().issue.findUniqueOrThrow({ where: { id: untilCount!.id } })).status).toBe("ignored");
    await sendEvents(tenant, [withFrames([1], "a"), withFrames([1], "b")]);
    const woke = await db().issue.findUniqueOrThrow({ where: { id: untilCount!.id }, include: { activities: true } });
    expect(woke).toMatchObject({ status: "unresolved", substatus: "escalating", ignoreUntilCount: null });
    expect(woke.activities.map((a) => a.type)).toEqual(["set_escalating"]);
    expect((await db().issue.findUniqueOrThrow({ where: { id: forever!.id } })).status).toBe("ignored");
  });

  it("wakes an issue ignored until a date that has passed", async () => {
    const tenant = await createOrgWithProject();
    await sendEvents(tenant, [withFrames([1])]);
    const [issue] = await issuesOf(tenant.project.id);
    await db().issue.update({ where: { id: issue!.id }, data: { status: "ignored", ignoreUntil: new Date(Date.now() - 1000) } });
    await sendEvents(tenant, [withFrames([1])]);
    expect(await db().issue.findUniqueOrThrow({ where: { id: issue!.id } })).toMatchObject({ status: "unresolved", ignoreUntil: null });
  });
});

describe("server-side scrubbing", () => {
  const secretEvent = () => ({
    ...errorEvent(),
    extra: { password: "hunter2", order: "A-1" },
    request: { url: "https://shop.example/pay", headers: { Authorization: "Bearer abc.def", "User-Agent": "Mozilla/5.0" } },
    message: "charge failed for card 4111 1111 1111 1111",
  });

  it("filters secrets and card numbers by default", async () => {
    const tenant = await createOrgWithProject();
    const event = secretEvent();
    await sendEvents(tenant, [event]);
    const stored = await db().event.findFirstOrThrow({ where: { projectId: tenant.project.id } });
    const text = JSON.stringify(stored.payload);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("abc.def");
    expect(text).not.toContain("4111 1111 1111 1111");
    expect(text).toContain("[Filtered]");
    expect(text).toContain("A-1");
  });

  it("keeps everything when the project turns scrubbing off", async () => {
    const tenant = await createOrgWithProject();
    await db().project.update({ where: { id: tenant.project.id }, data: { scrubData: false } });
    await sendEvents(tenant, [secretEvent()]);
    const stored = await db().event.findFirstOrThrow({ where: { projectId: tenant.project.id } });
    expect(JSON.stringify(stored.payload)).toContain("hunter2");
  });
});

describe("other items", () => {
  it("stores transactions, sessions, check-ins, feedback, attachments and client reports", async () => {
    const tenant = await createOrgWithProject();
    const eventId = newEventId();
    const now = Date.now() / 1000;
    const sid = newEventId();
    const checkInId = newEventId();
    const items = [
      {
        type: "transaction",
        payload: JSON.stringify({
          event_id: newEventId(), type: "transaction", transaction: "GET /cart", start_timestamp: now - 0.25, timestamp: now,
          release: "web@1.0", contexts: { trace: { trace_id: "a".repeat(32), span_id: "b".repeat(16), op: "http.server", status: "ok" } },
        }),
      },
      { type: "session", payload: JSON.stringify({ sid, init: true, started: new Date().toISOString(), status: "ok", attrs: { release: "web@1.0", environment: "production" } }) },
      { type: "session", payload: JSON.stringify({ sid, init: false, started: new Date().toISOString(), status: "crashed", errors: 1, attrs: { release: "web@1.0", environment: "production" } }) },
      { type: "sessions", payload: JSON.stringify({ attrs: { release: "web@1.0", environment: "production" }, aggregates: [{ started: new Date().toISOString(), exited: 5, errored: 1 }] }) },
      { type: "check_in", payload: JSON.stringify({ check_in_id: checkInId, monitor_slug: "nightly", status: "in_progress", monitor_config: { schedule: { type: "crontab", value: "0 3 * * *" } } }) },
      { type: "check_in", payload: JSON.stringify({ check_in_id: checkInId, monitor_slug: "nightly", status: "ok", duration: 12.5 }) },
      { type: "user_report", payload: JSON.stringify({ event_id: eventId, name: "Jane", email: "jane@example.com", comments: "It broke when I paid" }) },
      { type: "attachment", payload: Buffer.from("log line 1\nlog line 2\n"), headers: { filename: "app.log", content_type: "text/plain" } },
      { type: "client_report", payload: JSON.stringify({ timestamp: now, discarded_events: [{ reason: "queue_overflow", category: "error", quantity: 4 }] }) },
    ];
    const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
      body: envelope({ event_id: eventId }, items),
    });
    expect(res.status, res.body).toBe(200);
    await drainAll(tenant.project.id);

    const [transaction] = await db().transaction.findMany({ where: { projectId: tenant.project.id } });
    expect(transaction).toMatchObject({ name: "GET /cart", op: "http.server", status: "ok", traceId: "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa", release: "web@1.0" });
    expect(transaction!.durationMs).toBeGreaterThan(200);
    expect(transaction!.durationMs).toBeLessThan(300);
    const sessions = await db().sessionCount.findMany({ where: { projectId: tenant.project.id } });
    expect(sessions.map((s) => [s.release, s.environment, s.started, s.exited, s.errored, s.crashed])).toEqual([["web@1.0", "production", 7, 5, 1, 1]]);
    expect(await db().checkIn.findMany({ where: { projectId: tenant.project.id }, select: { status: true, durationMs: true } })).toEqual([{ status: "ok", durationMs: 12500 }]);
    expect(await db().feedback.findMany({ where: { projectId: tenant.project.id }, select: { name: true, message: true, associatedEventId: true } })).toEqual([
      { name: "Jane", message: "It broke when I paid", associatedEventId: eventId },
    ]);
    const [attachment] = await db().eventAttachment.findMany({ where: { projectId: tenant.project.id } });
    expect(attachment).toMatchObject({ eventId, name: "app.log", contentType: "text/plain", size: 22 });
    expect(Buffer.from(attachment!.data).toString()).toBe("log line 1\nlog line 2\n");
    const discards = await db().outcomeCount.findMany({ where: { projectId: tenant.project.id, outcome: "client_discard" } });
    expect(discards.map((d) => [d.category, d.reason, Number(d.quantity)])).toEqual([["error", "queue_overflow", 4]]);
  });
});

describe("tenant isolation", () => {
  it("groups the same error of two tenants into separate issues, each in its own project", async () => {
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    await sendEvents(a, [withFrames([1])]);
    await sendEvents(b, [withFrames([1])]);
    const [issueA] = await issuesOf(a.project.id);
    const [issueB] = await issuesOf(b.project.id);
    expect(issueA!.id).not.toBe(issueB!.id);
    expect(issueA!.timesSeen).toBe(1);
    expect(issueB!.timesSeen).toBe(1);
    expect(await db().event.count({ where: { issueId: issueA!.id, projectId: b.project.id } })).toBe(0);
  });
});
