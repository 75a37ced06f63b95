import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_COOKIE, createSession } from "@/lib/auth/sessions";
import { PAID_PLANS, PLANS } from "@/lib/billing/plans";
import { ACCEPTED_TYPES } from "@/lib/ingest/items";
import { LIMITS } from "@/lib/protocol/limits";
import { PLATFORM_IDS, platformById } from "@/lib/projects/platforms";
import { createOrgWithProject } from "../support/factories";
import { launchChromium } from "../support/browser";
import { ROOT, type Running, run, startNextServer } from "../support/processes";

// The public site as a visitor meets it, on the built app (`next start`): every page answers
// 200 without console errors and passes axe-core's accessibility rules; every link on them
// leads somewhere; and what the pages state is what the code says (the plan table, the README's
// commands, .env.example, the ingest limits, the REST routes on disk).

const AXE = path.join(ROOT, "node_modules/axe-core/axe.min.js");
const PAGES = [
  "/",
  "/pricing",
  "/pricing?events=60000",
  "/pricing?events=5000000",
  "/docs",
  ...PLATFORM_IDS.map((id) => `/docs/quick-start/${id}`),
  "/docs/self-hosting",
  "/docs/protocol",
  "/docs/api",
  "/docs/migrating",
  "/sign-in",
  "/sign-up",
  "/sign-up?plan=team",
];

type AxeViolation = { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] };

let web: Running;
let url: string;
let browser: Browser;
/** The internal links found on each page. */
const visited = new Map<string, string[]>();

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, ".next/server/app/(marketing)/pricing/page.js"))) {
    const build = await run("npm", ["run", "build"]);
    expect(build.code, build.output).toBe(0);
  }
  ({ process: web, url } = await startNextServer());
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await web?.stop("SIGKILL");
});

describe("every public page", () => {
  it.each(PAGES)("%s renders with 200, no console error and no accessibility violation", async (pagePath) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("response", (r) => r.status() >= 500 && errors.push(`${r.status()} ${r.url()}`));
    try {
      const response = await page.goto(`${url}${pagePath}`, { waitUntil: "networkidle" });
      expect(response?.status()).toBe(200);
      expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(pagePath);

      await page.addScriptTag({ path: AXE });
      const violations = await page.evaluate(async () => {
        // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global script
        const axe = (window as any).axe;
        const result = await axe.run(document, { resultTypes: ["violations"] });
        return result.violations as AxeViolation[];
      });
      const described = violations.map(
        (v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`,
      );
      expect(described).toEqual([]);

      const links = await page.$$eval('a[href^="/"]', (anchors) =>
        anchors.map((a) => a.getAttribute("href")!),
      );
      visited.set(pagePath, links);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("links only to pages that exist", async () => {
    expect(visited.size).toBe(PAGES.length);
    const links = new Set(
      [...visited.values()].flatMap((v) => v.map((href) => href.split("#")[0]!)).filter(Boolean),
    );
    expect(links.size).toBeGreaterThan(20);
    const broken: string[] = [];
    for (const href of links) {
      const res = await fetch(`${url}${href}`);
      if (res.status >= 400) broken.push(`${res.status} ${href}`);
    }
    expect(broken).toEqual([]);
  });

  it("answers 404 for a quick start of an unknown platform", async () => {
    expect((await fetch(`${url}/docs/quick-start/cobol`)).status).toBe(404);
  });
});

/** The text of the element with this data-testid, from server-rendered HTML. */
function testId(raw: string, id: string, closing = "span|p|li|strong|pre|code"): string {
  const match = new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</(?:${closing})>`).exec(raw);
  expect(match, `data-testid="${id}"`).not.toBeNull();
  return decode(match![1]!.replace(/<[^>]+>/g, ""));
}

const decode = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#x27;", "'")
    .replaceAll("&amp;", "&");

const html = async (pagePath: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}${pagePath}`, { headers, redirect: "manual" });
  const raw = await res.text();
  return { status: res.status, location: res.headers.get("location"), raw, body: decode(raw) };
};

describe("the pricing page", () => {
  it("shows each plan's price and limits as lib/billing/plans.ts has them, and where each button leads", async () => {
    const { raw, body } = await html("/pricing");
    for (const plan of Object.values(PLANS)) {
      expect(testId(raw, `price-${plan.id}`)).toBe(`$${plan.priceCents / 100}`);
      expect(testId(raw, `errors-${plan.id}`)).toBe(
        `${plan.monthlyErrors.toLocaleString("en-US")} errors a month`,
      );
      expect(testId(raw, `retention-${plan.id}`)).toBe(`${plan.retentionDays}-day retention`);
      expect(testId(raw, `members-${plan.id}`)).toBe(
        plan.maxMembers === null
          ? "Unlimited members"
          : `${plan.maxMembers} member${plan.maxMembers === 1 ? "" : "s"}`,
      );
      const card = new RegExp(`data-testid="plan-${plan.id}"[\\s\\S]*?href="([^"]+)"`).exec(body)![1];
      expect(card).toBe(
        (PAID_PLANS as readonly string[]).includes(plan.id) ? `/sign-up?plan=${plan.id}` : "/sign-up",
      );
    }
    expect(body).toContain('data-testid="plan-self-hosted"');
    expect(body).toMatch(/Self-hosted<\/h3>[\s\S]*?Free[\s\S]*?and unlimited/);
  });

  it("answers the calculator with the cheapest plan that covers the volume", async () => {
    const byPrice = Object.values(PLANS).sort((a, b) => a.priceCents - b.priceCents);
    const volumes = [
      0,
      1,
      byPrice[0]!.monthlyErrors,
      byPrice[0]!.monthlyErrors + 1,
      60_000,
      byPrice.at(-1)!.monthlyErrors,
    ];
    for (const events of volumes) {
      const expected = byPrice.find((p) => p.monthlyErrors >= events)!;
      const { raw } = await html(`/pricing?events=${events}`);
      expect(testId(raw, "calculator-plan"), `${events} events`).toBe(expected.name);
    }
    // Beyond every plan: the largest, with pay-as-you-go for the rest.
    const largest = byPrice.reduce((a, b) => (b.monthlyErrors > a.monthlyErrors ? b : a));
    const { raw } = await html(`/pricing?events=${largest.monthlyErrors * 3}`);
    expect(testId(raw, "calculator-plan")).toBe(largest.name);
    expect(testId(raw, "calculator-answer", "div")).toContain("pay-as-you-go");
    expect(testId(raw, "calculator-answer", "div")).toContain("host it yourself");
    expect(testId((await html("/pricing?events=lots")).raw, "calculator-answer", "div")).toContain(
      "Enter a number",
    );
  });
});

describe("the landing page", () => {
  it("shows the Node.js setup from platforms.ts and the README's two commands to a visitor", async () => {
    const { status, raw, body } = await html("/");
    expect(status).toBe(200);
    expect(body).toContain("Works with the Sentry SDKs you already use");
    const node = platformById("node");
    expect(body).toContain(node.install);
    expect(body).toContain(
      node.code.replace("__DSN__", "https://<public-key>@<your-errorhub-host>/<project-id>"),
    );
    const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
    const commands = /## Two commands[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)![1]!.trimEnd();
    expect(testId(raw, "two-commands")).toBe(commands);
    expect(body).toContain('data-testid="example-issue"');
    expect(body).toContain("TypeError: Cannot read properties of undefined");
  });

  it("sends someone signed in on to their organization, or to pay for the plan they chose", async () => {
    const { user, org } = await createOrgWithProject();
    const cookie = `${SESSION_COOKIE}=${(await createSession(user.id)).token}`;
    const home = await html("/", { cookie });
    expect(home.status).toBe(307);
    expect(home.location).toBe(`/${org.slug}`);
    // Billing is off here (self-hosted): a plan leads nowhere different.
    expect((await html("/?plan=team", { cookie })).location).toBe(`/${org.slug}`);
    // Signed in already, sign-up is skipped.
    expect((await html("/sign-up?plan=team", { cookie })).location).toBe("/");
    // The docs show the way back to the dashboard instead of "Sign in".
    const docs = await html("/docs", { cookie });
    expect(docs.body).toContain("Go to your dashboard");
  });
});

describe("the docs", () => {
  it("give every platform's setup from platforms.ts with the placeholder DSN", async () => {
    for (const id of PLATFORM_IDS) {
      const platform = platformById(id);
      const { raw, body } = await html(`/docs/quick-start/${id}`);
      expect(body).toContain(`Quick start: ${platform.name}`);
      expect(testId(raw, "quick-start-code")).toBe(
        platform.code.replaceAll("__DSN__", "https://<public-key>@<your-errorhub-host>/<project-id>"),
      );
      expect(testId(raw, "quick-start-install")).toBe(platform.install);
    }
  });

  it("list every variable of .env.example on the self-hosting page", async () => {
    const { raw, body } = await html("/docs/self-hosting");
    const names = [
      ...readFileSync(path.join(ROOT, ".env.example"), "utf8").matchAll(/^([A-Z][A-Z0-9_]*)=/gm),
    ].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(20);
    const table = /data-testid="env-vars"[\s\S]*?<\/table>/.exec(raw)![0];
    for (const name of names) expect(table, name).toContain(`>${name}</code>`);
    expect(body).toContain(`client_max_body_size ${LIMITS.bodyBytes / 1024 / 1024}m;`);
  });

  it("state the ingest limits of lib/protocol/limits.ts and the four endpoints", async () => {
    const { raw, body } = await html("/docs/protocol");
    const MiB = 1024 * 1024;
    for (const bytes of [LIMITS.eventItemBytes, LIMITS.bodyBytes, LIMITS.decompressedBytes])
      expect(body).toContain(`${bytes / MiB} MiB`);
    expect(body).toContain(`${LIMITS.preAuthBytes / 1024} KiB`);
    expect(body).toContain(`${LIMITS.jsonDepth} levels`);
    for (const endpoint of ["envelope", "store", "security", "csp-report"])
      expect(body).toContain(`/api/<project id>/${endpoint}/`);
    const items = /data-testid="item-types"[\s\S]*?<\/table>/.exec(raw)![0];
    for (const type of ACCEPTED_TYPES) expect(items, type).toContain(`>${type}</code>`);
  });

  it("document every REST route under app/api/0", async () => {
    const { raw, body } = await html("/docs/api");
    const dir = path.join(ROOT, "app/api/0");
    const routes = (readdirSync(dir, { recursive: true }) as string[])
      .filter((f) => path.basename(f) === "route.ts")
      .map((f) => `/api/0/${path.dirname(f)}/`.replace("/./", "/").replaceAll(/\[(\w+)\]/g, "{$1}"));
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) expect(raw, route).toContain(`>${route}</code>`);
    expect(body).toContain(`curl -H "Authorization: Bearer $ERRORHUB_TOKEN" ${url}/api/0/organizations/`);
  });

  it("give the import command on the migration page", async () => {
    const { raw } = await html("/docs/migrating");
    expect(testId(raw, "import-command")).toBe(
      "npm run admin -- import-sentry --url https://sentry.example.com --token T --org SLUG --into OURORG",
    );
  });
});
