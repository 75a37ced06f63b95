import { mkdirSync } from "node:fs";
import { type IncomingHttpHeaders, type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSmtp, mails } from "../support/smtp-catcher";
import { launchChromium } from "../support/browser";
import { ROOT, type Running, run, startPlatform } from "../support/processes";

// Alerts as a team meets them in the real UI: a new project comes with the default rule, a
// webhook rule is created in the form, its test notification reaches a real HTTP receiver and
// shows in the delivery log, and a real error sent with @sentry/node is alerted to the receiver
// and by email and recorded on the issue's activity. Screenshots go to test-results/alerts/.
describe("alert rules in the UI, from the default rule to a delivered alert", () => {
  const shots = path.join(ROOT, "test-results/alerts");
  let platform: Running;
  let browser: Browser;
  let page: Page;
  let web: string;
  let receiver: Server;
  let hookUrl: string;
  const received: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  const suffix = Date.now().toString(36);
  const org = `alerts-${suffix}`;
  const email = `owner-${suffix}@example.com`;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  // axe-core's accessibility rules on the page as it stands (as public-site.test.ts checks the public pages).
  const axeViolations = async () => {
    await page.addScriptTag({ path: path.join(ROOT, "node_modules/axe-core/axe.min.js") });
    return page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global script
      const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
      return (result.violations as { id: string; help: string; nodes: { target: unknown }[] }[]).map(
        (v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`,
      );
    });
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    // The webhook receiver, on loopback: the platform may reach it only because the test allows private networks.
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || "{}") });
        res.writeHead(200, { "content-type": "text/plain" }).end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/errorhub`;
    // SMTP_URL (the catcher's) reaches the platform through the environment it inherits.
    ({ process: platform, web } = await startPlatform({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" }));
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 500 && errors.push(`${r.status()} ${r.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop("SIGTERM");
    await new Promise((resolve) => receiver?.close(resolve));
    await closeSmtp();
  });

  it("creates a webhook rule, sends a test notification, and delivers a real alert", async () => {
    await page.goto(`${web}/sign-up`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill("owner-password-1");
    await page.getByLabel("Organization").fill(`Alerts ${suffix}`);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL(`${web}/${org}/projects/new`);
    // Alert emails go only to confirmed addresses: follow the link the sign-up mailed.
    await expect.poll(() => mails.find((m) => m.to.includes(email))?.text, { timeout: 15_000 }).toBeTruthy();
    const verify = /https?:\/\/\S+/.exec(mails.find((m) => m.to.includes(email))!.text)![0];
    await page.goto(verify);
    await page.getByRole("button", { name: "Confirm my address" }).click();
    await page.getByRole("status").filter({ hasText: "your address is confirmed" }).waitFor();
    await page.goto(`${web}/${org}/projects/new`);

    await page.getByLabel("Node.js").check();
    await page.getByLabel("Project name").fill("Checkout API");
    expect(await page.getByLabel("Alert me by email on every new issue").isChecked()).toBe(true);
    await shot("01-new-project");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(`${web}/${org}/projects/checkout-api/getting-started`);
    const dsn = (await page.getByTestId("dsn").textContent())!.trim();

    // The project's alerts: the default rule is there.
    await page.goto(`${web}/${org}/projects/checkout-api/settings`);
    await page.getByRole("link", { name: /^Alerts/ }).click();
    await page.waitForURL(`${web}/${org}/projects/checkout-api/alerts`);
    const defaultRule = page.getByRole("listitem").filter({ hasText: "Send a notification for new issues" });
    await defaultRule.waitFor();
    expect(await defaultRule.textContent()).toContain("email to issue owners, else active members");
    await shot("02-default-rule");

    // A new rule: first seen -> webhook to the receiver.
    await page.getByRole("link", { name: "New alert rule" }).click();
    await page.getByLabel("Rule name").fill("Webhook on new issues");
    await page.getByLabel("A new issue is created").check();
    // Without an action, lib/alerts' message comes back to the form.
    await page.getByRole("button", { name: "Create rule" }).click();
    const formError = page.getByRole("main").getByRole("alert");
    await formError.waitFor();
    // lib/alerts words it; the form shows it as it is.
    expect(await formError.textContent()).toMatch(/\bactions\b.*\bat least\b|\bat least\b.*\bactions\b/);
    await page.getByRole("button", { name: "Add webhook" }).click();
    await page.getByLabel("Webhook URL").fill(hookUrl);
    await page.getByLabel("Act at most once per issue every").selectOption("5");
    await shot("03-new-rule");
    expect(await axeViolations()).toEqual([]);
    await page.getByRole("button", { name: "Create rule" }).click();
    await page.waitForURL(new RegExp(`/${org}/projects/checkout-api/alerts/\\d+$`));
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Alert rule: Webhook on new issues");

    // A test notification: delivered now, shown on the page, logged.
    await page.getByRole("button", { name: "Send test notification" }).click();
    const results = page.getByTestId("test-results");
    await results.waitFor({ timeout: 15_000 });
    const target = `webhook http://127.0.0.1:${new URL(hookUrl).port}`;
    expect(await results.textContent()).toBe(`${target}: delivered (HTTP 200)`);
    expect(received).toHaveLength(1);
    const test = received[0]!;
    expect(test.headers["content-type"]).toMatch(/^application\/json/);
    expect(test.body.triggering_rules).toEqual(["Webhook on new issues"]);
    // No issue yet: a sample issue, linking to the issue list, and a sample event with an id.
    expect(test.body).toMatchObject({ project_slug: "checkout-api", url: `${web}/${org}/issues`, event: { level: "error" } });
    expect((test.body.event as { event_id: string }).event_id).toMatch(/^[0-9a-f]{32}$/);
    const log = page.getByRole("table", { name: "Delivery log" });
    await expect.poll(async () => (await log.isVisible()) && (await log.textContent()), { timeout: 15_000 }).toContain("sent (test)");
    expect(await log.textContent()).toContain(target);
    await shot("04-test-notification");

    // A real error from the official SDK: a new issue, alerted to the receiver and by email.
    const sdk = await run(process.execPath, ["tests/support/sentry-client.mjs"], { SENTRY_DSN: dsn });
    expect(sdk.code, sdk.output).toBe(0);
    expect(sdk.output).toContain("flushed true");
    const isTypeError = (r: (typeof received)[number]) => JSON.stringify(r.body.event).includes("Cannot read properties of undefined");
    await expect.poll(() => received.some(isTypeError), { timeout: 30_000 }).toBe(true);
    const alert = received.find(isTypeError)!;
    expect(alert.body).toMatchObject({ project_slug: "checkout-api", triggering_rules: ["Webhook on new issues"] });
    expect(String(alert.body.url)).toMatch(new RegExp(`^${web}/${org}/issues/\\d+$`));
    expect(alert.body.event).toMatchObject({ event_id: expect.stringMatching(/^[0-9a-f]{32}$/), tags: expect.any(Array) });
    await expect
      .poll(() => mails.some((m) => m.to.includes(email) && m.text.includes("Cannot read properties of undefined")), { timeout: 30_000 })
      .toBe(true);

    // The delivery log lists it with its issue, and the issue's activity names the rule.
    const issueLink = log.getByRole("link", { name: /Cannot read properties of undefined/ });
    await expect
      .poll(
        async () => {
          await page.reload();
          return issueLink.count();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBeGreaterThan(0);
    const row = log.getByRole("row").filter({ has: page.getByRole("link", { name: /Cannot read properties of undefined/ }) });
    expect(await row.first().textContent()).toMatch(/sent(?! \(test\))/);
    await shot("05-delivery-log");
    expect(await axeViolations()).toEqual([]);
    await issueLink.first().click();
    await page.waitForURL(new RegExp(`/${org}/issues/\\d+$`));
    await expect
      .poll(async () => page.getByTestId("activity").textContent(), { timeout: 15_000 })
      .toContain(`Alert Webhook on new issues sent to ${target}`);
    await shot("06-issue-activity");

    // Editing keeps what was typed when lib/ refuses it, then saves; deleting removes the rule.
    await page.goto(`${web}/${org}/projects/checkout-api/alerts`);
    await page.getByRole("link", { name: "Webhook on new issues" }).click();
    await page.getByRole("button", { name: "Add tag filter" }).click();
    await page.getByLabel("Tag 1: key").fill("environment");
    await page.getByLabel("Tag 1: match").selectOption("eq");
    await page.getByRole("button", { name: "Save rule" }).click();
    const saveError = page.getByRole("main").getByRole("alert");
    await saveError.waitFor();
    expect(await saveError.textContent()).toContain("value is required for match eq");
    expect(await page.getByLabel("Tag 1: key").inputValue()).toBe("environment");
    await page.getByLabel("Tag 1: value").fill("test");
    await page.getByRole("button", { name: "Save rule" }).click();
    await page.getByRole("main").getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await page.goto(`${web}/${org}/projects/checkout-api/alerts`);
    const edited = page.getByRole("listitem").filter({ hasText: "Webhook on new issues" });
    expect(await edited.textContent()).toContain("if the event's tags match environment equals test");
    await edited.getByRole("link", { name: "Webhook on new issues" }).click();
    await page.getByRole("button", { name: "Delete rule" }).click();
    await page.waitForURL(`${web}/${org}/projects/checkout-api/alerts`);
    await page.getByRole("listitem").filter({ hasText: "Send a notification for new issues" }).waitFor();
    expect(await page.getByRole("main").textContent()).not.toContain("Webhook on new issues");

    // A project created with the box unchecked has no rule, and its alerts page says so.
    await page.goto(`${web}/${org}/projects/new`);
    await page.getByLabel("Node.js").check();
    await page.getByLabel("Project name").fill("Billing worker");
    await page.getByLabel("Alert me by email on every new issue").uncheck();
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(`${web}/${org}/projects/billing-worker/getting-started`);
    await page.goto(`${web}/${org}/projects/billing-worker/alerts`);
    await page.getByRole("main").getByText("No alert rules").waitFor();
    expect(await page.getByRole("main").getByRole("listitem").count()).toBe(0);

    // Notification settings: the user's own choice of alert emails, kept.
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Notifications" }).click();
    await page.waitForURL(`${web}/${org}/settings/notifications`);
    expect(await page.getByLabel("All issues").isChecked()).toBe(true);
    await page.getByLabel("Only issues assigned to me").check();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await page.reload();
    expect(await page.getByLabel("Only issues assigned to me").isChecked()).toBe(true);
    await shot("07-notification-settings");
    expect(await axeViolations()).toEqual([]);
    expect(errors).toEqual([]);
  });
});
