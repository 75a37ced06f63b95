import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser";
import { ROOT, type Running, run, startPlatform } from "../support/processes";

// A new team's first minutes in the real UI: sign up, create a project, copy its DSN, send an
// error with the official @sentry/node SDK, watch it arrive, read it, resolve it, and see a new
// event reopen it. Screenshots of each step go to test-results/dashboard/ (git-ignored).
describe("the dashboard, from sign-up to a regression", () => {
  const shots = path.join(ROOT, "test-results/dashboard");
  let platform: Running;
  let browser: Browser;
  let page: Page;
  let web: string;
  const suffix = Date.now().toString(36);
  const org = `team-${suffix}`;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    ({ process: platform, web } = await startPlatform());
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 500 && errors.push(`${r.status()} ${r.url()}`));
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop("SIGTERM");
  });

  const sendWithSdk = async (dsn: string) => {
    const result = await run(process.execPath, ["tests/support/sentry-client.mjs"], { SENTRY_DSN: dsn });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("flushed true");
  };

  it("goes from sign-up to a live first event, resolves it, and a new event reopens it", async () => {
    await page.goto(`${web}/sign-up`);
    await page.getByLabel("Email").fill(`owner-${suffix}@example.com`);
    await page.getByLabel("Password").fill("owner-password-1");
    await page.getByLabel("Organization").fill(`Team ${suffix}`);
    await shot("01-sign-up");
    await page.getByRole("button", { name: "Create account" }).click();
    // A new account has no project: sign-up leads straight to creating the first one.
    await page.waitForURL(`${web}/${org}/projects/new`);
    await page.getByLabel("Node.js").check();
    await page.getByLabel("Project name").fill("Checkout API");
    await shot("02-new-project");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.waitForURL(`${web}/${org}/projects/checkout-api/getting-started`);

    const dsn = (await page.getByTestId("dsn").textContent())!.trim();
    expect(dsn).toMatch(/^http:\/\/[0-9a-f]{32}@localhost:\d+\/\d+$/);
    expect(await page.getByTestId("setup-code").textContent()).toContain(dsn);
    await expect.poll(() => page.getByTestId("waiting-for-event").isVisible()).toBe(true);
    await shot("03-waiting-for-first-event");

    await sendWithSdk(dsn);
    // The page polls: the waiting state turns live without a reload.
    await page.getByTestId("first-event-received").waitFor({ timeout: 30_000 });
    await shot("04-first-event-received");

    await page.getByRole("link", { name: "See its issue" }).click();
    const row = page.getByTestId("issue-row").filter({ hasText: "TypeError" });
    await row.waitFor({ timeout: 30_000 });
    await shot("05-issues-stream");
    await row.getByRole("link").first().click();
    await page.waitForURL(new RegExp(`/${org}/issues/\\d+$`));
    expect(await page.getByTestId("issue-title").textContent()).toMatch(/^TypeError: Cannot read properties of undefined/);
    const trace = page.getByTestId("stack-trace");
    expect(await trace.textContent()).toContain("checkout");
    expect(await page.getByTestId("breadcrumbs").textContent()).toContain("Loading the cart");
    await shot("06-issue-detail");

    await page.getByRole("button", { name: "Resolve", exact: true }).click();
    await expect.poll(() => page.getByTestId("issue-status").textContent(), { timeout: 15_000 }).toBe("resolved");
    await shot("07-resolved");

    await sendWithSdk(dsn);
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId("issue-status").textContent();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe("unresolved");
    expect(await page.getByTestId("activity").textContent()).toContain("marked it a regression");
    await shot("08-regressed");

    // On a phone: the stream and the issue fit the screen's width (nothing scrolls sideways).
    const issueUrl = page.url();
    await page.setViewportSize({ width: 390, height: 844 });
    const screens = [
      ["09-phone-issues", `${web}/${org}/issues?query=`, "issue-row"],
      ["10-phone-issue", issueUrl, "stack-trace"],
    ] as const;
    for (const [name, url, content] of screens) {
      await page.goto(url);
      await page.getByTestId(content).first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, name).toBeLessThanOrEqual(0);
      await shot(name);
    }
    expect(errors).toEqual([]);
  });
});
