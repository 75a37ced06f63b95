import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GREATEST_LOWER_BOUND, TraceMap, generatedPositionFor, originalPositionFor } from "@jridgewell/trace-mapping";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE, createSession } from "@/lib/auth/sessions";
import { launchChromium } from "../support/browser";
import { newEventId } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { NODE, ROOT, type Running, WITH_TSX, run, startPlatform } from "../support/processes";
import { SENTRY_CLI } from "../support/sentry-cli";

// Releases and source maps as a team sees them in the real UI (the built platform, Chromium):
// releases made through the REST API with a deploy and commits, an issue whose events span two
// releases, an event from a minified bundle uploaded with the real sentry-cli, then the releases
// list and detail, "first seen in release", resolving in the next release from the issue page,
// the Original / Minified toggle, and deleting the bundle from the project's Source maps page.
// Another org's member gets 404 for this org's release. Screenshots go to test-results/releases/.
describe("releases and source maps in the UI", () => {
  const shots = path.join(ROOT, "test-results/releases");
  const suffix = Date.now().toString(36);
  const work = path.join(ROOT, "tests/.artifacts", `releases-ui-${suffix}`);
  const login = { email: `rel-${suffix}@example.com`, password: "releases-password-1" };
  const [older, newer] = [`web@1.0.0+${suffix}`, `web@2.0.0+${suffix}`];
  const bundleUrl = "https://shop.example.com/static/app.min.js";
  const vendorUrl = "https://shop.example.com/static/vendor.min.js";
  let platform: Running;
  let web: string;
  let ingest: string;
  let browser: Browser;
  let page: Page;
  let boot: { dsn: string; token: string; org: string; project: string; projectId: number };
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  const api = async (method: string, pathname: string, body?: unknown) => {
    const response = await fetch(`${web}/api/0${pathname}`, {
      method,
      headers: { authorization: `Bearer ${boot.token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    expect(response.status, `${method} ${pathname}: ${text}`).toBeLessThan(300);
    return text ? JSON.parse(text) : null;
  };
  const sendEvent = async (event: Record<string, unknown>) => {
    const dsn = new URL(boot.dsn);
    const id = newEventId();
    const response = await fetch(`${ingest}/api/${boot.projectId}/store/?sentry_key=${dsn.username}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event_id: id, timestamp: Date.now() / 1000, level: "error", environment: "production", ...event }),
    });
    expect(response.status, await response.text()).toBe(200);
    return id;
  };
  const cli = (args: string[]) => {
    const env = { ...process.env, SENTRY_URL: web, SENTRY_AUTH_TOKEN: boot.token, SENTRY_ORG: boot.org, SENTRY_PROJECT: boot.project };
    try {
      return execFileSync(SENTRY_CLI, args, { cwd: work, env, encoding: "utf8", stdio: "pipe", timeout: 120_000 });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`sentry-cli ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
    }
  };
  // axe-core's accessibility rules on the page as it stands (as the other e2e tests check theirs).
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
    mkdirSync(path.join(work, "src"), { recursive: true });
    ({ process: platform, web, ingest } = await startPlatform());
    const bootstrap = await run(
      NODE,
      [...WITH_TSX, "workers/admin.ts", "bootstrap", "--email", login.email, "--password", login.password, "--org", `rel-${suffix}`, "--project", "shop-web", "--platform", "javascript", "--json"],
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
    rmSync(work, { recursive: true, force: true });
  });

  it("shows releases, first seen in release, resolve in next release, the minified toggle and bundle deletion", async () => {
    // Two releases through the REST API; the newer one deployed, with two commits.
    await api("POST", `/organizations/${boot.org}/releases/`, { version: older, projects: [boot.project] });
    await api("POST", `/organizations/${boot.org}/releases/`, { version: newer, projects: [boot.project] });
    const v = encodeURIComponent(newer);
    await api("POST", `/organizations/${boot.org}/releases/${v}/deploys/`, { environment: "production", name: "deploy 42" });
    await api("PUT", `/organizations/${boot.org}/releases/${v}/`, {
      commits: [
        { id: "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0", repository: "example/shop-web", message: "Cart: total of the items\n\nlonger body", author_name: "Ada Lovelace", author_email: "ada@example.com" },
        { id: "0f9e8d7c6b5a0f9e8d7c6b5a0f9e8d7c6b5a0f9e", repository: "example/shop-web", message: "Checkout page", author_name: "Grace Hopper", author_email: "grace@example.com" },
      ],
    });

    // One issue with events in both releases (older first): first seen in the older, last in the newer.
    const checkoutError = (release: string) => ({
      release,
      platform: "javascript",
      exception: { values: [{ type: "RangeError", value: "Quantity out of range", stacktrace: { frames: [{ filename: "/src/checkout.js", abs_path: "https://shop.example.com/src/checkout.js", function: "checkout", lineno: 12, colno: 3, in_app: true }] } }] },
    });
    await sendEvent(checkoutError(older));
    type IssueRow = { id: string; title: string };
    const findIssue = async (type: string) =>
      ((await api("GET", `/projects/${boot.org}/${boot.project}/issues/?query=`)) as IssueRow[]).find((i) => i.title.startsWith(type));
    await expect.poll(async () => (await findIssue("RangeError"))?.id, { timeout: 30_000 }).toBeTruthy();
    const rangeIssue = (await findIssue("RangeError"))!;
    await sendEvent(checkoutError(newer));
    // The details endpoint names the releases (the stream does not).
    const releasesOf = async () => {
      const detail = await api("GET", `/organizations/${boot.org}/issues/${rangeIssue.id}/`);
      return [detail.firstRelease?.version, detail.lastRelease?.version];
    };
    await expect.poll(releasesOf, { timeout: 30_000 }).toEqual([older, newer]);

    // A minified bundle: built with esbuild, debug ids injected and uploaded by the real sentry-cli.
    writeFileSync(path.join(work, "src/cart.js"), ["export function totalOf(cart) {", "  return cart.items.reduce((sum, item) => sum + item.price, 0);", "}", ""].join("\n"));
    writeFileSync(path.join(work, "src/main.js"), ['import { totalOf } from "./cart";', "window.pay = () => totalOf(window.cart);", ""].join("\n"));
    await build({ entryPoints: [path.join(work, "src/main.js")], outfile: path.join(work, "dist/app.min.js"), bundle: true, minify: true, sourcemap: true, format: "iife", logLevel: "silent" });
    cli(["sourcemaps", "inject", "dist"]);
    cli(["sourcemaps", "upload", "--release", newer, "--wait", "dist"]);
    const map = JSON.parse(readFileSync(path.join(work, "dist/app.min.js.map"), "utf8"));
    const debugId: string = map.debugId ?? map.debug_id;
    expect(debugId).toMatch(/^[0-9a-f-]{36}$/);
    // Where line 2 of cart.js (the `cart.items` read) landed in the injected, minified file.
    const traced = new TraceMap(map);
    const source = traced.sources.find((s) => s?.endsWith("src/cart.js"))!;
    const found = generatedPositionFor(traced, { source, line: 2, column: 9, bias: GREATEST_LOWER_BOUND });
    if (found.line === null) throw new Error("line 2 of cart.js is not in the source map");
    const generated = { line: found.line, column: found.column };
    expect(originalPositionFor(traced, generated)).toMatchObject({ line: 2 });
    await sendEvent({
      release: newer,
      platform: "javascript",
      sdk: { name: "sentry.javascript.browser", version: "10.0.0" },
      exception: {
        values: [
          {
            type: "TypeError",
            value: "Cannot read properties of undefined (reading 'items')",
            stacktrace: {
              frames: [
                // a caller in a vendor file no bundle has: left minified, with a hint saying why
                { filename: vendorUrl, abs_path: vendorUrl, function: "n", lineno: 1, colno: 812, in_app: false },
                { filename: bundleUrl, abs_path: bundleUrl, function: "t", lineno: generated.line, colno: generated.column + 1, in_app: true },
              ],
            },
          },
        ],
      },
      debug_meta: { images: [{ type: "sourcemap", code_file: bundleUrl, debug_id: debugId }] },
    });
    await expect.poll(async () => (await findIssue("TypeError"))?.id, { timeout: 30_000 }).toBeTruthy();
    const typeIssue = (await findIssue("TypeError"))!;

    // Signed in as the org's owner.
    await page.goto(`${web}/sign-in`);
    await page.getByLabel("Email").fill(login.email);
    await page.getByLabel("Password").fill(login.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));

    // The releases list: both, newest first, with the deploy, the commits and the events.
    await page.goto(`${web}/${boot.org}/releases`);
    const rows = page.getByTestId("release-row");
    // Visible, not only in the DOM: streamed content sits hidden until React swaps it in.
    await rows.first().waitFor({ state: "visible" });
    expect(await rows.count()).toBe(2);
    const newerRow = await rows.nth(0).textContent();
    expect(newerRow).toContain(newer);
    expect(newerRow).toContain("production");
    expect(await rows.nth(1).textContent()).toContain(older);
    // New issues, events and commits: the RangeError was new in the older release, the TypeError in the newer.
    const counts = async (row: number) => (await rows.nth(row).getByRole("cell").allTextContents()).slice(-3);
    expect(await counts(0)).toEqual(["1", "2", "2"]);
    expect(await counts(1)).toEqual(["1", "1", "0"]);
    expect(await axeViolations()).toEqual([]);
    await shot("01-releases");
    // Filtered by version prefix.
    await page.getByLabel("Version starts with").fill("web@1.");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/query=web%401\./);
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(older);

    // The newer release's page: deploy, commits, and its issues linking to their pages.
    await page.goto(`${web}/${boot.org}/releases`);
    await page.getByRole("link", { name: newer }).click();
    await page.waitForURL(`${web}/${boot.org}/releases/${v}`);
    expect(await page.getByTestId("release-version").textContent()).toBe(newer);
    const facts = (await page.getByTestId("release-facts").textContent()) ?? "";
    expect(facts).toContain("Events2");
    expect(facts).toContain("Commits2");
    expect(await page.getByTestId("deploys").textContent()).toMatch(/production.*1 deploy.*deploy 42/);
    const commits = (await page.getByTestId("commits").textContent()) ?? "";
    expect(commits).toContain("a1b2c3d");
    expect(commits).toContain("Cart: total of the items");
    expect(commits).not.toContain("longer body");
    expect(commits).toContain("Ada Lovelace");
    expect(commits).toContain("Grace Hopper");
    expect(await page.getByTestId("release-issues").textContent()).toContain("RangeError");
    // The TypeError was first seen in this release; the RangeError in the older one.
    const newIssues = (await page.getByTestId("new-issues").textContent()) ?? "";
    expect(newIssues).toContain("TypeError");
    expect(newIssues).not.toContain("RangeError");
    expect(await axeViolations()).toEqual([]);
    await shot("02-release");

    // The issue: first seen in the older release, last seen in the newer, each a link.
    await page.getByTestId("release-issues").getByRole("link", { name: /RangeError/ }).click();
    await page.waitForURL(`${web}/${boot.org}/issues/${rangeIssue.id}`);
    expect(await page.getByTestId("first-seen").textContent()).toContain(`in release ${older}`);
    expect(await page.getByTestId("last-seen").textContent()).toContain(`in release ${newer}`);
    await page.getByTestId("first-seen").getByRole("link", { name: older }).click();
    await page.waitForURL(`${web}/${boot.org}/releases/${encodeURIComponent(older)}`);
    expect(await page.getByTestId("release-version").textContent()).toBe(older);

    // Resolve in the next release from the issue page.
    await page.goto(`${web}/${boot.org}/issues/${rangeIssue.id}`);
    await page.getByRole("button", { name: "Resolve in next release" }).click();
    await expect.poll(() => page.getByTestId("issue-status").textContent(), { timeout: 15_000 }).toBe("resolved in the next release");
    const detail = await api("GET", `/organizations/${boot.org}/issues/${rangeIssue.id}/`);
    expect(detail).toMatchObject({ status: "resolved", statusDetails: { inNextRelease: true } });
    await shot("03-resolved-in-next-release");

    // The minified event: original frame by default, the minified one on request.
    await page.goto(`${web}/${boot.org}/issues/${typeIssue.id}`);
    const trace = page.getByTestId("stack-trace");
    await expect.poll(() => trace.textContent(), { timeout: 15_000 }).toContain("cart.js");
    expect(await trace.textContent()).toContain("totalOf");
    expect(await trace.textContent()).toContain("return cart.items.reduce((sum, item) => sum + item.price, 0);");
    expect(await trace.textContent()).not.toContain("app.min.js");
    expect(await page.getByTestId("processing-errors").textContent()).toContain(`Source map not found for ${vendorUrl}`);
    expect(await axeViolations()).toEqual([]);
    await shot("04-original-frames");
    await page.getByTestId("frames-toggle").getByRole("link", { name: "Minified" }).click();
    await page.waitForURL(/stack=minified/);
    expect(await trace.textContent()).toContain("app.min.js");
    expect(await trace.textContent()).not.toContain("cart.js");
    expect(await page.getByTestId("frames-toggle").getByRole("link", { name: "Minified" }).getAttribute("aria-current")).toBe("page");
    await shot("05-minified-frames");

    // The project's Source maps page lists the bundle; deleting it asks first, then it is gone.
    await page.goto(`${web}/${boot.org}/projects/${boot.project}/settings`);
    await page.getByRole("link", { name: /^Source maps/ }).click();
    await page.waitForURL(`${web}/${boot.org}/projects/${boot.project}/settings/source-maps`);
    const bundle = page.getByTestId("bundle-row");
    expect(await bundle.count()).toBe(1);
    expect(await bundle.textContent()).toContain(debugId);
    expect(await bundle.textContent()).toContain(newer);
    expect(await axeViolations()).toEqual([]);
    await shot("06-source-maps");
    await bundle.getByText("Delete…").click();
    await bundle.getByRole("button", { name: /^Delete bundle/ }).click();
    await page.getByTestId("no-bundles").waitFor({ timeout: 15_000 });
    expect(await page.getByTestId("upload-commands").textContent()).toContain(`SENTRY_URL=${web}`);
    expect(await bundle.count()).toBe(0);
    await shot("07-source-maps-empty");
    expect(errors).toEqual([]);
  });

  it("answers 404 to another org's member for this org's release page", async () => {
    const other = await createOrgWithProject();
    const context = await browser.newContext();
    try {
      await context.addCookies([{ name: SESSION_COOKIE, value: (await createSession(other.user.id)).token, url: web }]);
      const stranger = await context.newPage();
      // This org's URL, and B's own org with A's version: both not found.
      const foreignOrg = await stranger.goto(`${web}/${boot.org}/releases/${encodeURIComponent(newer)}`);
      expect(foreignOrg?.status()).toBe(404);
      const foreignVersion = await stranger.goto(`${web}/${other.org.slug}/releases/${encodeURIComponent(newer)}`);
      const body = (await foreignVersion?.text()) ?? "";
      expect(foreignVersion?.status() === 404 || body.includes("This page does not exist")).toBe(true);
      expect(body).not.toContain("Ada Lovelace");
    } finally {
      await context.close();
    }
  });
});
