// The SMTP catcher first: it sets SMTP_URL before lib/ reads the environment.
import { closeSmtp, mails } from "../support/smtp-catcher";
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Action } from "@/lib/alerts/catalog";
import { listAlertDeliveries, sendTestNotification, unsafeSweepAlertDeliveries } from "@/lib/alerts/deliveries";
import { enqueueAlertDeliveries } from "@/lib/alerts/enqueue";
import { db } from "@/lib/db";
import { queue } from "@/lib/queues";
import { SCOPES, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { createOrgWithProject } from "../support/factories";
import { startIngest } from "../support/ingest";
import { NODE, type Running, WITH_TSX, run, start } from "../support/processes";

// Receivers on 127.0.0.1, so the worker (and this process, for the test notification) runs
// with private networks allowed; the guard itself is tested in lib/alerts/deliver/http.test.ts
// and, through a worker without the flag, at the end of this file. Hoisted above the imports:
// lib/env.ts reads the environment once, and an imported module may read it first.
const APP_URL = vi.hoisted(() => {
  process.env.WEBHOOK_ALLOW_PRIVATE_NETWORKS = "true";
  process.env.APP_URL = "https://errorhub.test";
  return "https://errorhub.test";
});

type Received = { path: string; headers: http.IncomingHttpHeaders; body: string; at: number };
const received: Received[] = [];
const answers = new Map<string, number[]>(); // path -> statuses to answer in turn (last one repeats)
const receiver = http.createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => (body += chunk));
  request.on("end", () => {
    const path = request.url ?? "";
    received.push({ path, headers: request.headers, body, at: Date.now() });
    const statuses = answers.get(path) ?? [200];
    const status = statuses.length > 1 ? statuses.shift()! : statuses[0]!;
    response.writeHead(status).end(status === 200 ? "ok" : "nope");
  });
});
let base = "";
const to = (path: string) => received.filter((r) => r.path === path);

let ingest: Awaited<ReturnType<typeof startIngest>>;
let worker: Running | undefined;
type Tenant = Awaited<ReturnType<typeof createOrgWithProject>> & { issues: { id: number; shortId: number; title: string; eventId: string }[] };
let A: Tenant;
let B: Tenant;

async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${worker ? `; worker output:\n${worker.output().slice(-3000)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Real @sentry/node events (an exception and a message) through ingest and the worker. */
async function withIssues(tenant: Awaited<ReturnType<typeof createOrgWithProject>>): Promise<Tenant> {
  const dsn = `http://${tenant.key.publicKey}@${new URL(ingest.base).host}/${tenant.project.id}`;
  const result = await run(NODE, ["tests/support/sentry-client.mjs"], { SENTRY_DSN: dsn });
  expect(result.output).toContain("flushed true");
  const issues = await until("the SDK's two issues", async () => {
    const rows = await db().issue.findMany({ where: { projectId: tenant.project.id }, orderBy: { id: "asc" }, select: { id: true, shortId: true, title: true } });
    return rows.length === 2 && rows;
  });
  return {
    ...tenant,
    issues: await Promise.all(
      issues.map(async (issue) => ({
        ...issue,
        eventId: (await db().event.findFirstOrThrow({ where: { issueId: issue.id }, select: { eventId: true } })).eventId,
      })),
    ),
  };
}

async function rule(tenant: Tenant, name: string, actions: Action[], secret: string | null = null) {
  return db().alertRule.create({
    data: { projectId: tenant.project.id, name, actions, conditions: [{ id: "sentry.rules.conditions.every_event.EveryEventCondition" }], secret },
  });
}

/** What evaluation does when a rule fires: a pending row per action, then their jobs. */
async function fire(ruleRow: { id: number; actions: unknown }, issue: { id: number; eventId: string }) {
  const rows = [];
  for (const action of ruleRow.actions as Action[]) {
    rows.push(await db().alertDelivery.create({ data: { ruleId: ruleRow.id, issueId: issue.id, eventId: issue.eventId, action } }));
  }
  await enqueueAlertDeliveries(rows.map((r) => r.id));
  return rows.map((r) => r.id);
}

const delivery = (id: bigint) => db().alertDelivery.findUniqueOrThrow({ where: { id } });
const settled = (id: bigint) => until(`delivery ${id} to settle`, async () => {
  const row = await delivery(id);
  return (row.status === "sent" || row.status === "failed") && row;
});

async function startWorker(env: Record<string, string>) {
  worker = start(NODE, [...WITH_TSX, "workers/worker.ts"], { APP_URL, ...env });
  await worker.waitFor(/worker started/);
}

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  ingest = await startIngest();
  await startWorker({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" });
  A = await withIssues(await createOrgWithProject());
  B = await withIssues(await createOrgWithProject());
});

afterAll(async () => {
  await worker?.stop("SIGKILL");
  await ingest?.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await closeSmtp();
});

describe("each action type delivers its documented shape", () => {
  it("webhook (signed), Slack, Discord and email, each logged as sent", async () => {
    const issue = A.issues[0]!;
    const r = await rule(A, "Everything everywhere", [
      { id: "errorhub.actions.webhook", url: `${base}/shape/webhook` },
      { id: "errorhub.actions.slack", webhookUrl: `${base}/shape/slack` },
      { id: "errorhub.actions.discord", webhookUrl: `${base}/shape/discord` },
      { id: "sentry.mail.actions.NotifyEmailAction", targetType: "Member", targetIdentifier: A.user.id },
    ], "hook-secret");
    const ids = await fire(r, issue);
    const rows = await Promise.all(ids.map(settled));
    expect(rows.map((row) => [row.status, row.attempts, row.lastStatus, row.lastError])).toEqual([
      ["sent", 1, 200, null],
      ["sent", 1, 200, null],
      ["sent", 1, 200, null],
      ["sent", 1, null, null],
    ]);
    expect(rows.every((row) => row.deliveredAt && row.lastAttemptAt)).toBe(true);
    const issueUrl = `${APP_URL}/${A.org.slug}/issues/${issue.id}`;
    const shortId = `${A.project.slug.toUpperCase()}-${issue.shortId}`;

    const [webhook] = to("/shape/webhook");
    expect(webhook!.headers["user-agent"]).toMatch(/^errorhub-webhooks\//);
    expect(webhook!.headers["content-type"]).toBe("application/json");
    expect(webhook!.headers["sentry-hook-signature"]).toBe(createHmac("sha256", "hook-secret").update(webhook!.body).digest("hex"));
    expect(webhook!.headers["sentry-hook-resource"]).toBe("event_alert");
    expect(Math.abs(Number(webhook!.headers["sentry-hook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    expect(webhook!.headers["request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const payload = JSON.parse(webhook!.body);
    expect(payload).toMatchObject({
      id: String(issue.id),
      project: A.project.slug,
      project_name: A.project.name,
      project_slug: A.project.slug,
      culprit: expect.any(String),
      message: issue.title,
      url: issueUrl,
      triggering_rules: ["Everything everywhere"],
    });
    expect(payload.event.event_id).toBe(issue.eventId);
    expect(payload.event.environment).toBe("test");
    expect(payload.event.release).toBe("sdk-test@1.0.0");
    expect(payload.event.tags).toEqual(expect.arrayContaining([["environment", "test"], ["release", "sdk-test@1.0.0"]]));

    const slack = JSON.parse(to("/shape/slack")[0]!.body);
    expect(slack.text).toBe(`[${A.project.slug}] ${issue.title}`);
    expect(slack.blocks[0]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
    expect(slack.blocks[0].text.text).toContain(`<${issueUrl}|${shortId}: `);
    expect(slack.blocks[1].fields.map((f: { text: string }) => f.text)).toEqual([
      `*Project*\n${A.project.name}`,
      "*Environment*\ntest",
      "*Release*\nsdk-test@1.0.0",
      expect.stringMatching(/^\*Level\*\n(error|warning)$/),
    ]);
    expect(slack.blocks.at(-1).elements[0]).toMatchObject({ type: "button", url: issueUrl });

    const discord = JSON.parse(to("/shape/discord")[0]!.body);
    expect(discord.content).toContain("Everything everywhere");
    expect(discord.embeds).toHaveLength(1);
    expect(discord.embeds[0]).toMatchObject({ title: `${shortId}: ${issue.title}`.slice(0, 256), url: issueUrl, color: expect.any(Number) });
    expect(discord.embeds[0].fields.map((f: { name: string }) => f.name)).toEqual(["Project", "Environment", "Release", "Level"]);
    expect(Date.parse(discord.embeds[0].timestamp)).not.toBeNaN();

    const mail = mails.find((m) => m.text.includes("Everything everywhere"))!;
    expect(mail.to).toEqual([A.user.email]);
    expect(mail.subject).toContain(shortId);
    expect(mail.text).toContain(issueUrl);
    expect(mail.text).toContain(`${APP_URL}/${A.org.slug}/settings/notifications`);
    expect(mail.raw).toMatch(/Content-Type: text\/html/i);
  });
});

describe("from a real SDK event to the receiver", () => {
  it("a first-seen rule's webhook arrives for each new issue, with the stored event", async () => {
    const tenant = await createOrgWithProject();
    await db().alertRule.create({
      data: {
        projectId: tenant.project.id,
        name: "First seen",
        frequency: 5,
        conditions: [{ id: "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition" }],
        actions: [{ id: "errorhub.actions.webhook", url: `${base}/e2e/${tenant.project.id}` }],
      },
    });
    const { issues } = await withIssues(tenant);
    const hooks = await until("two webhooks", () => to(`/e2e/${tenant.project.id}`).length === 2 && to(`/e2e/${tenant.project.id}`));
    const bodies = hooks.map((h) => JSON.parse(h.body)).sort((a, b) => Number(a.id) - Number(b.id));
    expect(bodies.map((b) => [b.id, b.message, b.event.event_id])).toEqual(issues.map((i) => [String(i.id), i.title, i.eventId]));
  });
});

describe("retries", () => {
  it("a 500 is retried within 30 s while the other receivers got theirs at once; a 404 is not retried", async () => {
    answers.set("/retry/flaky", [500, 200]);
    answers.set("/retry/gone", [404]);
    const r = await rule(A, "Flaky", [
      { id: "errorhub.actions.webhook", url: `${base}/retry/flaky` },
      { id: "errorhub.actions.webhook", url: `${base}/retry/gone` },
      { id: "errorhub.actions.slack", webhookUrl: `${base}/retry/fine` },
    ]);
    const began = Date.now();
    const [flaky, gone, fine] = await fire(r, A.issues[1]!);
    const fineRow = await settled(fine!);
    expect(fineRow.status).toBe("sent");
    expect(to("/retry/fine")[0]!.at - began).toBeLessThan(5000);
    const goneRow = await settled(gone!);
    expect([goneRow.status, goneRow.attempts, goneRow.lastStatus, goneRow.lastError]).toEqual(["failed", 1, 404, "HTTP 404: nope"]);
    const firstTry = await until("the first failed attempt", async () => {
      const row = await delivery(flaky!);
      return row.attempts === 1 && row;
    });
    expect([firstTry.status, firstTry.lastStatus]).toEqual(["retrying", 500]);
    const flakyRow = await settled(flaky!);
    expect([flakyRow.status, flakyRow.attempts, flakyRow.lastStatus, flakyRow.lastError]).toEqual(["sent", 2, 200, null]);
    const attempts = to("/retry/flaky");
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.at - attempts[0]!.at).toBeLessThan(30_000);
    // The 404 receiver was asked once, even after the retry of the other went through.
    expect(to("/retry/gone")).toHaveLength(1);
  });

  it("a delivery whose rule was deleted sends nothing", async () => {
    const r = await rule(A, "Deleted soon", [{ id: "errorhub.actions.webhook", url: `${base}/deleted` }]);
    const row = await db().alertDelivery.create({ data: { ruleId: r.id, issueId: A.issues[0]!.id, eventId: A.issues[0]!.eventId, action: (r.actions as Action[])[0]! } });
    await db().alertRule.delete({ where: { id: r.id } });
    await enqueueAlertDeliveries([row.id]);
    await until("the job to finish", async () => (await queue("alerts").getJob(`alert-${row.id}`))?.isCompleted());
    expect(await (await queue("alerts").getJob(`alert-${row.id}`))!.returnvalue).toBe("missing");
    expect(to("/deleted")).toEqual([]);
  });
});

describe("the sweeper", () => {
  it("queues a delivery left pending by a crash (no job) and prunes rows past 30 days", async () => {
    const r = await rule(A, "Swept", [{ id: "errorhub.actions.webhook", url: `${base}/swept` }]);
    const data = { ruleId: r.id, issueId: A.issues[0]!.id, eventId: A.issues[0]!.eventId, action: (r.actions as Action[])[0]! };
    const [fresh, lost, old] = [
      await db().alertDelivery.create({ data }),
      await db().alertDelivery.create({ data: { ...data, createdAt: new Date(Date.now() - 120_000) } }),
      await db().alertDelivery.create({ data: { ...data, status: "sent", createdAt: new Date(Date.now() - 31 * 86_400_000) } }),
    ];
    const swept = await unsafeSweepAlertDeliveries();
    expect(swept.requeued).toBeGreaterThanOrEqual(1);
    expect(swept.pruned).toBeGreaterThanOrEqual(1);
    const sweptRow = await settled(lost.id);
    expect(sweptRow.status, sweptRow.lastError ?? "").toBe("sent");
    expect(to("/swept")).toHaveLength(1);
    // Still within its grace minute: its own job may yet come; the sweeper leaves it.
    expect((await delivery(fresh.id)).status).toBe("pending");
    expect(await db().alertDelivery.findUnique({ where: { id: old.id } })).toBeNull();
    // Sweeping again while the job exists or after it ran queues nothing twice.
    await unsafeSweepAlertDeliveries();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(to("/swept")).toHaveLength(1);
    await db().alertDelivery.delete({ where: { id: fresh.id } });
  });
});

describe("email recipients", () => {
  // Members of A with every kind of setting, and one member of B.
  const people = {} as Record<"active" | "inactive" | "muted" | "assignedOnly" | "billing" | "unverified" | "clerk" | "foreign", { id: number; email: string }>;
  const longAgo = new Date(Date.now() - 200 * 86_400_000);

  beforeAll(async () => {
    const member = async (tenant: Tenant, key: keyof typeof people, user: object, role: "member" | "billing" = "member") => {
      const row = await db().user.create({ data: { email: `${key}-${tenant.org.id}@example.com`, emailVerifiedAt: new Date(), ...user } });
      await db().membership.create({ data: { orgId: tenant.org.id, userId: row.id, role } });
      people[key] = row;
    };
    await member(A, "active", {});
    await db().session.create({ data: { userId: people.active.id, tokenHash: `h-${people.active.id}`, expiresAt: new Date(Date.now() + 86_400_000) } });
    await member(A, "inactive", {});
    await member(A, "muted", { alertEmails: "none" });
    await member(A, "assignedOnly", { alertEmails: "assigned" });
    await member(A, "billing", {}, "billing");
    await member(A, "unverified", { emailVerifiedAt: null });
    await member(A, "clerk", { emailVerifiedAt: null, clerkId: `user_${A.org.id}` });
    await member(B, "foreign", {});
    // Long-standing members not seen lately: not "active". The factory's owners are too.
    await db().$executeRaw`update users set updated_at = ${longAgo} where id in (${people.inactive.id}, ${A.user.id}, ${B.user.id}, ${people.clerk.id})`;
    await db().$executeRaw`update memberships set created_at = ${longAgo} where user_id in (${people.inactive.id}, ${A.user.id}, ${B.user.id}, ${people.clerk.id})`;
  });

  async function recipients(name: string, action: Action, issue = A.issues[0]!) {
    const r = await rule(A, name, [action]);
    const [id] = await fire(r, issue);
    const row = await settled(id!);
    expect(row.status).toBe("sent");
    return { emails: mails.filter((m) => m.text.includes(`"${name}"`)).flatMap((m) => m.to).sort(), row };
  }
  const email = (targetType: "IssueOwners" | "Member", extra: object = {}): Action => ({ id: "sentry.mail.actions.NotifyEmailAction", targetType, ...extra });

  it("AllMembers: every member who may read projects, verified (Clerk counts), whose setting is all; nobody from another org", async () => {
    const { emails } = await recipients("Recipients all", email("IssueOwners", { fallthroughType: "AllMembers" }));
    expect(emails).toEqual([A.user.email, people.active.email, people.clerk.email, people.inactive.email].sort());
  });

  it("ActiveMembers: only those seen within 90 days", async () => {
    const { emails } = await recipients("Recipients active", email("IssueOwners", { fallthroughType: "ActiveMembers" }));
    expect(emails).toEqual([people.active.email]);
  });

  it("NoOne: nobody, and the log says so", async () => {
    const { emails, row } = await recipients("Recipients none", email("IssueOwners", { fallthroughType: "NoOne" }));
    expect(emails).toEqual([]);
    expect(row.lastError).toMatch(/^no recipients/);
  });

  it("IssueOwners is the assignee when there is one, even with the 'assigned' setting", async () => {
    const issue = A.issues[1]!;
    await db().issue.update({ where: { id: issue.id }, data: { assigneeId: people.assignedOnly.id } });
    try {
      const { emails } = await recipients("Recipients owner", email("IssueOwners", { fallthroughType: "AllMembers" }), issue);
      expect(emails).toEqual([people.assignedOnly.email]);
    } finally {
      await db().issue.update({ where: { id: issue.id }, data: { assigneeId: null } });
    }
  });

  it("Member: that member of the org only; a member of another org gets nothing; a muted one neither", async () => {
    expect((await recipients("Recipients member", email("Member", { targetIdentifier: people.active.id }))).emails).toEqual([people.active.email]);
    expect((await recipients("Recipients foreign", email("Member", { targetIdentifier: people.foreign.id }))).emails).toEqual([]);
    expect((await recipients("Recipients muted", email("Member", { targetIdentifier: people.muted.id }))).emails).toEqual([]);
  });
});

describe("the test notification", () => {
  let tokenA = "";
  let tokenB = "";
  beforeAll(async () => {
    tokenA = (await unsafeCreateApiToken({ userId: A.user.id, orgId: A.org.id, name: "t", scopes: [...SCOPES] })).token;
    tokenB = (await unsafeCreateApiToken({ userId: B.user.id, orgId: B.org.id, name: "t", scopes: [...SCOPES] })).token;
  });

  it("delivers every action now about the latest issue and logs test rows", async () => {
    const r = await rule(A, "Try me", [
      { id: "errorhub.actions.webhook", url: `${base}/test/hook` },
      { id: "errorhub.actions.webhook", url: `${base}/test/gone` },
    ], "s");
    answers.set("/test/gone", [410]);
    const reply = await callApi("POST", `/api/0/projects/${A.org.slug}/${A.project.slug}/rules/${r.id}/test/`, { token: tokenA });
    expect(reply.status, reply.body).toBe(200);
    expect(reply.json().results).toEqual([
      { action: { id: "errorhub.actions.webhook", url: `${base}/test/hook` }, target: `webhook ${base}`, ok: true, status: 200, error: null },
      { action: { id: "errorhub.actions.webhook", url: `${base}/test/gone` }, target: `webhook ${base}`, ok: false, status: 410, error: "HTTP 410: nope" },
    ]);
    const body = to("/test/hook")[0]!;
    expect(body.headers["sentry-hook-signature"]).toBe(createHmac("sha256", "s").update(body.body).digest("hex"));
    expect(A.issues.map((i) => String(i.id))).toContain(JSON.parse(body.body).id);
    const viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" as const };
    const log = await listAlertDeliveries(viewer, A.project.id, r.id);
    expect(log.map((d) => [d.test, d.status, d.attempts, d.lastStatus])).toEqual(
      expect.arrayContaining([
        [true, "sent", 1, 200],
        [true, "failed", 1, 410],
      ]),
    );
    expect(log[0]!.issue?.shortId).toMatch(new RegExp(`^${A.project.slug.toUpperCase()}-\\d+$`));
  });

  it("sends a sample titled as a test when the project has no issue", async () => {
    const empty = await db().project.create({ data: { orgId: A.org.id, slug: `empty-${A.org.id}`, name: "Empty" } });
    const r = await db().alertRule.create({ data: { projectId: empty.id, name: "Sample", actions: [{ id: "errorhub.actions.discord", webhookUrl: `${base}/test/sample` }] } });
    const viewer = { userId: A.user.id, orgId: A.org.id, role: "member" as const };
    expect((await sendTestNotification(viewer, empty.id, r.id)).map((t) => t.ok)).toEqual([true]);
    expect(JSON.parse(to("/test/sample")[0]!.body).embeds[0].title).toMatch(/test notification/i);
    expect((await listAlertDeliveries(viewer, empty.id, r.id)).map((d) => [d.test, d.issue])).toEqual([[true, null]]);
  });

  it("answers 404 across tenants and sends nothing", async () => {
    const r = await rule(A, "Not yours", [{ id: "errorhub.actions.webhook", url: `${base}/test/foreign` }]);
    const bRule = await rule(B, "B's", [{ id: "errorhub.actions.webhook", url: `${base}/test/foreign` }]);
    for (const [path, token] of [
      [`/api/0/projects/${A.org.slug}/${A.project.slug}/rules/${r.id}/test/`, tokenB],
      [`/api/0/projects/${B.org.slug}/${B.project.slug}/rules/${r.id}/test/`, tokenB],
      [`/api/0/projects/${A.org.slug}/${A.project.slug}/rules/${bRule.id}/test/`, tokenA],
    ] as const) {
      expect((await callApi("POST", path, { token })).status, path).toBe(404);
    }
    const bViewer = { userId: B.user.id, orgId: B.org.id, role: "owner" as const };
    await expect(listAlertDeliveries(bViewer, A.project.id, r.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(sendTestNotification(bViewer, A.project.id, r.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(listAlertDeliveries(bViewer, B.project.id, r.id)).rejects.toMatchObject({ code: "not_found" });
    expect(to("/test/foreign")).toEqual([]);
  });

  it("needs project:write", async () => {
    const r = await rule(A, "Scoped", [{ id: "errorhub.actions.webhook", url: `${base}/test/scoped` }]);
    const readOnly = (await unsafeCreateApiToken({ userId: A.user.id, orgId: A.org.id, name: "r", scopes: ["project:read"] })).token;
    expect((await callApi("POST", `/api/0/projects/${A.org.slug}/${A.project.slug}/rules/${r.id}/test/`, { token: readOnly })).status).toBe(403);
    expect(to("/test/scoped")).toEqual([]);
  });
});

describe("without WEBHOOK_ALLOW_PRIVATE_NETWORKS", () => {
  it("a delivery to 127.0.0.1 or localhost fails at once and no request arrives", async () => {
    await worker?.stop("SIGTERM");
    await startWorker({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "false" });
    const port = new URL(base).port;
    const r = await rule(A, "Guarded", [
      { id: "errorhub.actions.webhook", url: `${base}/guarded` },
      { id: "errorhub.actions.slack", webhookUrl: `http://localhost:${port}/guarded` },
    ]);
    const rows = await Promise.all((await fire(r, A.issues[0]!)).map(settled));
    expect(rows.map((row) => [row.status, row.attempts, row.lastStatus])).toEqual([
      ["failed", 1, null],
      ["failed", 1, null],
    ]);
    expect(rows.every((row) => /^refused: /.test(row.lastError ?? ""))).toBe(true);
    expect(to("/guarded")).toEqual([]);
  });
});
