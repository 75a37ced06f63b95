import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser";
import { NODE, ROOT, type Running, WITH_TSX, run, startPlatform } from "../support/processes";
import { SENTRY_CLI } from "../support/sentry-cli";

// The issue's "done when": a team's CI drives the real sentry-cli 3.x against the running
// platform (info, a release, debug ids injected, the bundle uploaded with and without --wait,
// finalize, a deploy, commits from the local git repository, the release list), then the
// minified bundle, built with esbuild around @sentry/browser, throws in Chromium, and the
// event's top frame, in the API and on the issue page, is the original file, function, line
// and source line. Screenshots go to test-results/sourcemaps/.
const DISCOUNT_LINE = '  const rule = (window as unknown as { discounts: Record<string, { percent: number }> }).discounts[code ?? "none"];';

describe("source maps uploaded by sentry-cli turn a minified browser error into the original code", () => {
  const shots = path.join(ROOT, "test-results/sourcemaps");
  const work = path.join(ROOT, "tests/.artifacts", `sourcemaps-${Date.now().toString(36)}`);
  const suffix = Date.now().toString(36);
  const release = `shop-web@1.4.0+${suffix}`;
  const login = { email: `ci-${suffix}@example.com`, password: "sourcemaps-password-1" };
  let platform: Running;
  let web: string;
  let ingest: string;
  let site: Server;
  let siteUrl: string;
  let browser: Browser;
  let page: Page;
  let boot: { dsn: string; token: string; org: string; project: string };

  const cli = (args: string[], cwd = work) => {
    const env = { ...process.env, SENTRY_URL: web, SENTRY_AUTH_TOKEN: boot.token, SENTRY_ORG: boot.org, SENTRY_PROJECT: boot.project };
    try {
      return execFileSync(SENTRY_CLI, args, { cwd, env, encoding: "utf8", stdio: "pipe", timeout: 120_000 });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      throw new Error(`sentry-cli ${args.join(" ")} failed:\n${failed.stdout ?? ""}${failed.stderr ?? ""}`);
    }
  };
  const api = async (pathname: string) => {
    const response = await fetch(`${web}${pathname}`, { headers: { authorization: `Bearer ${boot.token}` } });
    expect(response.status, `${pathname}: ${response.status}`).toBe(200);
    return response.json();
  };

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    mkdirSync(path.join(work, "src"), { recursive: true });
    ({ process: platform, web, ingest } = await startPlatform());
    const bootstrap = await run(
      NODE,
      [...WITH_TSX, "workers/admin.ts", "bootstrap", "--email", login.email, "--password", login.password, "--org", `shop-${suffix}`, "--project", "storefront", "--platform", "javascript", "--json"],
      { INGEST_URL: ingest },
    );
    expect(bootstrap.code, bootstrap.output).toBe(0);
    boot = JSON.parse(bootstrap.output.slice(bootstrap.output.indexOf("{")));

    // The app: a checkout that fails inside a named function two modules away from the entry.
    writeFileSync(
      path.join(work, "src/pricing.ts"),
      [
        "export type Line = { sku: string; price: number; quantity: number };",
        "",
        "export function applyDiscount(lines: Line[], code: string | undefined): number {",
        "  const subtotal = lines.reduce((sum, line) => sum + line.price * line.quantity, 0);",
        DISCOUNT_LINE,
        "  return subtotal - subtotal * rule.percent / 100;",
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(work, "src/main.ts"),
      [
        'import * as Sentry from "@sentry/browser";',
        'import { applyDiscount } from "./pricing";',
        "",
        "declare const __DSN__: string;",
        "declare const __RELEASE__: string;",
        "Sentry.init({ dsn: __DSN__, release: __RELEASE__, environment: \"production\" });",
        "",
        "function checkout() {",
        '  const total = applyDiscount([{ sku: "tea", price: 4, quantity: 2 }], "SPRING");',
        '  document.getElementById("total")!.textContent = String(total);',
        "}",
        "",
        'document.getElementById("pay")!.addEventListener("click", () => checkout());',
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(work, "index.html"), '<!doctype html><title>Shop</title><button id="pay">Pay</button><p id="total"></p><script src="/static/app.min.js"></script>');
    await build({
      entryPoints: [path.join(work, "src/main.ts")],
      outfile: path.join(work, "dist/app.min.js"),
      bundle: true,
      minify: true,
      sourcemap: true,
      format: "iife",
      target: "es2020",
      nodePaths: [path.join(ROOT, "node_modules")],
      define: { __DSN__: JSON.stringify(boot.dsn), __RELEASE__: JSON.stringify(release) },
      logLevel: "silent",
    });
    // `releases set-commits --local` reads the repository the CLI runs in.
    const git = (...args: string[]) =>
      execFileSync("git", args, { cwd: work, env: { ...process.env, GIT_AUTHOR_NAME: "Ada Lovelace", GIT_AUTHOR_EMAIL: "ada@example.com", GIT_COMMITTER_NAME: "Ada Lovelace", GIT_COMMITTER_EMAIL: "ada@example.com" } });
    git("init", "-q", "-b", "main");
    git("add", "src");
    git("commit", "-qm", "Pricing: discounts by code");
    git("remote", "add", "origin", "https://github.com/example/shop-web.git");

    // The site serves the page and the bundle (only the bundle: the maps stay private).
    site = createServer(async (request, response) => {
      const file = request.url === "/" ? "index.html" : request.url === "/static/app.min.js" ? "dist/app.min.js" : null;
      if (!file) return void response.writeHead(404).end();
      const type = file.endsWith(".html") ? "text/html" : "text/javascript";
      response.writeHead(200, { "content-type": type }).end(await readFile(path.join(work, file)));
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.close(resolve));
    await platform?.stop("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  });

  it("uploads with the real sentry-cli and shows the original frame in the API and on the issue page", async () => {
    expect(cli(["info"])).toMatch(/project:releases/);
    expect(cli(["releases", "new", release])).toContain(release);
    const injected = cli(["sourcemaps", "inject", "dist"]);
    expect(injected).toMatch(/debug id/i);
    const debugId = /_sentryDebugIds\[[^\]]+\]\s*=\s*"([0-9a-f-]{36})"/.exec(await readFile(path.join(work, "dist/app.min.js"), "utf8"))![1]!;
    // Without --wait the CLI leaves once the server has the chunks; with it, once the bundle is assembled.
    cli(["sourcemaps", "upload", "--release", release, "dist"]);
    expect(cli(["sourcemaps", "upload", "--release", release, "--wait", "dist"])).toMatch(/app\.min\.js/);
    cli(["releases", "finalize", release]);
    expect(cli(["deploys", "new", "--release", release, "-e", "production"])).toMatch(/production/);
    cli(["releases", "set-commits", release, "--local"]);
    expect(cli(["releases", "list"])).toContain(release.slice(0, 20));

    const detail = await api(`/api/0/organizations/${boot.org}/releases/${encodeURIComponent(release)}/`);
    expect(detail).toMatchObject({ version: release, commitCount: 1, deployCount: 1 });
    expect(detail.dateReleased).toBeTruthy();
    const commits = await api(`/api/0/organizations/${boot.org}/releases/${encodeURIComponent(release)}/commits/`);
    expect(commits[0].message.trim()).toBe("Pricing: discounts by code");
    expect(commits[0]).toMatchObject({ author: { name: "Ada Lovelace", email: "ada@example.com" } });

    // The error, from the minified bundle in a real browser through the official SDK.
    await page.goto(siteUrl);
    await page.getByRole("button", { name: "Pay" }).click();
    const listIssues = (): Promise<{ id: string; title: string }[]> => api(`/api/0/projects/${boot.org}/${boot.project}/issues/`);
    await expect.poll(async () => (await listIssues()).length, { timeout: 30_000 }).toBeGreaterThan(0);
    const issues = await listIssues();
    const event = await api(`/api/0/organizations/${boot.org}/issues/${issues[0]!.id}/events/latest/`);
    const exception = event.entries.find((entry: { type: string }) => entry.type === "exception").data.values[0];
    const top = exception.stacktrace.frames.at(-1);
    // window.discounts is undefined: line 5 throws, reading its "SPRING".
    expect(top).toMatchObject({ function: "applyDiscount", lineNo: 5, filename: expect.stringMatching(/src\/pricing\.ts$/) });
    expect(top.context).toContainEqual([5, DISCOUNT_LINE]);
    // The minified frame is kept, and the bundle was found by the debug id the CLI injected.
    expect(exception.rawStacktrace.frames.at(-1)).toMatchObject({ filename: expect.stringMatching(/app\.min\.js$/) });
    expect(top.data).toMatchObject({ symbolicated: true, resolved_with: "debug-id" });
    const debugMeta = event.entries.find((entry: { type: string }) => entry.type === "debugmeta");
    expect(debugMeta.data.images).toContainEqual({ type: "sourcemap", code_file: `${siteUrl}/static/app.min.js`, debug_id: debugId });
    expect(issues[0]!.title).toMatch(/TypeError/);

    // The issue page shows the same original frame to a signed-in member of the org.
    await page.goto(`${web}/sign-in`);
    await page.getByLabel("Email").fill(login.email);
    await page.getByLabel("Password").fill(login.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
    await page.goto(`${web}/${boot.org}/issues/${issues[0]!.id}`);
    const main = page.getByRole("main");
    await main.getByText("applyDiscount").first().waitFor();
    const text = (await main.textContent()) ?? "";
    expect(text).toContain("pricing.ts");
    expect(text).toContain(DISCOUNT_LINE.trim());
    expect(text).toContain(release);
    await page.screenshot({ path: path.join(shots, "01-original-frame.png"), fullPage: true });
  });
});
