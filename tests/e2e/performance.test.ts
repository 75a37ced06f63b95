import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser";
import { NODE, ROOT, type Running, WITH_TSX, run, start, startPlatform } from "../support/processes";

// Performance monitoring as a team sees it: a page with the official @sentry/browser (tracing
// on, the SDK's defaults otherwise) loads in Chromium and calls an API instrumented by the
// official @sentry/node, in another project of the same org, which propagates the trace. The
// built platform (`npm start`) stores both; the API and the real UI show the transactions, the
// span waterfall, the trace across the two projects, and the error inside it. Screenshots go
// to test-results/performance/.
describe("performance monitoring in the UI", () => {
  const shots = path.join(ROOT, "test-results/performance");
  const suffix = Date.now().toString(36);
  const login = { email: `perf-${suffix}@example.com`, password: "perf-password-1" };
  const orgSlug = `perf-${suffix}`;
  const release = `shop@2.0.0+${suffix}`;
  let platform: Running;
  let backend: Running;
  let site: Server;
  let siteUrl: string;
  let web: string;
  let browser: Browser;
  let page: Page;
  let token: string;
  let work: string;
  const errors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  const api = async (pathname: string) => {
    const response = await fetch(`${web}/api/0${pathname}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    expect(response.status, `GET ${pathname}: ${text}`).toBe(200);
    return JSON.parse(text);
  };
  const bootstrap = async (project: string, platformName: string, ingest: string) => {
    const result = await run(
      NODE,
      [...WITH_TSX, "workers/admin.ts", "bootstrap", "--email", login.email, "--password", login.password, "--org", orgSlug, "--project", project, "--platform", platformName, "--json"],
      { INGEST_URL: ingest },
    );
    expect(result.code, result.output).toBe(0);
    return JSON.parse(result.output.slice(result.output.indexOf("{"))) as { dsn: string; token: string | null };
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    let ingest: string;
    ({ process: platform, web, ingest } = await startPlatform());
    const front = await bootstrap("shop-web", "javascript", ingest);
    const back = await bootstrap("shop-api", "node", ingest);
    token = front.token!;

    // The API, in its own process as an app runs it.
    backend = start(NODE, ["--import", "./tests/support/traced-api-instrument.mjs", "tests/support/traced-api.mjs"], {
      SENTRY_DSN: back.dsn,
      SENTRY_RELEASE: release,
      // six queries of 15 ms one after another: over the N+1 detector's 50 ms in all
      QUERY_MS: "15",
    });
    const deadline = Date.now() + 30_000;
    while (!/listening \d+/.test(backend.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const apiUrl = `http://127.0.0.1:${/listening (\d+)/.exec(backend.output())![1]}`;

    // The page: loads products, then fails a checkout, both through the API.
    work = mkdtempSync(path.join(tmpdir(), "errorhub-perf-"));
    writeFileSync(
      path.join(work, "main.ts"),
      [
        'import * as Sentry from "@sentry/browser";',
        "declare const __DSN__: string, __RELEASE__: string, __API__: string;",
        "Sentry.init({",
        "  dsn: __DSN__, release: __RELEASE__, environment: \"production\", tracesSampleRate: 1,",
        "  integrations: [Sentry.browserTracingIntegration()], tracePropagationTargets: [__API__],",
        "});",
        "async function load() {",
        '  const products = await (await fetch(__API__ + "/api/products")).json();',
        '  document.getElementById("products")!.textContent = products.length + " products";',
        '  const checkout = await fetch(__API__ + "/api/checkout");',
        '  document.getElementById("checkout")!.textContent = "checkout " + checkout.status;',
        "}",
        "void load();",
      ].join("\n"),
    );
    await build({
      entryPoints: [path.join(work, "main.ts")],
      outfile: path.join(work, "app.js"),
      bundle: true,
      format: "iife",
      target: "es2020",
      nodePaths: [path.join(ROOT, "node_modules")],
      define: { __DSN__: JSON.stringify(front.dsn), __RELEASE__: JSON.stringify(release), __API__: JSON.stringify(apiUrl) },
      logLevel: "silent",
    });
    const html = '<!doctype html><title>Shop</title><p id="products"></p><p id="checkout"></p><script src="/app.js"></script>';
    const bundle = await import("node:fs/promises").then((fs) => fs.readFile(path.join(work, "app.js")));
    site = createServer((request, response) => {
      if (request.url === "/") return void response.writeHead(200, { "content-type": "text/html" }).end(html);
      if (request.url === "/app.js") return void response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.close(resolve));
    await backend?.stop("SIGTERM");
    await platform?.stop("SIGTERM");
    if (work) rmSync(work, { recursive: true, force: true });
  });

  type Group = { transaction: string; op: string; method: string; project: { slug: string }; count: number; failureRate: number; errorCount: number; p95: number | null };

  it("shows the page load, the API's transactions, their spans and the trace across both projects", async () => {
    // The shopper's visit, in a real browser.
    await page.goto(siteUrl);
    await page.getByText("checkout 500").waitFor({ timeout: 30_000 });

    // Both projects' transactions, grouped.
    const groups = async () =>
      ((await api(`/organizations/${orgSlug}/transaction-groups/?statsPeriod=1h`)) as Group[])
        .map((g) => `${g.project.slug} ${g.op} ${g.method} ${g.transaction} ${g.count}`)
        .sort();
    await expect.poll(groups, { timeout: 60_000, interval: 1000 }).toEqual([
      "shop-api http.server GET GET /api/checkout 1",
      "shop-api http.server GET GET /api/products 1",
      "shop-web pageload  / 1",
    ]);
    const all = (await api(`/organizations/${orgSlug}/transaction-groups/?statsPeriod=1h&sort=-failureRate`)) as Group[];
    expect(all[0]).toMatchObject({ transaction: "GET /api/checkout", failureRate: 1, errorCount: 1 });
    expect(all.find((g) => g.transaction === "GET /api/products")).toMatchObject({ failureRate: 0, errorCount: 0 });

    // The API's products transaction: its spans nest (six queries inside "load products").
    const [sample] = await api(`/organizations/${orgSlug}/transactions/?transaction=${encodeURIComponent("GET /api/products")}&statsPeriod=1h`);
    const event = await api(`/organizations/${orgSlug}/events/shop-api:${sample.eventID}/`);
    const spans = event.entries.find((e: { type: string }) => e.type === "spans").data as { span_id: string; parent_span_id: string; op: string; description: string }[];
    const loader = spans.find((s) => s.description === "load products")!;
    expect(spans.filter((s) => s.parent_span_id === loader.span_id && s.description === "SELECT * FROM products WHERE id = $1")).toHaveLength(6);

    // One trace: the page load with the two API transactions under it, and the error.
    const trace = await api(`/organizations/${orgSlug}/events-trace/${sample.traceId.replaceAll("-", "")}/`);
    expect(trace.transactions).toHaveLength(1);
    expect(trace.transactions[0]).toMatchObject({ op: "pageload", project: { slug: "shop-web" } });
    expect(trace.transactions[0].children.map((c: { transaction: string }) => c.transaction).sort()).toEqual(["GET /api/checkout", "GET /api/products"]);
    expect(trace.errors).toEqual([expect.objectContaining({ title: "Error: Payment declined by the card issuer", project: expect.objectContaining({ slug: "shop-api" }) })]);
    // The products loop's six queries became an N+1 issue of its own kind, listed apart.
    expect(trace.performanceIssues).toEqual([expect.objectContaining({ title: "N+1 Query", project: expect.objectContaining({ slug: "shop-api" }) })]);
    const apiIssues = (await api(`/projects/${orgSlug}/shop-api/issues/`)) as { title: string; issueCategory: string }[];
    expect(apiIssues.map((i) => [i.title, i.issueCategory]).sort()).toEqual([
      ["Error: Payment declined by the card issuer", "error"],
      ["N+1 Query", "performance"],
    ]);

    // The UI, signed in.
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 500 && r.url().startsWith(web) && errors.push(`${r.status()} ${r.url()}`));
    await page.goto(`${web}/sign-in`);
    await page.getByLabel("Email").fill(login.email);
    await page.getByLabel("Password").fill(login.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));

    await page.goto(`${web}/${orgSlug}/performance?statsPeriod=1h`);
    for (const name of ["GET /api/products", "GET /api/checkout", "/"]) await page.getByRole("link", { name, exact: true }).first().waitFor({ state: "visible" });
    await shot("performance");

    await page.getByRole("link", { name: "GET /api/products", exact: true }).first().click();
    await page.waitForURL(/\/performance\/summary/);
    await shot("transaction-summary");
    await page.locator(`a[href*="/performance/transaction/shop-api/${sample.eventID}"]`).first().click();
    await page.waitForURL(/\/performance\/transaction\//);
    await page.getByText("SELECT * FROM products WHERE id = $1").first().waitFor({ state: "visible" });
    await shot("waterfall");

    await page.locator('a[href*="/performance/trace/"]').first().click();
    await page.waitForURL(/\/performance\/trace\//);
    for (const text of ["GET /api/products", "GET /api/checkout", "Payment declined by the card issuer"]) await page.getByText(text).first().waitFor({ state: "visible" });
    await shot("trace");

    // The error's page links to its trace.
    await page.getByText("Payment declined by the card issuer").first().click();
    await page.waitForURL(/\/issues\/\d+/);
    await page.locator('a[href*="/performance/trace/"]').first().waitFor({ state: "visible" });
    await shot("issue-with-trace");
    expect(errors).toEqual([]);
  }, 240_000);
});
