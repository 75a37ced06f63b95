import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/lib/db";
import {
  event,
  FRONTEND_API,
  membershipPayload,
  orgPayload,
  PUBLISHABLE_KEY,
  SECRET_KEY,
  type SessionClaims,
  sessionToken,
  signingKeys,
  svixHeaders,
  userPayload,
  webhookSecret,
} from "../support/clerk";
import { send } from "../support/http";
import { freePort, ROOT, type Running, run, start, waitForHttp } from "../support/processes";

// Clerk as the identity provider, with no Clerk anywhere: the real built web app (proxy.ts with
// Clerk's middleware, pages, the webhook route) runs with an instance's keys whose signing key
// pair is made here. Session tokens signed with it are verified offline (CLERK_JWT_KEY), and
// whoever they name is mirrored into the database on the way to the dashboard.

const keys = signingKeys();
const signingSecret = webhookSecret();
const suffix = Date.now().toString(36);
let app: Running;
let web: string;

async function startWeb(publishableKey: string): Promise<{ app: Running; web: string }> {
  const port = await freePort();
  const web = `http://localhost:${port}`;
  const app = start("node", ["dist/workers/web.js"], {
    PORT: String(port),
    APP_URL: web,
    AUTH_SECRET: "clerk-test-secret-".padEnd(48, "x"),
    CLERK_SECRET_KEY: SECRET_KEY,
    NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: publishableKey,
    CLERK_JWT_KEY: keys.publicPem,
    CLERK_WEBHOOK_SIGNING_SECRET: signingSecret,
    CLERK_TELEMETRY_DISABLED: "1",
    NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1",
  });
  expect((await waitForHttp(`${web}/_health/`, 120_000)).status).toBe(200);
  return { app, web };
}

beforeAll(async () => {
  // Like the end-to-end test: CI builds before testing; a missing build is made once.
  if (!existsSync(path.join(ROOT, ".next/BUILD_ID")) || !existsSync(path.join(ROOT, "dist/workers/web.js"))) {
    const build = await run("npm", ["run", "build"]);
    expect(build.code, build.output).toBe(0);
  }
  ({ app, web } = await startWeb(PUBLISHABLE_KEY));
});

afterAll(async () => {
  await app?.stop("SIGKILL");
});

type Auth = { cookie?: string; bearer?: string; accept?: string };

/** A GET as a browser (cookies) or an API client (bearer) makes it; redirects are not followed. */
async function get(pathname: string, auth: Auth = {}) {
  const headers: Record<string, string> = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.bearer) headers.authorization = `Bearer ${auth.bearer}`;
  if (auth.accept) headers.accept = auth.accept;
  const res = await fetch(`${web}${pathname}`, { headers, redirect: "manual" });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

// Clerk's browser cookies: the session token, and the client's last sign-in time (which must
// not be newer than the token, or Clerk asks the Frontend API for a fresh one).
function cookies(token: string) {
  const iat = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).iat as number;
  return `__session=${token}; __client_uat=${iat}`;
}

function person(name: string, org: { id: string; slg: string }, rol: string) {
  const sub = `user_${name}${suffix}`;
  const email = `${name}-${suffix}@example.com`;
  const claims: SessionClaims = { sub, azp: web, email, o: { id: org.id, rol, slg: org.slg } };
  return { sub, email, claims, token: sessionToken(keys.privateKey, claims) };
}

const acme = { id: `org_acme${suffix}`, slg: `acme-${suffix}` };

describe("signed-in requests, verified offline", () => {
  it("lets a session cookie reach the org dashboard, mirroring the user, the org and an owner membership", async () => {
    const alice = person("alice", acme, "admin");
    const page = await get(`/${acme.slg}`, { cookie: cookies(alice.token), accept: "text/html" });
    expect(page.status).toBe(200);
    expect(page.body).toContain(alice.email); // the header names who is signed in
    expect(page.body).toContain(`href="/${acme.slg}/settings/members"`);
    expect(page.body).not.toContain(SECRET_KEY);

    const user = await db().user.findUniqueOrThrow({
      where: { clerkId: alice.sub },
      include: { memberships: { include: { org: true } } },
    });
    expect(user).toMatchObject({ email: alice.email, passwordHash: null });
    expect(user.memberships).toHaveLength(1);
    expect(user.memberships[0]).toMatchObject({ role: "owner", org: { clerkId: acme.id, slug: acme.slg } });

    // The home page sends a signed-in user to the org active in their session.
    const home = await get("/", { cookie: cookies(alice.token) });
    expect(home.status).toBe(307);
    expect(home.headers.get("location")).toBe(`/${acme.slg}`);
  });

  it("lets a bearer token in too, with the role Clerk gives (a member cannot read the audit log)", async () => {
    const bob = person("bob", acme, "member");
    const page = await get(`/${acme.slg}`, { bearer: bob.token });
    expect(page.status).toBe(200);
    expect(page.body).toContain(bob.email);
    const audit = await get(`/${acme.slg}/settings/audit`, { bearer: bob.token });
    expect(audit.status).toBe(200);
    expect(audit.body).toContain("Only owners and admins can see the audit log.");
    const membership = await db().membership.findFirstOrThrow({
      where: { user: { clerkId: bob.sub } },
      select: { role: true },
    });
    expect(membership.role).toBe("member");

    // The owner sees both joins in the audit log, recorded as Clerk's doing.
    const alice = person("alice", acme, "admin");
    const log = await get(`/${acme.slg}/settings/audit`, { cookie: cookies(alice.token) });
    expect(log.status).toBe(200);
    expect(log.body).not.toContain("Only owners and admins");
    expect(log.body).toContain("member.join");
    expect(log.body).toContain("&quot;source&quot;:&quot;clerk&quot;");
  });

  it("refuses expired tokens, tokens for another site and tokens signed with another key: no dashboard, nobody mirrored", async () => {
    const now = Math.floor(Date.now() / 1000);
    const other = signingKeys();
    const refused = [
      {
        name: "expired",
        token: sessionToken(keys.privateKey, {
          sub: `user_expired${suffix}`,
          azp: web,
          o: { ...acme, rol: "admin" },
          iat: now - 120,
          nbf: now - 120,
          exp: now - 60,
        }),
        reason: /^session-token-expired/,
      },
      {
        name: "azp",
        token: sessionToken(keys.privateKey, {
          sub: `user_azp${suffix}`,
          azp: "https://evil.example.com",
          o: { ...acme, rol: "admin" },
        }),
        reason: /^token-invalid-authorized-parties$/,
      },
      {
        name: "key",
        token: sessionToken(other.privateKey, {
          sub: `user_forged${suffix}`,
          azp: web,
          o: { ...acme, rol: "admin" },
        }),
        reason: /^token-invalid-signature$/,
      },
    ];
    for (const { name, token, reason } of refused) {
      for (const auth of [{ cookie: cookies(token) }, { bearer: token }]) {
        const page = await get(`/${acme.slg}`, auth);
        expect(page.status, `${name} ${Object.keys(auth)}`).toBe(307);
        expect(page.headers.get("location"), name).toBe("/sign-in");
        expect(page.headers.get("x-clerk-auth-status"), name).toBe("signed-out");
        expect(page.headers.get("x-clerk-auth-reason"), name).toMatch(reason);
      }
    }
    // A browser navigation with an expired cookie is sent to Clerk's Frontend API for a fresh
    // token (the handshake); the server itself makes no call.
    const expired = refused[0]!.token;
    const navigation = await get(`/${acme.slg}`, { cookie: cookies(expired), accept: "text/html" });
    expect(navigation.status).toBe(307);
    expect(navigation.headers.get("location")).toMatch(
      new RegExp(`^https://${FRONTEND_API}/v1/client/handshake\\?redirect_url=`),
    );
    expect(
      await db().user.count({
        where: { clerkId: { in: [`user_expired${suffix}`, `user_azp${suffix}`, `user_forged${suffix}`] } },
      }),
    ).toBe(0);
  });

  it("shows Clerk's sign-in instead of our password form, with a policy that lets it load, and no secret", async () => {
    const page = await get("/sign-in");
    expect(page.status).toBe(200);
    expect(page.body).toContain(`src="https://${FRONTEND_API}/npm/@clerk/clerk-js@`);
    expect(page.body).toContain(`data-clerk-publishable-key="${PUBLISHABLE_KEY}"`);
    expect(page.body).not.toContain('type="password"');
    expect(page.body).not.toContain(SECRET_KEY);
    const csp = page.headers.get("content-security-policy")!;
    // Scripts by the request's nonce only, and clerk-js's tag carries it.
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)' 'strict-dynamic' (\S+) /.exec(csp);
    expect(nonce?.[2]).toBe(`https://${FRONTEND_API}`);
    expect(csp.split("; ").find((d) => d.startsWith("script-src "))).not.toContain("'unsafe-inline'");
    expect(page.body.match(/<script[^>]*clerk-js[^>]*>/)?.[0]).toContain(`nonce="${nonce?.[1]}"`);
    expect(csp).toMatch(new RegExp(`connect-src 'self' https://${FRONTEND_API};`));
    expect(csp.match(/default-src/g)).toHaveLength(1); // replaced, not sent twice
    expect((await get("/sign-up")).body).not.toContain('type="password"');

    // Signed in already: straight on.
    const alice = person("alice", acme, "admin");
    const signedIn = await get("/sign-in", { cookie: cookies(alice.token) });
    expect(signedIn.status).toBe(307);
    expect(signedIn.headers.get("location")).toBe("/");
  });

  it("leaves the health check and the ingest protocol's paths alone", async () => {
    const health = await get("/_health/");
    expect(health.status).toBe(200);
    expect(health.headers.get("x-clerk-auth-status")).toBeNull();
    const envelope = await send(`${web}/api/1/envelope/`, {
      body: "{}\n",
      headers: { "content-type": "application/x-sentry-envelope" },
    });
    expect(envelope.status).not.toBe(307);
    expect(envelope.headers["x-clerk-auth-status"]).toBeUndefined();
    // ...whereas pages do go through Clerk.
    expect((await get("/sign-in")).headers.get("x-clerk-auth-status")).toBe("signed-out");
  });
});

describe("Clerk's webhook", () => {
  const post = (body: string, headers: Record<string, string>) =>
    send(`${web}/api/webhooks/clerk`, { body, headers });
  const deliver = (payload: object) => {
    const body = JSON.stringify(payload);
    return post(body, svixHeaders(signingSecret, body));
  };

  const carol = `user_carol${suffix}`;
  const globex = orgPayload(`org_globex${suffix}`, `globex-${suffix}`, "Globex Corporation");
  const created = [
    event(
      "user.created",
      userPayload(carol, `carol-${suffix}@example.com`, { first: "Carol", last: "Danvers" }),
    ),
    event("organization.created", globex),
    event(
      "organizationMembership.created",
      membershipPayload(globex, carol, `carol-${suffix}@example.com`, "org:admin"),
    ),
  ];

  async function snapshot() {
    return {
      users: await db().user.findMany({ where: { clerkId: carol } }),
      orgs: await db().organization.findMany({ where: { clerkId: globex.id } }),
      memberships: await db().membership.findMany({ where: { org: { clerkId: globex.id } } }),
      audit: await db().auditLog.findMany({ where: { org: { clerkId: globex.id } } }),
    };
  }

  it("creates the user, the org and the membership, and a replay changes nothing", async () => {
    for (const payload of created) {
      const res = await deliver(payload);
      expect(res.status, res.body).toBe(200);
      expect(res.json()).toEqual({ type: payload.type, applied: true });
    }
    const first = await snapshot();
    expect(first.users).toMatchObject([{ email: `carol-${suffix}@example.com`, name: "Carol Danvers" }]);
    expect(first.orgs).toMatchObject([{ slug: globex.slug, name: "Globex Corporation" }]);
    expect(first.memberships).toMatchObject([{ userId: first.users[0]!.id, role: "owner" }]);
    expect(first.audit.map((a) => a.action)).toEqual(["org.created", "member.join"]);

    for (const payload of created) expect((await deliver(payload)).status).toBe(200);
    expect(await snapshot()).toEqual(first);

    // Carol's first visit finds her mirrored already: nothing new is made.
    const token = sessionToken(keys.privateKey, {
      sub: carol,
      azp: web,
      email: `carol-${suffix}@example.com`,
      o: { id: globex.id, rol: "admin", slg: globex.slug },
    });
    const page = await get(`/${globex.slug}`, { cookie: cookies(token) });
    expect(page.status).toBe(200);
    expect(page.body).toContain("Globex Corporation");
    expect(await snapshot()).toEqual(first);
  });

  it("refuses a bad signature with 400 and changes nothing", async () => {
    const mallory = `user_mallory${suffix}`;
    const body = JSON.stringify(event("user.created", userPayload(mallory, `mallory-${suffix}@example.com`)));
    const cases = {
      "another secret": svixHeaders(webhookSecret(), body),
      "another body": svixHeaders(signingSecret, body.replace("mallory", "mallorx")),
      unsigned: { "content-type": "application/json" },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await post(body, headers);
      expect(res.status, name).toBe(400);
      expect(res.json(), name).toEqual({ detail: "invalid webhook signature" });
    }
    expect(await db().user.count({ where: { clerkId: mallory } })).toBe(0);
  });

  it("acknowledges event types it does not follow, and follows renames and removals", async () => {
    const ignored = await deliver(
      event("session.created", { object: "session", id: "sess_x", user_id: carol }),
    );
    expect(ignored.status).toBe(200);
    expect(ignored.json()).toEqual({ type: "session.created", applied: false });

    const renamed = { ...globex, slug: `initech-${suffix}`, name: "Initech" };
    expect((await deliver(event("organization.updated", renamed))).status).toBe(200);
    const token = sessionToken(keys.privateKey, {
      sub: carol,
      azp: web,
      o: { id: globex.id, rol: "admin", slg: renamed.slug },
    });
    expect((await get(`/${globex.slug}`, { bearer: token })).status).toBe(404);
    const page = await get(`/${renamed.slug}`, { bearer: token });
    expect(page.status).toBe(200);
    expect(page.body).toContain("Initech");

    // Removed in Clerk, the session token she still holds (issued before) gets her nowhere.
    const removal = {
      ...event(
        "organizationMembership.deleted",
        membershipPayload(renamed, carol, `carol-${suffix}@example.com`, "org:admin"),
      ),
      timestamp: Date.now(),
    };
    expect((await deliver(removal)).json()).toEqual({
      type: "organizationMembership.deleted",
      applied: true,
    });
    expect((await get(`/${renamed.slug}`, { bearer: token })).status).toBe(404);
    expect(await db().membership.count({ where: { org: { clerkId: globex.id } } })).toBe(0);
    const audit = await db().auditLog.findMany({
      where: { org: { clerkId: globex.id } },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual([
      "org.created",
      "member.join",
      "org.updated",
      "member.remove",
    ]);
  });
});

describe("a development instance (pk_test key)", () => {
  // Development instances keep the session on Clerk's side of a "dev browser": a cookie session
  // without its __clerk_db_jwt cookie is sent through Clerk's handshake (a browser would get a
  // fresh one); a bearer token needs none.
  let dev: { app: Running; web: string };
  beforeAll(async () => {
    dev = await startWeb(`pk_test_${Buffer.from(`${FRONTEND_API}$`).toString("base64")}`);
  });
  afterAll(async () => {
    await dev?.app.stop("SIGKILL");
  });

  it("verifies cookie sessions of a dev browser and bearer tokens offline too", async () => {
    const dana = person("dana", acme, "member");
    dana.token = sessionToken(keys.privateKey, { ...dana.claims, azp: dev.web }); // this app's origin
    const fetchPage = (headers: Record<string, string>) =>
      fetch(`${dev.web}/${acme.slg}`, { headers, redirect: "manual" });
    const noDevBrowser = await fetchPage({ cookie: cookies(dana.token) });
    expect(noDevBrowser.status).toBe(307);
    expect(noDevBrowser.headers.get("x-clerk-auth-reason")).toBe("dev-browser-missing");
    const signedIn: Record<string, string>[] = [
      { cookie: `${cookies(dana.token)}; __clerk_db_jwt=dvb_test` },
      { authorization: `Bearer ${dana.token}` },
    ];
    for (const headers of signedIn) {
      const page = await fetchPage(headers);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain(dana.email);
    }
    expect(
      await db().membership.findFirstOrThrow({
        where: { user: { clerkId: dana.sub } },
        select: { role: true },
      }),
    ).toEqual({ role: "member" });
  });
});
