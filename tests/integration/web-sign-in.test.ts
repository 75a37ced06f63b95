import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertUserWithPassword } from "@/lib/users";
import { NODE, ROOT, type Running, WITH_TSX, freePort, start } from "../support/processes";

// The sign-in form as a browser without JavaScript posts it (React's progressive enhancement),
// through the real web process, workers/web.ts: it runs the production build when there is one,
// else Next.js in development mode (tests never build).
describe("sign-in through the web process", () => {
  let web: Running;
  let site: string;

  beforeAll(async () => {
    const port = await freePort();
    site = `http://localhost:${port}`;
    const dev = !existsSync(path.join(ROOT, ".next/BUILD_ID"));
    web = start(NODE, [...WITH_TSX, "workers/web.ts", ...(dev ? ["--dev"] : [])], { PORT: String(port), APP_URL: site, TRUST_PROXY: "false" });
    await web.waitFor(/web listening/, 240_000);
  });

  afterAll(async () => {
    await web?.stop();
  });

  async function postSignIn(fields: Record<string, string>, headers: Record<string, string> = {}) {
    const page = await (await fetch(`${site}/sign-in`)).text();
    const form = page.slice(page.indexOf("<form"), page.indexOf("</form>"));
    const body = new FormData();
    for (const [, name, value] of form.matchAll(/<input type="hidden" name="([^"]+)"(?: value="([^"]*)")?\/>/g)) {
      body.append(name!, (value ?? "").replaceAll("&quot;", '"').replaceAll("&amp;", "&"));
    }
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    const res = await fetch(`${site}/sign-in`, { method: "POST", body, headers, redirect: "manual" });
    const alert = /(Wrong email or password\.|Too many sign-in attempts\. Try again in [^.&"]+\.)/.exec(await res.text())?.[1];
    return { status: res.status, location: res.headers.get("location"), alert };
  }

  it("stays on the site after signing in, whatever next says", async () => {
    const email = `web-next-${Date.now()}@example.com`;
    await upsertUserWithPassword({ email, password: "right-password-1" });
    for (const next of ["/\\evil.example", "/\\\\evil.example", "//evil.example", "https://evil.example/", "/.//evil.example"]) {
      const answer = await postSignIn({ email, password: "right-password-1", next });
      expect(answer, next).toMatchObject({ status: 303, location: "/" });
    }
    expect(await postSignIn({ email, password: "right-password-1", next: "/demo/issues?x=1" })).toMatchObject({ status: 303, location: "/demo/issues?x=1" });
  });

  it("counts a client's attempts against its socket's address, however it rotates X-Forwarded-For", async () => {
    const email = `web-throttle-${Date.now()}@example.com`;
    await upsertUserWithPassword({ email, password: "right-password-1" });
    const forged = (i: number) => ({ "x-forwarded-for": `10.0.${i}.1`, "x-errorhub-peer-address": `10.1.${i}.1` });
    const attempt = async (i: number) => (await postSignIn({ email, password: "a-guess", next: "/" }, forged(i))).alert;
    const first: (string | undefined)[] = [];
    for (let i = 0; i < 5; i++) first.push(await attempt(i));
    expect(first).toEqual(Array(5).fill("Wrong email or password."));
    // Three more at once, each claiming yet another address: the pair (this account, the
    // socket's address) now waits 1 s. On a slow machine the wait may be over when they arrive;
    // then one is checked and the next wait (2 s) refuses the others. Either way two or more
    // are refused, where counting the claimed addresses would have checked all three.
    const rest = await Promise.all([5, 6, 7].map(attempt));
    expect(rest.filter((alert) => alert?.startsWith("Too many sign-in attempts. Try again in")).length).toBeGreaterThanOrEqual(2);
  });
});
