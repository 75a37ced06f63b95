import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser";
import { envelope, errorEvent, newEventId } from "../support/envelopes";
import { NODE, ROOT, type Running, WITH_TSX, run, startPlatform } from "../support/processes";
import { SENTRY_CLI } from "../support/sentry-cli";

// Crons, user feedback and release health as a team sees them in the real UI (the built
// platform, its worker, Chromium): a monitor made by the real `sentry-cli monitors run` and by
// Relay's HTTP check-in form, a failing run that opens the monitor's issue; feedback sent with
// an error and shown on the Feedback page and on the issue; sessions of a release whose
// crash-free rates show on the releases list and the release. Screenshots go to
// test-results/crons-feedback-health/.
describe("crons, feedback and release health in the UI", () => {
  const shots = path.join(ROOT, "test-results/crons-feedback-health");
  const suffix = Date.now().toString(36);
  const login = { email: `crons-${suffix}@example.com`, password: "crons-password-1" };
  const release = `api@3.1.0+${suffix}`;
  let platform: Running;
  let web: string;
  let ingest: string;
  let browser: Browser;
  let page: Page;
  let boot: { dsn: string; token: string; org: string; project: string; projectId: number };
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  const api = async (pathname: string) => {
    const response = await fetch(`${web}/api/0${pathname}`, { headers: { authorization: `Bearer ${boot.token}` } });
    const text = await response.text();
    expect(response.status, `GET ${pathname}: ${text}`).toBe(200);
    return JSON.parse(text);
  };
  const publicKey = () => new URL(boot.dsn).username;
  const postEnvelope = async (items: { type: string; payload: string }[], header: Record<string, unknown> = {}) => {
    const response = await fetch(`${ingest}/api/${boot.projectId}/envelope/?sentry_key=${publicKey()}`, {
      method: "POST",
      body: new Uint8Array(envelope({ sent_at: new Date().toISOString(), ...header }, items)),
    });
    expect(response.status, await response.text()).toBe(200);
  };
  const monitorsRun = (slug: string, exitCode: number) =>
    promisify(execFile)(SENTRY_CLI, ["monitors", "run", "--schedule", "*/5 * * * *", "--check-in-margin", "2", slug, "--", NODE, "-e", `process.exit(${exitCode})`], {
      env: { ...process.env, SENTRY_DSN: boot.dsn },
      timeout: 60_000,
    }).catch((error: { code?: number; stdout?: string; stderr?: string }) => {
      // The command's own exit code comes back through the CLI: a failing job is expected.
      if (exitCode !== 0 && error.code === exitCode) return { stdout: error.stdout ?? "", stderr: error.stderr ?? "" };
      throw new Error(`sentry-cli monitors run failed: ${error.stdout ?? ""}${error.stderr ?? ""}`);
    });

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    ({ process: platform, web, ingest } = await startPlatform());
    const bootstrap = await run(
      NODE,
      [...WITH_TSX, "workers/admin.ts", "bootstrap", "--email", login.email, "--password", login.password, "--org", `crons-${suffix}`, "--project", "api", "--platform", "node", "--json"],
      { INGEST_URL: ingest },
    );
    expect(bootstrap.code, bootstrap.output).toBe(0);
    boot = JSON.parse(bootstrap.output.slice(bootstrap.output.indexOf("{")));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 500 && errors.push(`${r.status()} ${r.url()}`));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop("SIGTERM");
  });

  it("shows monitors with their check-ins and failure issue, feedback, and crash-free rates", async () => {
    // Crons: two runs by the real sentry-cli (one ok, one failing), and a job that checks in
    // over Relay's HTTP form with its schedule in the body.
    await monitorsRun("nightly-report", 0);
    await monitorsRun("nightly-report", 3);
    const form = `${ingest}/api/${boot.projectId}/cron/billing-sync/${publicKey()}/`;
    const created = await fetch(form, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ status: "ok", duration: 2.5, monitor_config: { schedule: { type: "interval", value: 1, unit: "hour" }, checkin_margin: 5, max_runtime: 10 } }),
    });
    expect(created.status).toBe(202);
    expect((await fetch(`${form}?status=ok&duration=1.25`)).status).toBe(202);

    type Monitor = { slug: string; environments: { name: string; status: string }[] };
    const monitors = async () => ((await api(`/organizations/${boot.org}/monitors/`)) as Monitor[]).map((m) => [m.slug, m.environments.map((e) => e.status)]);
    await expect.poll(monitors, { timeout: 30_000 }).toEqual(
      expect.arrayContaining([
        ["nightly-report", ["error"]],
        ["billing-sync", ["ok"]],
      ]),
    );
    const checkIns = await api(`/organizations/${boot.org}/monitors/nightly-report/checkins/`);
    expect(checkIns.map((c: { status: string }) => c.status)).toEqual(["error", "ok"]);
    // The failing run (threshold 1) opened the monitor's issue.
    const issues = async () => ((await api(`/projects/${boot.org}/${boot.project}/issues/?query=`)) as { title: string }[]).map((i) => i.title);
    await expect.poll(issues, { timeout: 30_000 }).toContain("Monitor failure: nightly-report");

    // Feedback about an error, sent as the browser widget sends it.
    const error = errorEvent({ release, environment: "production", exception: { values: [{ type: "PaymentError", value: "card declined" }] } });
    await postEnvelope([{ type: "event", payload: JSON.stringify(error) }], { event_id: error.event_id });
    const feedbackId = newEventId();
    await postEnvelope(
      [
        {
          type: "feedback",
          payload: JSON.stringify({
            event_id: feedbackId,
            timestamp: Date.now() / 1000,
            type: "feedback",
            contexts: { feedback: { message: "I was charged twice", name: "Rosa Parks", contact_email: "rosa@example.com", url: "https://shop.example.com/checkout", associated_event_id: error.event_id } },
          }),
        },
      ],
      { event_id: feedbackId },
    );
    type Report = { comments: string; issue: { id: string; title: string } | null };
    const reports = async () => ((await api(`/projects/${boot.org}/${boot.project}/user-feedback/`)) as Report[]).map((r) => [r.comments, r.issue?.title ?? null]);
    await expect.poll(reports, { timeout: 30_000 }).toEqual([["I was charged twice", "PaymentError: card declined"]]);
    const paymentIssue = ((await api(`/projects/${boot.org}/${boot.project}/user-feedback/`)) as Report[])[0]!.issue!;

    // Sessions of the release: 4 users, one of whom crashed; 8 sessions, one crashed.
    const started = new Date().toISOString();
    const session = (did: string, status: string) => ({ sid: newEventId(), did, init: true, started, timestamp: started, status, errors: status === "crashed" ? 1 : 0, attrs: { release, environment: "production" } });
    const sessions = [
      ...["u1", "u2", "u3"].flatMap((did) => [session(did, "exited"), session(did, "exited")]),
      session("u4", "exited"),
      session("u4", "crashed"),
    ];
    await postEnvelope(sessions.map((s) => ({ type: "session", payload: JSON.stringify(s) })));
    const totals = async () =>
      (await api(`/organizations/${boot.org}/sessions/?field=sum(session)&field=crash_free_rate(session)&field=crash_free_rate(user)&statsPeriod=24h&interval=1h&query=${encodeURIComponent(`release:"${release}"`)}`)).groups[0]?.totals;
    await expect.poll(totals, { timeout: 30_000 }).toEqual({ "sum(session)": 8, "crash_free_rate(session)": 0.875, "crash_free_rate(user)": 0.75 });

    // Signed in as the org's owner.
    await page.goto(`${web}/sign-in`);
    await page.getByLabel("Email").fill(login.email);
    await page.getByLabel("Password").fill(login.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));

    // Crons: both monitors, their schedules, and a timeline with a green and a red tick.
    await page.goto(`${web}/${boot.org}/crons`);
    const rows = page.getByTestId("monitor-row");
    // Visible, not only in the DOM: streamed content sits hidden until React swaps it in.
    await rows.first().waitFor({ state: "visible" });
    expect(await rows.count()).toBe(2);
    const nightly = rows.filter({ hasText: "nightly-report" });
    expect(await nightly.textContent()).toContain("*/5 * * * *");
    expect(await rows.filter({ hasText: "billing-sync" }).textContent()).toMatch(/every 1 hour/i);
    expect(await nightly.getByTestId("checkin-timeline").getAttribute("aria-label")).toMatch(/^2 check-ins/);
    await shot("01-crons");

    // The monitor: its config, its check-ins and its open issue.
    await nightly.getByRole("link", { name: "nightly-report" }).first().click();
    await page.waitForURL(/\/crons\/nightly-report/);
    expect(await page.getByTestId("monitor-name").textContent()).toContain("nightly-report");
    expect(await page.getByTestId("checkin-row").count()).toBe(2);
    expect(await page.getByTestId("checkins").textContent()).toMatch(/error[\s\S]*ok/i);
    await shot("02-monitor");
    await page.getByTestId("monitor-issue").click();
    await page.waitForURL(/\/issues\/\d+/);
    expect(await page.locator("h1").first().textContent()).toContain("Monitor failure: nightly-report");

    // Mute from the monitor page.
    await page.goto(`${web}/${boot.org}/crons/nightly-report`);
    await page.getByRole("button", { name: "Mute" }).click();
    await expect.poll(async () => ((await api(`/organizations/${boot.org}/monitors/nightly-report/`)) as { isMuted: boolean }).isMuted).toBe(true);

    // Feedback: the page lists it with the reporter, the URL and the issue; the issue shows it.
    await page.goto(`${web}/${boot.org}/feedback`);
    const feedback = page.getByTestId("feedback-row");
    await feedback.first().waitFor({ state: "visible" });
    expect(await feedback.count()).toBe(1);
    const text = await feedback.first().textContent();
    for (const part of ["Rosa Parks", "rosa@example.com", "I was charged twice", "https://shop.example.com/checkout"]) expect(text).toContain(part);
    await shot("03-feedback");
    await page.goto(`${web}/${boot.org}/issues/${paymentIssue.id}`);
    expect(await page.getByText("I was charged twice").count()).toBeGreaterThan(0);
    await shot("04-issue-feedback");

    // Release health: crash-free sessions 87.5 %, users 75 % on the list and on the release.
    await page.goto(`${web}/${boot.org}/releases`);
    const releaseRow = page.getByTestId("release-row").filter({ hasText: release });
    await expect.poll(async () => (await releaseRow.getByTestId("crash-free-sessions").textContent())?.trim()).toMatch(/^87\.50?\s?%$/);
    expect((await releaseRow.getByTestId("crash-free-users").textContent())?.trim()).toMatch(/^75(\.00?)?\s?%$/);
    await shot("05-releases-health");
    await page.goto(`${web}/${boot.org}/releases/${encodeURIComponent(release)}`);
    expect((await page.getByTestId("crash-free-sessions").textContent())?.trim()).toMatch(/^87\.50?\s?%$/);
    expect((await page.getByTestId("crash-free-users").textContent())?.trim()).toMatch(/^75(\.00?)?\s?%$/);
    await shot("06-release-health");

    expect(errors).toEqual([]);
  }, 300_000);
});
