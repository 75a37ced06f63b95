import { existsSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE, createSession } from "@/lib/auth/sessions";
import { launchChromium } from "../support/browser";
import { createOrgWithProject } from "../support/factories";
import { ROOT, type Running, run, startNextServer } from "../support/processes";

// The built app (`next start`) under proxy.ts's Content-Security-Policy: scripts run only by
// the per-request nonce ('strict-dynamic', no 'unsafe-inline'), yet every page loads, React
// hydrates it, and the browser reports no violation; the API tokens page works end to end.

let web: Running;
let url: string;
let browser: Browser;
let context: BrowserContext;
let tenant: Awaited<ReturnType<typeof createOrgWithProject>>;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, ".next/BUILD_ID"))) {
    const build = await run("npm", ["run", "build"]);
    expect(build.code, build.output).toBe(0);
  }
  ({ process: web, url } = await startNextServer());
  browser = await launchChromium();
  tenant = await createOrgWithProject();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies([{ name: SESSION_COOKIE, value: (await createSession(tenant.user.id)).token, url }]);
  await watchViolations(context);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop("SIGKILL");
});

// Injected by the browser's debugging protocol, so the policy does not apply to it: it sees
// every violation a page's own scripts would cause.
async function watchViolations(browserContext: BrowserContext): Promise<void> {
  await browserContext.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) =>
      seen.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
}

/** Opens a page and checks its policy, its hydration and the absence of violations and errors. */
async function openUnderPolicy(page: Page, pagePath: string): Promise<string> {
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  const response = await page.goto(`${url}${pagePath}`);
  expect(response?.status(), pagePath).toBe(200);
  const policy = (await response!.headerValue("content-security-policy")) ?? "";
  const script = policy.split("; ").find((d) => d.startsWith("script-src "))!;
  expect(script, pagePath).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/]+=*' 'strict-dynamic'/);
  expect(script, pagePath).not.toContain("unsafe-inline");
  expect(script, pagePath).not.toContain("unsafe-eval");
  const nonce = /'nonce-([^']+)'/.exec(script)![1]!;
  // Next stamped the nonce on every script it wrote into the page (the ones those load need
  // none: 'strict-dynamic').
  const scripts = (await response!.text()).match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length, pagePath).toBeGreaterThan(0);
  expect(scripts.filter((tag) => !tag.includes(` nonce="${nonce}"`)), pagePath).toEqual([]);
  // React hydrated the page: its DOM nodes carry React's internal keys.
  await page.waitForFunction(() => Object.keys(document.body).some((key) => key.startsWith("__react")), null, {
    timeout: 15_000,
  });
  await page.waitForLoadState("networkidle");
  expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations), pagePath).toEqual([]);
  expect(errors, pagePath).toEqual([]);
  return nonce;
}

describe("pages under the nonce policy", () => {
  it.each(["/", "/pricing", "/docs", "/docs/api", "/sign-in", "/sign-up"])(
    "public page %s loads, hydrates and violates nothing",
    async (pagePath) => {
      // Signed out: a fresh context, outside the signed-in one.
      const signedOut = await browser.newContext();
      try {
        await watchViolations(signedOut);
        await openUnderPolicy(await signedOut.newPage(), pagePath);
      } finally {
        await signedOut.close();
      }
    },
  );

  it("dashboard pages load, hydrate and violate nothing, each load with its own nonce", async () => {
    const page = await context.newPage();
    const { org, project } = tenant;
    const nonces = [
      await openUnderPolicy(page, `/${org.slug}/issues`),
      await openUnderPolicy(page, `/${org.slug}/projects/${project.slug}/getting-started`),
      await openUnderPolicy(page, `/${org.slug}/issues`),
      // the alert rule form adds and removes its rows in a client component
      await openUnderPolicy(page, `/${org.slug}/projects/${project.slug}/alerts/new`),
      await openUnderPolicy(page, `/${org.slug}/settings/notifications`),
      await openUnderPolicy(page, `/${org.slug}/releases`),
      await openUnderPolicy(page, `/${org.slug}/projects/${project.slug}/settings/source-maps`),
      // the new monitor form and the timeline's ticks; feedback
      await openUnderPolicy(page, `/${org.slug}/crons`),
      await openUnderPolicy(page, `/${org.slug}/feedback`),
      // the transactions list's sparklines and sort links
      await openUnderPolicy(page, `/${org.slug}/performance`),
    ];
    expect(new Set(nonces).size).toBe(10);
    await page.close();
  });

  it("creates an expiring API token from the settings page and lists its expiry", async () => {
    const page = await context.newPage();
    await openUnderPolicy(page, `/${tenant.org.slug}/settings/tokens`);
    await page.getByLabel("Name").fill("deploys");
    await page.getByLabel("Expires").selectOption("30");
    await page.getByRole("button", { name: "Create token" }).click();
    expect(await page.getByTestId("secret").textContent({ timeout: 15_000 })).toMatch(/^ehb_/);
    const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await openUnderPolicy(page, `/${tenant.org.slug}/settings/tokens`);
    const row = page.getByRole("listitem").filter({ hasText: "deploys" });
    expect(await row.textContent()).toContain(`expires ${expires}`);
    await page.close();
  });
});
