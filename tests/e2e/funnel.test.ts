// First: billing on (the hosted service), against a local Stripe stand-in, before lib/ loads.
import { PRICES, standIn, webhookSecret } from "../support/billing-env";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Locator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PLANS } from "@/lib/billing/plans";
import { launchChromium } from "../support/browser";
import { ROOT, type Running, run, startPlatform } from "../support/processes";
import { signedDelivery, stripeEvent, subscriptionObject } from "../support/stripe-stand-in";

// Time to first event, measured: a newcomer in Chromium from the landing page to their first
// issue on screen, as the hosted service runs (`npm start` with billing on). Every click the
// script makes is counted, and the DSN is read off the page as a person copies it. The paid
// funnel then goes from the pricing page through sign-up with a plan and Stripe Checkout (a
// stand-in page for Stripe's, with the signed webhook Stripe would send) to the plan active.

const MAX_SECONDS = 120;

let platform: Running;
let browser: Browser;
let web: string;
const shots = path.join(ROOT, "test-results/funnel");

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  ({ process: platform, web } = await startPlatform());
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop("SIGTERM");
  await standIn.close();
});

/** A person's session in a fresh browser, counting what they do. */
async function newcomer() {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("response", (r) => r.status() >= 500 && errors.push(`${r.status()} ${r.url()}`));
  const counts = { clicks: 0, pastes: 0 };
  return {
    page,
    errors,
    counts,
    click: async (locator: Locator) => {
      counts.clicks++;
      await locator.click();
    },
    /** Reads text off the page to paste elsewhere. */
    copy: async (locator: Locator) => {
      counts.pastes++;
      return (await locator.textContent())!.trim();
    },
    shot: (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true }),
  };
}

async function createProjectAndSendFirstError(who: Awaited<ReturnType<typeof newcomer>>, org: string) {
  const { page, click, copy } = who;
  await page.waitForURL(`${web}/${org}/projects/new`);
  // Node.js is picked already; a person clicks it only if it is not.
  const node = page.getByLabel("Node.js");
  if (!(await node.isChecked())) await click(node);
  await page.getByLabel("Project name").fill("Checkout API");
  await click(page.getByRole("button", { name: "Create project" }));
  await page.waitForURL(`${web}/${org}/projects/checkout-api/getting-started`);
  await page.getByTestId("waiting-for-event").waitFor();

  const dsn = await copy(page.getByTestId("dsn"));
  expect(dsn).toMatch(/^http:\/\/[0-9a-f]{32}@localhost:\d+\/\d+$/);
  const sdk = await run(process.execPath, ["tests/support/sentry-client.mjs"], { SENTRY_DSN: dsn });
  expect(sdk.code, sdk.output).toBe(0);
  expect(sdk.output).toContain("flushed true");
  // The page polls: it turns live and shows the new issue without a reload.
  await page.getByTestId("first-event-received").waitFor({ timeout: 60_000 });
  await page
    .getByTestId("first-issues")
    .getByText("TypeError: Cannot read properties of undefined")
    .waitFor({ timeout: 30_000 });
}

const seconds = (since: number) => (performance.now() - since) / 1000;

describe("time to first event", () => {
  it("goes from the landing page to the first issue on screen in at most 3 clicks, the form fills and one paste", async () => {
    const who = await newcomer();
    const { page, click, counts } = who;
    const suffix = Date.now().toString(36);
    const org = `shop-${suffix}`;

    const began = performance.now();
    await page.goto(web);
    await click(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Start free" }));
    await page.waitForURL(`${web}/sign-up`);
    await page.getByLabel("Email").fill(`founder-${suffix}@example.com`);
    await page.getByLabel("Password").fill("founder-password-1");
    await page.getByLabel("Organization").fill(`Shop ${suffix}`);
    await click(page.getByRole("button", { name: "Create account" }));
    await createProjectAndSendFirstError(who, org);
    const toIssue = seconds(began);
    const clicksToIssue = counts.clicks;
    await who.shot("free-1-first-issue");
    console.log(
      `funnel: ${counts.clicks} clicks + ${counts.pastes} paste, ${toIssue.toFixed(1)} s (landing page to the first issue on the getting-started page)`,
    );

    // ...and the issue list shows it, one more click away.
    await click(page.getByRole("link", { name: "See its issue" }));
    await page.getByTestId("issue-row").filter({ hasText: "TypeError" }).waitFor({ timeout: 30_000 });
    console.log(
      `funnel: ${counts.clicks} clicks + ${counts.pastes} paste, ${seconds(began).toFixed(1)} s (landing page to the issue list)`,
    );
    await who.shot("free-2-issue-list");

    expect(toIssue).toBeLessThan(MAX_SECONDS);
    expect(clicksToIssue).toBeLessThanOrEqual(3);
    expect(counts.pastes).toBe(1);
    expect(who.errors).toEqual([]);
  });

  it("takes a paid plan from the pricing page through sign-up and Stripe Checkout to the plan active, then the first issue", async () => {
    const who = await newcomer();
    const { page, click, counts } = who;
    const suffix = Date.now().toString(36);
    const org = `agency-${suffix}`;
    const team = PLANS.team;

    // Stripe's hosted Checkout page, stood in for: paying sends the webhook Stripe would send
    // (signed, re-read from the Stripe stand-in by the app) and returns to the success URL.
    await page.context().route("https://checkout.stripe.test/**", async (route) => {
      const url = new URL(route.request().url());
      const sessionId = url.pathname.split("/").at(-1)!;
      if (url.pathname.startsWith("/c/pay/")) {
        await route.fulfill({
          contentType: "text/html",
          body: `<!doctype html><html lang="en"><title>Checkout</title><main><h1>Pay errorhub</h1><a href="/pay/${sessionId}">Pay</a></main></html>`,
        });
        return;
      }
      // What the app asked Stripe for when it created this session (the only one in this run).
      const request = standIn.requestsTo("POST", "/v1/checkout/sessions").at(-1)!;
      const customer = String(request.body.customer);
      const subscription = subscriptionObject({
        id: `sub_funnel_${suffix}`,
        customer,
        price: PRICES.team,
        status: "active",
      });
      standIn.setSubscription(subscription);
      const { body, signature } = signedDelivery(
        stripeEvent("checkout.session.completed", {
          id: sessionId,
          object: "checkout.session",
          mode: "subscription",
          client_reference_id: request.body.client_reference_id,
          customer,
          subscription: subscription.id,
          status: "complete",
        }),
        webhookSecret,
      );
      const delivered = await fetch(`${web}/api/webhooks/stripe`, {
        method: "POST",
        body,
        headers: { "stripe-signature": signature, "content-type": "application/json" },
      });
      expect(await delivered.json()).toMatchObject({ result: "applied" });
      await route.fulfill({ status: 303, headers: { location: String(request.body.success_url) } });
    });

    const began = performance.now();
    await page.goto(web);
    await click(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Pricing" }));
    await page.waitForURL(`${web}/pricing`);
    expect(await page.getByTestId("price-team").textContent()).toBe(`$${team.priceCents / 100}`);
    await click(page.getByRole("link", { name: `Choose ${team.name}` }));
    await page.waitForURL(`${web}/sign-up?plan=team`);
    expect(await page.getByTestId("chosen-plan").textContent()).toContain(
      `${team.name} plan: $${team.priceCents / 100} a month`,
    );
    await page.getByLabel("Email").fill(`owner-${suffix}@example.com`);
    await page.getByLabel("Password").fill("owner-password-1");
    await page.getByLabel("Organization").fill(`Agency ${suffix}`);
    // The new account goes straight to Stripe Checkout for the plan chosen on the pricing page.
    await click(page.getByRole("button", { name: "Create account" }));
    await page.waitForURL(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_/);
    await who.shot("paid-1-checkout");
    await click(page.getByRole("link", { name: "Pay" }));
    await page.waitForURL(`${web}/${org}/settings/billing?checkout=success`);
    expect(await page.getByTestId("plan-name").textContent()).toBe(team.name);
    const toPlan = seconds(began);
    const clicksToPlan = counts.clicks;
    await who.shot("paid-2-plan-active");

    // Paid: on to the first project (the billing page has no link to it yet: through the org home).
    await click(page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Projects" }));
    await click(page.getByRole("link", { name: "Create your first project" }));
    await createProjectAndSendFirstError(who, org);
    const toIssue = seconds(began);
    await who.shot("paid-3-first-issue");
    console.log(
      `funnel (${team.name} plan): ${clicksToPlan} clicks, ${toPlan.toFixed(1)} s to the plan active; ` +
        `${counts.clicks} clicks + ${counts.pastes} paste, ${toIssue.toFixed(1)} s to the first issue`,
    );
    expect(toIssue).toBeLessThan(MAX_SECONDS);
    expect(who.errors).toEqual([]);
  });
});
