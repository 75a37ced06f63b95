import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "../support/axe";
import { launchChromium } from "../support/browser";
import { envelope } from "../support/envelopes";
import { NODE, ROOT, type Running, WITH_TSX, run, startPlatform } from "../support/processes";
import { nodeTransaction } from "../support/transactions";

// The Performance pages as a team uses them (the built platform, Chromium), with data the
// official @sentry/node SDK sent (tests/support/sentry-tracing.mjs: a task transaction with
// nested spans calling an HTTP server the SDK instruments, three good requests and a failing
// one, an error captured inside a span): the list sorted and filtered through its links and
// form, a transaction's summary, the task's span waterfall (nesting, a span opened on its
// scrubbed data, the error on its span), the trace view, the Trace and Transaction links of the
// error's page, and the Apdex threshold saved from the project settings. Another org's member
// gets 404 for this org's waterfall and trace. No console errors (CSP violations are), no 5xx,
// no axe-core violations.
// Screenshots go to test-results/performance/ (pages-*.png).
describe("performance pages", () => {
  const shots = path.join(ROOT, "test-results/performance");
  const suffix = Date.now().toString(36);
  const login = { email: `perfpages-${suffix}@example.com`, password: "perf-pages-password-1" };
  const stranger = { email: `perfpages-other-${suffix}@example.com`, password: "perf-pages-password-2" };
  let platform: Running;
  let web: string;
  let ingest: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let boot: { dsn: string; token: string; org: string; project: string; projectId: number };
  let sdkOutput = "";
  const problems: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(shots, `pages-${name}.png`), fullPage: true });

  const api = async (pathname: string) => {
    const response = await fetch(`${web}/api/0${pathname}`, { headers: { authorization: `Bearer ${boot.token}` } });
    const text = await response.text();
    expect(response.status, `GET ${pathname}: ${text}`).toBe(200);
    return JSON.parse(text);
  };
  const bootstrap = async (who: { email: string; password: string }, org: string, project: string) => {
    const result = await run(NODE, [...WITH_TSX, "workers/admin.ts", "bootstrap", "--email", who.email, "--password", who.password, "--org", org, "--project", project, "--platform", "node", "--json"], {
      INGEST_URL: ingest,
    });
    expect(result.code, result.output).toBe(0);
    return JSON.parse(result.output.slice(result.output.indexOf("{")));
  };
  const signIn = async (target: Page, who: { email: string; password: string }) => {
    await target.goto(`${web}/sign-in`);
    await target.getByLabel("Email").fill(who.email);
    await target.getByLabel("Password").fill(who.password);
    await target.getByRole("button", { name: "Sign in" }).click();
    await target.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
  };
  const idOf = (label: string) => sdkOutput.match(new RegExp(`^${label} ([0-9a-f]{32})`, "m"))![1]!;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    ({ process: platform, web, ingest } = await startPlatform());
    boot = await bootstrap(login, `perfpages-${suffix}`, "checkout");
    await bootstrap(stranger, `perfpages-other-${suffix}`, "elsewhere");
    const sdk = await run(NODE, ["tests/support/sentry-tracing.mjs"], { SENTRY_DSN: boot.dsn });
    sdkOutput = sdk.output;
    expect(sdk.code, sdkOutput).toBe(0);
    expect(sdkOutput).toContain("flushed true");
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("response", (r) => r.status() >= 500 && problems.push(`${r.status()} ${r.url()}`));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await platform?.stop("SIGTERM");
  });

  it("lists, sorts and filters transactions, and opens a summary, a waterfall, a trace and an error's links", async () => {
    // The worker has stored the SDK's five transactions in three groups.
    const counts = async () =>
      ((await api(`/organizations/${boot.org}/transaction-groups/?statsPeriod=1h`)) as { transaction: string; count: number }[]).map((g) => `${g.transaction} ${g.count}`).sort();
    await expect.poll(counts, { timeout: 60_000, interval: 1000 }).toEqual(["GET /cart 3", "GET /fail 1", "nightly-checkout 1"]);
    const traceId = sdkOutput.match(/^trace ([0-9a-f]{32})/m)![1]!;

    await signIn(page, login);
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Performance" }).click();
    await page.waitForURL(`${web}/${boot.org}/performance`);
    await page.getByRole("link", { name: "GET /cart", exact: true }).waitFor();
    const rows = page.getByTestId("transaction-row");
    expect(await rows.count()).toBe(3);
    // Count first by default: GET /cart's three.
    expect(await rows.first().getByRole("link").first().textContent()).toBe("GET /cart");
    expect(await rows.first().getByTestId("count").textContent()).toBe("3");
    await shot("list");
    expect(await axeViolations(page), "list").toEqual([]);

    // Sorted by failure rate through the column's link: the failing request first, 100%.
    await page.getByRole("link", { name: "Failure rate" }).click();
    await page.waitForURL(/sort=-failureRate/);
    expect(await rows.first().getByRole("link").first().textContent()).toBe("GET /fail");
    expect(await rows.first().getByTestId("failure-rate").textContent()).toBe("100.0%");
    // Its error count links to the issues of that transaction name.
    await rows.first().getByRole("link", { name: "1", exact: true }).waitFor();

    // The name search keeps the sort; another environment finds nothing.
    await page.getByPlaceholder(/Transaction name contains/).fill("cart");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/query=cart/);
    expect(page.url()).toContain("sort=-failureRate");
    expect(await rows.count()).toBe(1);
    await page.goto(`${web}/${boot.org}/performance?environment=nowhere`);
    await page.getByTestId("no-transactions").waitFor();

    // GET /cart's summary: three transactions, its percentiles, a chart, samples to open.
    await page.goto(`${web}/${boot.org}/performance?statsPeriod=1h`);
    await page.getByRole("link", { name: "GET /cart", exact: true }).click();
    await page.waitForURL(/\/performance\/summary\?/);
    expect(await page.getByTestId("summary-count").textContent()).toBe("3");
    expect(await page.getByTestId("summary-p95").textContent()).toMatch(/\d+(\.\d+)? (ms|s)/);
    expect(await page.getByTestId("summary-failure-rate").textContent()).toBe("0%");
    await page.getByTestId("duration-chart").locator("svg polyline").first().waitFor({ state: "attached" });
    expect(await page.getByTestId("slowest").getByTestId("sample-row").count()).toBe(3);
    expect(await page.getByTestId("recent").getByTestId("sample-row").count()).toBe(3);
    await shot("summary");
    expect(await axeViolations(page), "summary").toEqual([]);

    // The task's waterfall: "load carts" under the transaction, the UPDATE and the four client
    // requests under it; the UPDATE opens on its data, scrubbed; the error marks "charge".
    const [task] = await api(`/organizations/${boot.org}/transactions/?transaction=nightly-checkout&statsPeriod=1h`);
    await page.goto(`${web}/${boot.org}/performance/transaction/${boot.project}/${task.eventID}`);
    const spanRow = (text: string) => page.getByTestId("span-row").filter({ hasText: text });
    await spanRow("load carts").waitFor();
    expect(await spanRow("load carts").getAttribute("data-depth")).toBe("1");
    expect(await spanRow("UPDATE users").getAttribute("data-depth")).toBe("2");
    expect(await spanRow("http.client").count()).toBe(4);
    for (const depth of await spanRow("http.client").evaluateAll((els) => els.map((e) => e.getAttribute("data-depth")))) expect(depth).toBe("2");
    await spanRow("UPDATE users").locator("summary").click();
    const opened = spanRow("UPDATE users").locator("details");
    await opened.getByText("db.statement").waitFor();
    expect(await opened.textContent()).toContain("password = '[Filtered]'");
    expect(await page.content()).not.toContain("hunter2");
    expect(await spanRow("charge").getByTestId("span-error").textContent()).toBe("error");
    // The request to /fail opens on the server transaction it started.
    await spanRow("/fail").locator("summary").click();
    const [server] = await api(`/organizations/${boot.org}/transactions/?transaction=${encodeURIComponent("GET /fail")}&statsPeriod=1h`);
    expect(await spanRow("/fail").getByRole("link", { name: "http.server GET /fail" }).getAttribute("href")).toBe(
      `/${boot.org}/performance/transaction/${boot.project}/${server.eventID}`,
    );
    await page.getByTestId("trace-errors").getByText("Card declined").waitFor();
    await shot("waterfall");
    expect(await axeViolations(page), "waterfall").toEqual([]);

    // The trace: the task with its four requests below it, and both errors.
    await page.getByTestId("trace-link").click();
    await page.waitForURL(`${web}/${boot.org}/performance/trace/${traceId}`);
    const traceRows = page.getByTestId("trace-row");
    expect(await traceRows.count()).toBe(5);
    expect(await traceRows.first().getAttribute("data-depth")).toBe("0");
    expect(await traceRows.filter({ hasText: "GET /cart" }).count()).toBe(3);
    for (const depth of await traceRows.filter({ hasText: "http.server" }).evaluateAll((els) => els.map((e) => e.getAttribute("data-depth")))) expect(depth).toBe("1");
    expect(await traceRows.filter({ hasText: "GET /fail" }).getByTestId("trace-row-errors").textContent()).toBe("1 error");
    expect(await page.getByTestId("trace-error").count()).toBe(2);
    await shot("trace");
    expect(await axeViolations(page), "trace").toEqual([]);

    // The error's page links back to its trace and to the transaction it happened in.
    await page.getByTestId("trace-errors").getByRole("link", { name: /Card declined/ }).click();
    await page.waitForURL(new RegExp(`/issues/\\d+\\?event=${idOf("exception")}`));
    const links = page.getByTestId("event-trace-links");
    expect(await links.getByRole("link", { name: "Trace" }).getAttribute("href")).toBe(`/${boot.org}/performance/trace/${traceId}`);
    expect(await links.getByRole("link", { name: "Transaction" }).getAttribute("href")).toBe(`/${boot.org}/performance/transaction/${boot.project}/${task.eventID}`);
    await shot("issue-links");
    expect(problems).toEqual([]);
  }, 240_000);

  it("saves the Apdex threshold from the project settings, and the summary uses it", async () => {
    await page.goto(`${web}/${boot.org}/projects/${boot.project}/settings`);
    const field = page.getByLabel("Apdex threshold (ms)");
    expect(await field.inputValue()).toBe("300");
    await field.fill("1200");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await page.reload();
    expect(await page.getByLabel("Apdex threshold (ms)").inputValue()).toBe("1200");
    await page.goto(`${web}/${boot.org}/performance/summary?${new URLSearchParams({ project: boot.project, transaction: "GET /cart", op: "http.server", method: "GET" })}`);
    await page.getByText("Apdex (T = 1200 ms)").waitFor();
    expect(problems).toEqual([]);
  });

  it("draws a transaction with 1,000 spans (Relay's cap), half of them one nested chain, in one page", async () => {
    const transaction = nodeTransaction(7, { spans: 1000 });
    const spans = transaction.spans as { span_id: string; parent_span_id: string }[];
    for (let n = 501; n < spans.length; n++) spans[n]!.parent_span_id = spans[n - 1]!.span_id;
    const key = new URL(boot.dsn).username;
    const sent = await fetch(`${ingest}/api/${boot.projectId}/envelope/?sentry_key=${key}`, {
      method: "POST",
      body: new Uint8Array(envelope({ event_id: transaction.event_id }, [{ type: "transaction", payload: JSON.stringify(transaction) }])),
    });
    expect(sent.status, await sent.text()).toBe(200);
    // Stored once the API has it (the page of a missing one streams its not-found with a 200).
    const eventPath = `/api/0/organizations/${boot.org}/events/${boot.project}:${transaction.event_id}/`;
    const status = async () => (await fetch(`${web}${eventPath}`, { headers: { authorization: `Bearer ${boot.token}` } })).status;
    await expect.poll(status, { timeout: 60_000, interval: 1000 }).toBe(200);
    const url = `${web}/${boot.org}/performance/transaction/${boot.project}/${transaction.event_id}`;
    await page.goto(url);
    await page.getByTestId("waterfall").waitFor();
    // Every span stored is drawn (the worker may trim the last few to fit the document's size),
    // the chain nested to its full depth.
    const stored = await api(`/organizations/${boot.org}/events/${boot.project}:${transaction.event_id}/`);
    const kept = (stored.entries.find((e: { type: string }) => e.type === "spans").data as unknown[]).length;
    expect(kept).toBeGreaterThan(990);
    expect(await page.getByTestId("span-row").count()).toBe(kept);
    expect(await page.getByTestId("span-row").last().getAttribute("data-depth")).toBe(String(kept - 500));
    // What the page costs: the server's answer (the document, streamed whole) over three loads.
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const response = await page.request.get(url);
      bytes = (await response.body()).length;
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(`waterfall of ${kept} spans: ${Math.round(times[1]!)} ms median of 3 (best ${Math.round(times[0]!)} ms), ${Math.round(bytes / 1024)} KiB of HTML`);
    expect(problems).toEqual([]);
  });

  it("answers not found to another org's member for this org's waterfall, trace and summary", async () => {
    const other = await (await browser.newContext()).newPage();
    await signIn(other, stranger);
    const [task] = await api(`/organizations/${boot.org}/transactions/?transaction=nightly-checkout&statsPeriod=1h`);
    const traceId = sdkOutput.match(/^trace ([0-9a-f]{32})/m)![1]!;
    const otherOrg = `perfpages-other-${suffix}`;
    // This org's URLs: the org itself is not found (a 404 before anything streams).
    for (const url of [`/${boot.org}/performance`, `/${boot.org}/performance/transaction/${boot.project}/${task.eventID}`, `/${boot.org}/performance/trace/${traceId}`]) {
      expect((await other.goto(`${web}${url}`))?.status(), url).toBe(404);
    }
    // The stranger's own org with this org's ids: the page is not found. The org layout's
    // loading state has streamed by then, so the status may be 200 with the not-found page, as
    // on the other pages of an org.
    for (const url of [
      `/${otherOrg}/performance/transaction/${boot.project}/${task.eventID}`,
      `/${otherOrg}/performance/trace/${traceId}`,
      `/${otherOrg}/performance/summary?project=${boot.project}&transaction=GET%20%2Fcart&op=http.server&method=GET`,
    ]) {
      const response = await other.goto(`${web}${url}`);
      const body = (await response?.text()) ?? "";
      expect(response?.status() === 404 || body.includes("This page does not exist"), url).toBe(true);
      for (const secret of ["nightly-checkout", "load carts", "Card declined"]) expect(body, url).not.toContain(secret);
    }
    await other.close();
  });
});
