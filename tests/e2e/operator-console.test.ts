import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Job } from "bullmq";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE, createSession } from "@/lib/auth/sessions";
import { db, sqlTransaction } from "@/lib/db";
import { recordDeadLetters } from "@/lib/events/dead-letters";
import { projectStreamKey } from "@/lib/ingest/stream-keys";
import { closeQueues, queue } from "@/lib/queues";
import { redis } from "@/lib/redis";
import { launchChromium } from "../support/browser";
import { errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { NODE, ROOT, type Running, WITH_TSX, run, startPlatform } from "../support/processes";

// The operator console (/_admin) in Chromium against the built platform (`npm start`: web,
// ingest, worker): a superuser sees live numbers move while events flow, the processes'
// heartbeats, a stream's backlog, retries a failed job (made to fail for real by the worker:
// a drain job whose payload fails its schema, fixed before the retry) and deletes another,
// discards a dead letter; an org member and a signed-out visitor get the app's 404 on every
// console page, and the console's server actions refuse them too. Screenshots go to
// test-results/operator-console/.

const PAGES = ["/_admin", "/_admin/queues", "/_admin/queues?queue=events", "/_admin/streams", "/_admin/processes", "/_admin/dead-letters", "/_admin/storage"];

describe("operator console", () => {
  const shots = path.join(ROOT, "test-results/operator-console");
  const suffix = Date.now().toString(36);
  const login = { email: `operator-${suffix}@example.com`, password: "operator-password-1" };
  let platform: Running;
  let web: string;
  let ingest: string;
  let browser: Browser;
  let operator: BrowserContext;
  let member: BrowserContext;
  let stranger: BrowserContext;
  let page: Page;
  let boot: { dsn: string; token: string; org: string; project: string; projectId: number };
  let memberCookie: string;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  const sendEvent = async () => {
    const response = await fetch(`${ingest}/api/${boot.projectId}/envelope/?sentry_key=${new URL(boot.dsn).username}`, {
      method: "POST",
      body: new Uint8Array(eventEnvelope(errorEvent())),
    });
    expect(response.status).toBe(200);
  };

  /** A drain job the worker fails for good: its payload fails the processor's schema. */
  const failingJob = async () => {
    const job = await queue("events").add("drain", { projectId: "not-a-number", lane: 0 }, { attempts: 1 });
    await expect.poll(() => job.getState(), { timeout: 30_000 }).toBe("failed");
    return job;
  };
  const stateOf = async (job: Job) => (await queue("events").getJob(job.id!))?.getState() ?? "gone";

  const contextFor = async (userId: number | null) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    if (userId !== null) await context.addCookies([{ name: SESSION_COOKIE, value: (await createSession(userId)).token, url: web }]);
    // Injected by the debugging protocol, so the policy does not apply to it: it sees every
    // violation the console's own scripts would cause.
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
    });
    return context;
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    ({ process: platform, web, ingest } = await startPlatform());
    const bootstrap = await run(
      NODE,
      [...WITH_TSX, "workers/admin.ts", "bootstrap", "--email", login.email, "--password", login.password, "--org", `ops-${suffix}`, "--project", "api", "--platform", "node", "--json"],
      { INGEST_URL: ingest },
    );
    expect(bootstrap.code, bootstrap.output).toBe(0);
    boot = JSON.parse(bootstrap.output.slice(bootstrap.output.indexOf("{")));
    // Made a superuser by the admin command a self-hoster runs.
    const promoted = await run(NODE, [...WITH_TSX, "workers/admin.ts", "superuser", "--email", login.email]);
    expect(promoted.code, promoted.output).toBe(0);
    const superuser = await db().user.findUniqueOrThrow({ where: { email: login.email } });
    expect(superuser.isSuperuser).toBe(true);
    // A member of the operator's own org, not a superuser.
    const org = await db().organization.findUniqueOrThrow({ where: { slug: boot.org } });
    const plain = await db().user.create({ data: { email: `member-${suffix}@example.com`, emailVerifiedAt: new Date() } });
    await db().membership.create({ data: { userId: plain.id, orgId: org.id, role: "member" } });
    browser = await launchChromium();
    operator = await contextFor(superuser.id);
    member = await contextFor(plain.id);
    stranger = await contextFor(null);
    memberCookie = `${SESSION_COOKIE}=${(await member.cookies(web))[0]!.value}`;
    page = await operator.newPage();
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("response", (r) => r.status() >= 500 && errors.push(`${r.status()} ${r.url()}`));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop("SIGTERM");
    await closeQueues();
  });

  it("is a 404 for an org member and a signed-out visitor, like an unknown page", async () => {
    for (const [who, context] of [
      ["member", member],
      ["signed out", stranger],
    ] as const) {
      const visitor = await context.newPage();
      for (const pathname of [...PAGES, "/_admin/no-such-page"]) {
        const response = await visitor.goto(`${web}${pathname}`);
        expect(response?.status(), `${who} ${pathname}`).toBe(404);
        expect(new URL(visitor.url()).pathname, `${who} ${pathname}: no redirect`).toBe(pathname.split("?")[0]);
        await expect.poll(() => visitor.getByRole("heading", { level: 1 }).textContent()).toBe("Not found");
        expect(await visitor.getByText("Operator").count(), `${who} ${pathname}`).toBe(0);
      }
      await visitor.close();
    }
    // The member's dashboard still works: the 404 is the console's, not a broken session.
    const visitor = await member.newPage();
    expect((await visitor.goto(`${web}/${boot.org}`))?.status()).toBe(200);
    await visitor.close();
  });

  it("shows live numbers while events flow, the processes and a stream's backlog", async () => {
    const response = await page.goto(`${web}/_admin`);
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("heading", { name: "Operator console" }).isVisible()).resolves.toBe(true);
    const total = async () => Number(((await page.getByTestId("throughput-total").textContent()) ?? "").replace(/,/g, "").replace(/\D.*$/, ""));
    const before = await total();
    const readAt = await page.getByTestId("read-at").textContent();
    // Events flow while the page sits there: its 3 s refresh must show them stored.
    let sent = 0;
    const flow = setInterval(() => {
      sent++;
      void sendEvent().catch((error) => errors.push(String(error)));
    }, 200);
    try {
      await expect.poll(total, { timeout: 45_000, interval: 500 }).toBeGreaterThanOrEqual(before + 10);
    } finally {
      clearInterval(flow);
    }
    expect(sent).toBeGreaterThanOrEqual(10);
    expect(await page.getByTestId("read-at").textContent()).not.toBe(readAt);
    await shot("overview");

    // Heartbeats of the three processes `npm start` runs.
    await page.goto(`${web}/_admin/processes`);
    await expect.poll(async () => (await page.getByTestId("process-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-kind")))).sort(), { timeout: 30_000 }).toEqual(
      expect.arrayContaining(["ingest", "web", "worker"]),
    );
    await shot("processes");

    // A lane with an entry no drain job has taken yet (another tenant's project; removed again
    // well before the worker's stuck-drain sweep, which waits for entries a minute old).
    const other = await createOrgWithProject();
    const key = projectStreamKey(other.project.id, 1);
    await redis().xadd(key, "*", "m", "{}", "h", "{}", "p", "x".repeat(500));
    try {
      await page.goto(`${web}/_admin/streams`);
      const row = page.locator(`[data-testid="stream-row"][data-project-id="${other.project.id}"]`);
      await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
      const cells = await row.locator("td").allTextContents();
      expect(cells[0]).toContain(`${other.org.slug}/${other.project.slug}`);
      expect(cells[1]).toBe("1");
      expect(cells[2]).toBe("1");
      expect(cells[4]).toMatch(/^\d+s$/);
      await shot("streams");
    } finally {
      await redis().del(key);
    }
  });

  it("retries a failed job, deletes another, and refuses both actions to anyone else", async () => {
    const [fixed, doomed, kept] = [await failingJob(), await failingJob(), await failingJob()];
    await page.goto(`${web}/_admin/queues?queue=events`);
    const row = (job: Job) => page.locator(`[data-testid="failed-job"][data-job-id="${job.id}"]`);
    await expect.poll(() => row(fixed).count(), { timeout: 15_000 }).toBe(1);
    expect(await row(fixed).textContent()).toContain('invalid payload for "drain"');
    await shot("queues-failed");
    const actionPost = () => page.waitForRequest((r) => r.method() === "POST" && r.headers()["next-action"] !== undefined);

    // The cause fixed (its payload names a real lane now), then Retry: the worker runs it again.
    await fixed.updateData({ projectId: boot.projectId, lane: 0 });
    const retry = actionPost();
    await row(fixed).getByRole("button", { name: "Retry" }).click();
    const retryRequest = await retry;
    await expect.poll(() => stateOf(fixed), { timeout: 30_000 }).toBe("completed");
    await expect.poll(() => row(fixed).count(), { timeout: 15_000 }).toBe(0);

    const remove = actionPost();
    await row(doomed).getByRole("button", { name: "Delete" }).click();
    const deleteRequest = await remove;
    await expect.poll(() => stateOf(doomed), { timeout: 15_000 }).toBe("gone");
    await expect.poll(() => row(doomed).count(), { timeout: 15_000 }).toBe(0);

    // The same two actions posted by the member and by nobody, for the third failed job: each
    // reaches its action (Next found it), which answers "not found" and leaves the job alone.
    for (const [request, job] of [
      [retryRequest, fixed],
      [deleteRequest, doomed],
    ] as const) {
      const original = request.postData()!;
      const body = original.replace(new RegExp(`(name="[^"]*id"\\r\\n\\r\\n)${job.id}\\r\\n`), `$1${kept.id}\r\n`);
      expect(body).not.toBe(original);
      const headers = await request.allHeaders();
      for (const cookie of [memberCookie, ""]) {
        const replay = await fetch(`${web}/_admin/queues?queue=events`, {
          method: "POST",
          headers: { "next-action": headers["next-action"]!, "content-type": headers["content-type"]!, accept: "text/x-component", cookie },
          body,
        });
        const text = await replay.text();
        expect(replay.status, text).toBe(200);
        expect(text).toContain('"error":"not found"');
        expect(await stateOf(kept)).toBe("failed");
      }
    }
    expect(await row(kept).count()).toBe(1);
  });

  it("discards a dead letter", async () => {
    const error = new Error(`refused by the operator-console test ${suffix}`);
    await sqlTransaction((tx) =>
      recordDeadLetters(tx, { projectId: boot.projectId, lane: 0 }, [{ entryId: "0-1", itemType: "event", eventId: "e".repeat(32), error }]),
    );
    const letter = await db().deadLetter.findFirstOrThrow({ where: { projectId: boot.projectId, error: error.message } });
    await page.goto(`${web}/_admin`);
    await expect.poll(async () => Number(await page.getByTestId("figure-dead-letters").textContent())).toBeGreaterThanOrEqual(1);
    await page.goto(`${web}/_admin/dead-letters`);
    const row = page.locator(`[data-testid="dead-letter"][data-id="${letter.id}"]`);
    expect(await row.textContent()).toContain(error.message);
    expect(await row.textContent()).toContain(`#${boot.projectId}`);
    await shot("dead-letters");
    await row.getByRole("button", { name: "Discard" }).click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    expect(await db().deadLetter.count({ where: { id: letter.id } })).toBe(0);

    // Storage: Redis memory and the tables, the dead letters' among them.
    await page.goto(`${web}/_admin/storage`);
    expect(await page.getByTestId("redis-used").textContent()).toMatch(/\d/);
    expect(await page.getByTestId("table-row").allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining("dead_letters")]));
    await shot("storage");
  });

  it("runs under the nonce policy with no violation or error", async () => {
    for (const pathname of PAGES) {
      expect((await page.goto(`${web}${pathname}`))?.status(), pathname).toBe(200);
      await page.waitForFunction(() => Object.keys(document.body).some((key) => key.startsWith("__react")), null, { timeout: 15_000 });
      expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations), pathname).toEqual([]);
    }
    expect(errors).toEqual([]);
  });
});
