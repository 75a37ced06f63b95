// First: it points SMTP_URL (inherited by the platform's processes) at a catcher in this process.
import { closeSmtp, mails } from "../support/smtp-catcher";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../support/browser";
import { ROOT, type Running, NODE, WITH_TSX, freePort, run, start, waitForHttp } from "../support/processes";

// The README's first command on a fresh data folder, with DATABASE_URL unset: the platform
// must come up on the embedded PostgreSQL, print the demo login and DSN, serve a sign-in page
// a person can use, and stop on SIGTERM with exit code 0 within 10 s.
describe("npm start on the embedded PostgreSQL", () => {
  const dataDir = path.join(ROOT, "tests/.artifacts", `platform-${Date.now().toString(36)}`);
  let platform: Running;
  let browser: Browser;
  let web: string;
  let ingest: string;
  let login: { email: string; password: string; dsn: string };

  beforeAll(async () => {
    if (!existsSync(path.join(ROOT, ".next/BUILD_ID")) || !existsSync(path.join(ROOT, "dist/workers/worker.js"))) {
      const build = await run("npm", ["run", "build"]);
      expect(build.code, build.output).toBe(0);
    }
    mkdirSync(dataDir, { recursive: true });
    const [port, ingestPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    web = `http://localhost:${port}`;
    ingest = `http://localhost:${ingestPort}`;
    platform = start("npm", ["start"], {
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(pgPort),
      PORT: String(port),
      INGEST_PORT: String(ingestPort),
      APP_URL: web,
      INGEST_URL: ingest,
      DEMO_ACCOUNT: "on",
    });
    const signIn = await platform.waitFor(/sign in (\S+) \/ (\S+)\n\s+DSN\s+(\S+)/, 120_000);
    login = { email: signIn[1]!, password: signIn[2]!, dsn: signIn[3]! };
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.stop("SIGKILL");
    await closeSmtp();
    rmSync(dataDir, { recursive: true, force: true });
    // As root from a checkout the postgres user cannot enter, the cluster lived outside DATA_DIR
    // (its start line names where): that folder is this run's too.
    const relocated = /data in (\S+)\/postgres\b/.exec(platform?.output() ?? "")?.[1];
    if (relocated && !relocated.startsWith(dataDir)) rmSync(relocated, { recursive: true, force: true });
  });

  it("prints the demo login and a DSN on INGEST_URL", () => {
    expect(login.email).toBe("demo@errorhub.local");
    expect(login.dsn).toMatch(new RegExp(`^http://[0-9a-f]{32}@${new URL(ingest).host}/\\d+$`));
  });

  it("answers health on web and ingest", async () => {
    for (const base of [web, ingest]) {
      const res = await waitForHttp(`${base}/_health/`, 60_000);
      expect(res.status, base).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, postgres: "ok", redis: "ok" });
    }
  });

  it("lets the demo user sign in through the sign-in page and shows the DSN", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
    // `/` is the public landing page for a signed-out visitor; its header leads to sign-in.
    await page.goto(web);
    await expect.poll(() => page.url()).toBe(`${web}/`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sign in" }).click();
    await page.waitForURL(`${web}/sign-in`);

    await page.getByLabel("Email").fill(login.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("form [role=alert]").textContent()).toBe("Wrong email or password.");

    await page.getByLabel("Password").fill(login.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${web}/demo`);
    expect(await page.getByTestId("dsn").first().textContent()).toBe(login.dsn);
    const cookie = (await page.context().cookies()).find((c) => c.name === "errorhub_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax" });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${web}/sign-in`);
    expect(errors).toEqual([]);
  });

  it("takes a person through sign-up, verification, inviting a teammate, a role change and removal", async () => {
    const suffix = Date.now().toString(36);
    const alice = { email: `alice-${suffix}@example.com`, password: "alice-password-1", org: `Acme ${suffix}` };
    const bob = { email: `bob-${suffix}@example.com`, password: "bob-password-1", org: `Bob ${suffix}` };
    const orgSlug = `acme-${suffix}`;
    const signUp = async (page: Page, who: typeof alice) => {
      await page.goto(`${web}/sign-up`);
      await page.getByLabel("Email").fill(who.email);
      await page.getByLabel("Password").fill(who.password);
      await page.getByLabel("Organization").fill(who.org);
      await page.getByRole("button", { name: "Create account" }).click();
    };
    const a = await (await browser.newContext()).newPage();
    await signUp(a, alice);
    await a.waitForURL(`${web}/${orgSlug}/projects/new`);

    await expect.poll(() => mails.find((m) => m.to.includes(alice.email)), { timeout: 10_000 }).toBeDefined();
    const verifyPath = /\/verify-email\/[\w-]+/.exec(mails.find((m) => m.to.includes(alice.email))!.text)![0];
    expect(platform.output()).not.toContain(verifyPath); // one-time links are never logged
    await a.goto(`${web}${verifyPath}`);
    await a.getByRole("button", { name: "Confirm my address" }).click();
    await expect.poll(() => a.getByRole("status").first().textContent()).toBe("Thank you: your address is confirmed.");

    await a.goto(`${web}/${orgSlug}/settings/members`);
    await a.getByLabel("Email").fill(bob.email);
    await a.getByRole("button", { name: "Send invitation" }).click();
    const inviteUrl = (await a.getByTestId("secret").textContent())!;
    expect(inviteUrl).toMatch(new RegExp(`^${web}/invitations/[\\w-]+$`));

    const b = await (await browser.newContext()).newPage();
    await signUp(b, bob);
    await b.waitForURL(/\/bob-/);
    await b.goto(inviteUrl);
    await b.getByRole("button", { name: "Accept invitation" }).click();
    await b.waitForURL(`${web}/${orgSlug}`);

    await a.reload();
    const bobRow = a.getByTestId(`member-${bob.email}`);
    await bobRow.getByLabel(`Role of ${bob.email}`).selectOption("admin");
    await bobRow.getByRole("button", { name: "Change role" }).click();
    await expect.poll(() => bobRow.getByRole("status").textContent()).toBe("Role changed.");
    await bobRow.getByRole("button", { name: "Remove" }).click();
    await expect.poll(() => a.getByTestId(`member-${bob.email}`).count(), { timeout: 10_000 }).toBe(0);
    const gone = await b.goto(`${web}/${orgSlug}`);
    expect(gone?.status()).toBe(404);

    await a.goto(`${web}/${orgSlug}/settings/audit`);
    const audit = await a.locator("tbody").textContent();
    for (const action of ["member.invite", "member.join", "member.role_change", "member.remove"]) expect(audit).toContain(action);
  });

  it("lets another process (the admin CLI) join the running embedded PostgreSQL", async () => {
    // No EMBEDDED_POSTGRES_PORT given: the port is read from the running cluster's postmaster.pid.
    const list = await run(NODE, [...WITH_TSX, "workers/admin.ts", "list-orgs", "--json"], {
      DATABASE_URL: "",
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
    });
    expect(list.code, list.output).toBe(0);
    expect(JSON.parse(list.output.trim().split("\n").at(-1)!).map((o: { slug: string }) => o.slug)).toContain("demo");
  });

  it("stops everything on SIGTERM with exit code 0 within 10 s", async () => {
    const { code, ms } = await platform.stop("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    // Nothing answers any more (polled: on a loaded machine the last child may take a moment
    // longer to close its listener than the launcher takes to report its exit).
    const answers = async (url: string) => fetch(url).then(() => true, () => false);
    await expect.poll(() => answers(`${web}/_health/`), { timeout: 3000 }).toBe(false);
    await expect.poll(() => answers(`${ingest}/_health/`), { timeout: 3000 }).toBe(false);
    // No process of the platform (web, ingest, worker, embedded PostgreSQL) is left behind.
    const groupAlive = () => {
      try {
        process.kill(-platform.child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(groupAlive, { timeout: 3000 }).toBe(false);
  });
});
