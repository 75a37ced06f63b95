import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS, CONDITION_IDS, FILTER_IDS } from "@/lib/alerts/catalog";
import { SMTP_UNSET } from "@/lib/alerts/deliver/email";
import { listAlertDeliveries, sendTestNotification } from "@/lib/alerts/deliveries";
import { createAlertRule, getAlertRule, listAlertRules } from "@/lib/alerts/rules";
import { listAuditLog } from "@/lib/audit";
import type { Viewer } from "@/lib/auth/viewer";
import { unsafeBootstrap } from "@/lib/bootstrap";
import { db } from "@/lib/db";
import { createProject } from "@/lib/projects/manage";
import { SCOPES, type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { createOrgWithProject } from "../support/factories";

// Issue alert rules through the REST API (route handlers called as Next does), in two orgs:
// the full round trip with every kind of condition, filter and action, the 400s a bad body
// gets, 404 across tenants, token scopes and roles, and the default rule of a new project.

const NOT_FOUND = { detail: "The requested resource does not exist" };

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
let A: Tenant;
let B: Tenant;
let member: { id: number };
let billing: { id: number };
let otherProject: { id: number; slug: string };
const tokens = {} as Record<"a" | "aRead" | "member" | "billing" | "b", string>;

const token = async (userId: number, orgId: number, scopes: readonly Scope[]) =>
  (await unsafeCreateApiToken({ userId, orgId, name: "test", scopes: [...scopes] })).token;

async function addMember(orgId: number, role: "member" | "billing") {
  const user = await db().user.create({
    data: { email: `${role}-${randomBytes(4).toString("hex")}@example.com`, name: `A ${role}` },
  });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return user;
}

const rulesPath = (t: Tenant, project = t.project.slug) => `/api/0/projects/${t.org.slug}/${project}/rules/`;

// One of each kind, as Sentry's UI and Terraform send them (numeric strings, display names).
const fullRule = () => ({
  name: "Everything",
  actionMatch: "any",
  filterMatch: "all",
  frequency: 60,
  environment: "production",
  owner: `user:${member.id}`,
  secret: "s3cret-enough",
  conditions: [
    { id: CONDITION_IDS.firstSeen, name: "A new issue is created" },
    { id: CONDITION_IDS.regression },
    { id: CONDITION_IDS.reappeared },
    { id: CONDITION_IDS.everyEvent },
    { id: CONDITION_IDS.eventFrequency, interval: "1h", value: "100" },
    { id: CONDITION_IDS.uniqueUserFrequency, interval: "1d", value: 5 },
  ],
  filters: [
    { id: FILTER_IDS.tagged, key: "region", match: "eq", value: "eu" },
    { id: FILTER_IDS.tagged, key: "customer", match: "is", value: "" },
    { id: FILTER_IDS.level, match: "gte", level: "40" },
    { id: FILTER_IDS.age, comparison_type: "newer", value: 2, time: "day" },
    { id: FILTER_IDS.occurrences, value: "10" },
    { id: FILTER_IDS.latestRelease },
  ],
  actions: [
    { id: ACTION_IDS.email, targetType: "IssueOwners", fallthroughType: "AllMembers" },
    { id: ACTION_IDS.email, targetType: "Member", targetIdentifier: String(member.id) },
    { id: ACTION_IDS.webhook, url: "https://hooks.example.com/errorhub" },
    { id: ACTION_IDS.slack, webhookUrl: "https://hooks.slack.com/services/T0/B0/xyz" },
    { id: ACTION_IDS.discord, webhookUrl: "https://discord.com/api/webhooks/1/abc" },
  ],
});

const minimalRule = (overrides: Record<string, unknown> = {}) => ({
  name: "New issues to the hook",
  actionMatch: "all",
  frequency: 30,
  conditions: [{ id: CONDITION_IDS.firstSeen }],
  actions: [{ id: ACTION_IDS.webhook, url: "https://hooks.example.com/a" }],
  ...overrides,
});

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  otherProject = await db().project.create({
    data: { orgId: A.org.id, slug: `other-${A.org.slug}`, name: "Other" },
  });
  member = await addMember(A.org.id, "member");
  billing = await addMember(A.org.id, "billing");
  tokens.a = await token(A.user.id, A.org.id, SCOPES);
  tokens.aRead = await token(A.user.id, A.org.id, ["project:read", "event:read", "org:read"]);
  tokens.member = await token(member.id, A.org.id, ["project:write"]);
  tokens.billing = await token(billing.id, A.org.id, ["project:write", "org:read"]);
  tokens.b = await token(B.user.id, B.org.id, SCOPES);
});

describe("alert rules API", () => {
  it("creates, lists, reads, replaces and deletes a rule with every condition, filter and action", async () => {
    const created = await callApi("POST", rulesPath(A), { token: tokens.a, body: fullRule() });
    expect(created.status, created.body).toBe(201);
    const rule = created.json();
    expect(rule).toMatchObject({
      name: "Everything",
      actionMatch: "any",
      filterMatch: "all",
      frequency: 60,
      environment: "production",
      owner: `user:${member.id}`,
      createdBy: { id: member.id, email: expect.stringContaining("member-") },
      projects: [A.project.slug],
      status: "active",
    });
    expect(rule.id).toMatch(/^\d+$/);
    expect(new Date(rule.dateCreated).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(rule).not.toHaveProperty("secret");
    expect(JSON.stringify(rule)).not.toContain("s3cret-enough");
    // Numeric strings and Sentry's numeric levels are stored as numbers and names; names in words.
    expect(rule.conditions[0]).toEqual({ id: CONDITION_IDS.firstSeen, name: "A new issue is created" });
    expect(rule.conditions[4]).toEqual({
      id: CONDITION_IDS.eventFrequency,
      interval: "1h",
      value: 100,
      name: "The issue is seen more than 100 times in one hour",
    });
    expect(rule.filters.map(({ name, ...f }: { name: string }) => f)).toEqual([
      { id: FILTER_IDS.tagged, key: "region", match: "eq", value: "eu" },
      { id: FILTER_IDS.tagged, key: "customer", match: "is" },
      { id: FILTER_IDS.level, match: "gte", level: "error" },
      { id: FILTER_IDS.age, comparison_type: "newer", value: 2, time: "day" },
      { id: FILTER_IDS.occurrences, value: 10 },
      { id: FILTER_IDS.latestRelease },
    ]);
    expect(rule.filters[2].name).toBe("The event's level is greater than or equal to error");
    expect(rule.actions.map(({ name, ...a }: { name: string }) => a)).toEqual([
      { id: ACTION_IDS.email, targetType: "IssueOwners", fallthroughType: "AllMembers" },
      {
        id: ACTION_IDS.email,
        targetType: "Member",
        targetIdentifier: member.id,
        fallthroughType: "ActiveMembers",
      },
      { id: ACTION_IDS.webhook, url: "https://hooks.example.com/errorhub" },
      { id: ACTION_IDS.slack, webhookUrl: "https://hooks.slack.com/services/T0/B0/xyz" },
      { id: ACTION_IDS.discord, webhookUrl: "https://discord.com/api/webhooks/1/abc" },
    ]);
    // A Slack or Discord webhook's path is its secret: the name shows only the origin.
    expect(rule.actions[3].name).toBe("Send a notification via Slack https://hooks.slack.com");

    const viewer: Viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" };
    expect((await getAlertRule(viewer, A.project.id, Number(rule.id))).hasSecret).toBe(true);

    const list = await callApi("GET", rulesPath(A), { token: tokens.aRead });
    expect(list.status).toBe(200);
    expect(list.json().map((r: { id: string }) => r.id)).toContain(rule.id);
    const one = await callApi("GET", `${rulesPath(A)}${rule.id}/`, { token: tokens.aRead });
    expect(one.status).toBe(200);
    expect(one.json()).toEqual(rule);

    // PUT replaces every field; owner and secret left out stay as they were.
    const put = await callApi("PUT", `${rulesPath(A)}${rule.id}/`, {
      token: tokens.a,
      body: minimalRule({ name: "Renamed", frequency: "1440", environment: null }),
    });
    expect(put.status, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      id: rule.id,
      name: "Renamed",
      actionMatch: "all",
      filterMatch: "all",
      frequency: 1440,
      environment: null,
      filters: [],
      owner: `user:${member.id}`,
      conditions: [{ id: CONDITION_IDS.firstSeen }],
      actions: [{ id: ACTION_IDS.webhook, url: "https://hooks.example.com/a" }],
    });
    expect((await getAlertRule(viewer, A.project.id, Number(rule.id))).hasSecret).toBe(true);
    const cleared = await callApi("PUT", `${rulesPath(A)}${rule.id}/`, {
      token: tokens.a,
      body: minimalRule({ secret: null, owner: null }),
    });
    expect(cleared.json().owner).toBeNull();
    expect((await getAlertRule(viewer, A.project.id, Number(rule.id))).hasSecret).toBe(false);

    const deleted = await callApi("DELETE", `${rulesPath(A)}${rule.id}/`, { token: tokens.a });
    expect(deleted.status).toBe(202);
    expect(deleted.body).toBe("");
    expect((await callApi("GET", `${rulesPath(A)}${rule.id}/`, { token: tokens.a })).status).toBe(404);
    expect((await callApi("DELETE", `${rulesPath(A)}${rule.id}/`, { token: tokens.a })).status).toBe(404);

    const actions = (await listAuditLog(viewer)).filter((e) => e.targetId === rule.id).map((e) => e.action);
    expect(actions.sort()).toEqual([
      "alert_rule.created",
      "alert_rule.deleted",
      "alert_rule.updated",
      "alert_rule.updated",
    ]);
  });

  it("answers 400 naming the bad id or field, and stores nothing", async () => {
    const before = await db().alertRule.count({ where: { projectId: A.project.id } });
    const frequencyCondition = (interval: string) => ({
      id: CONDITION_IDS.eventFrequency,
      interval,
      value: 1,
    });
    const cases: [Record<string, unknown>, string][] = [
      [
        minimalRule({ conditions: [{ id: "sentry.rules.conditions.nope.Nope" }] }),
        "unknown condition id: sentry.rules.conditions.nope.Nope",
      ],
      [
        minimalRule({ filters: [{ id: "sentry.rules.filters.assigned_to.AssignedToFilter" }] }),
        "unknown filter id: sentry.rules.filters.assigned_to.AssignedToFilter",
      ],
      [
        minimalRule({
          actions: [{ id: "sentry.integrations.msteams.notify_action.MsTeamsNotifyServiceAction" }],
        }),
        "unknown action id: sentry.integrations.msteams",
      ],
      [
        minimalRule({ actions: [{ id: ACTION_IDS.webhook, url: "ftp://files.example.com/x" }] }),
        "url: must be an http or https URL",
      ],
      [
        minimalRule({ actions: [{ id: ACTION_IDS.webhook, url: "hooks.example.com/x" }] }),
        "url: is not an absolute URL",
      ],
      [
        minimalRule({ actions: [{ id: ACTION_IDS.slack, webhookUrl: "javascript:alert(1)" }] }),
        "webhookUrl: must be an http or https URL",
      ],
      [
        minimalRule({ actions: [{ id: ACTION_IDS.discord, webhookUrl: "https://user:pw@discord.com/x" }] }),
        "webhookUrl: must not carry",
      ],
      [minimalRule({ conditions: [frequencyCondition("2h")] }), "interval must be one of 1m, 5m"],
      [
        minimalRule({ conditions: [{ id: CONDITION_IDS.eventFrequency, interval: "1h", value: -1 }] }),
        "value: must be 0 or more",
      ],
      [minimalRule({ frequency: 4 }), "frequency must be at least 5"],
      [minimalRule({ frequency: 43201 }), "frequency must be at most 43200"],
      [minimalRule({ conditions: undefined }), "conditions is required"],
      [minimalRule({ conditions: [] }), "conditions needs at least 1"],
      [minimalRule({ actions: [] }), "actions needs at least 1"],
      [minimalRule({ name: "" }), "name is required"],
      [minimalRule({ actionMatch: "some" }), "actionMatch must be one of all, any, none"],
      [
        minimalRule({ filters: [{ id: FILTER_IDS.tagged, key: "region", match: "eq" }] }),
        "value is required for match eq",
      ],
      [
        minimalRule({ filters: [{ id: FILTER_IDS.level, match: "eq", level: "loud" }] }),
        "level: must be one of fatal",
      ],
      [
        minimalRule({ actions: [{ id: ACTION_IDS.email, targetType: "Member" }] }),
        "targetIdentifier must be the user id",
      ],
      [
        minimalRule({
          actions: [{ id: ACTION_IDS.email, targetType: "Member", targetIdentifier: B.user.id }],
        }),
        `targetIdentifier ${B.user.id} is not a member`,
      ],
      [minimalRule({ owner: `user:${B.user.id}` }), "is not a member of this organization"],
      [minimalRule({ secret: "short" }), "secret must be 8 to 256 characters"],
    ];
    for (const [body, message] of cases) {
      const reply = await callApi("POST", rulesPath(A), { token: tokens.a, body });
      expect(reply.status, `${message}: ${reply.body}`).toBe(400);
      expect(reply.json().detail).toContain(message);
    }
    expect((await callApi("POST", rulesPath(A), { token: tokens.a, rawBody: "{nope" })).status).toBe(400);
    expect((await callApi("POST", rulesPath(A), { token: tokens.a, body: [] })).status).toBe(400);
    expect(await db().alertRule.count({ where: { projectId: A.project.id } })).toBe(before);
  });

  it("answers 404 across tenants and projects, never touching the other rule", async () => {
    const bRule = (await callApi("POST", rulesPath(B), { token: tokens.b, body: minimalRule() })).json();
    const aRule = (await callApi("POST", rulesPath(A), { token: tokens.a, body: minimalRule() })).json();

    // Another org's project, by its slugs, with A's token.
    for (const method of ["GET", "POST"] as const) {
      const reply = await callApi(method, rulesPath(B), {
        token: tokens.a,
        body: method === "POST" ? minimalRule() : undefined,
      });
      expect(reply.status).toBe(404);
      expect(reply.json()).toEqual(NOT_FOUND);
    }
    // B's rule id under A's own project: the id exists, but not here.
    for (const method of ["GET", "PUT", "DELETE"] as const) {
      const reply = await callApi(method, `${rulesPath(A)}${bRule.id}/`, {
        token: tokens.a,
        body: method === "PUT" ? minimalRule() : undefined,
      });
      expect(reply.status).toBe(404);
      expect(reply.json()).toEqual(NOT_FOUND);
    }
    // A bad body does not turn that 404 into a 400: the rule is looked for first.
    const badBody = await callApi("PUT", `${rulesPath(A)}${bRule.id}/`, { token: tokens.a, body: { name: "" } });
    expect(badBody.status).toBe(404);
    expect((await callApi("POST", rulesPath(B), { token: tokens.a, body: {} })).status).toBe(404);
    // A's rule under A's other project.
    expect(
      (await callApi("GET", `${rulesPath(A, otherProject.slug)}${aRule.id}/`, { token: tokens.a })).status,
    ).toBe(404);
    expect(
      (await callApi("DELETE", `${rulesPath(A, otherProject.slug)}${aRule.id}/`, { token: tokens.a })).status,
    ).toBe(404);
    // Ids that are not ids.
    expect((await callApi("GET", `${rulesPath(A)}abc/`, { token: tokens.a })).status).toBe(404);
    expect((await callApi("GET", `${rulesPath(A)}99999999999/`, { token: tokens.a })).status).toBe(404);

    const viewerB: Viewer = { userId: B.user.id, orgId: B.org.id, role: "owner" };
    expect(await getAlertRule(viewerB, B.project.id, Number(bRule.id))).toMatchObject({
      name: "New issues to the hook",
    });
    // The lib refuses a foreign project id too, not only the route's slug lookup.
    await expect(listAlertRules(viewerB, A.project.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(createAlertRule(viewerB, A.project.id, minimalRule())).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("needs a token with project:write to change rules, and a role that may", async () => {
    expect((await callApi("GET", rulesPath(A))).status).toBe(401);
    expect((await callApi("POST", rulesPath(A), { body: minimalRule() })).status).toBe(401);
    const readOnly = await callApi("POST", rulesPath(A), { token: tokens.aRead, body: minimalRule() });
    expect(readOnly.status).toBe(403);
    expect(readOnly.json().detail).toContain("project:write");
    expect((await callApi("DELETE", `${rulesPath(A)}1/`, { token: tokens.aRead })).status).toBe(403);

    // Sentry's members may create alerts; the owner defaults to whoever creates the rule.
    const byMember = await callApi("POST", rulesPath(A), { token: tokens.member, body: minimalRule() });
    expect(byMember.status, byMember.body).toBe(201);
    expect(byMember.json().owner).toBe(`user:${member.id}`);
    // The owner leaving the org does not lock the rule: a PUT without owner keeps it.
    const leaver = await addMember(A.org.id, "member");
    const owned = (
      await callApi("POST", rulesPath(A), {
        token: tokens.a,
        body: minimalRule({ owner: `user:${leaver.id}` }),
      })
    ).json();
    await db().membership.deleteMany({ where: { orgId: A.org.id, userId: leaver.id } });
    const edited = await callApi("PUT", `${rulesPath(A)}${owned.id}/`, {
      token: tokens.member,
      body: minimalRule({ name: "Kept" }),
    });
    expect(edited.status, edited.body).toBe(200);
    expect(
      (
        await callApi("PUT", `${rulesPath(A)}${owned.id}/`, {
          token: tokens.member,
          body: minimalRule({ owner: `user:${leaver.id}` }),
        })
      ).status,
    ).toBe(400);

    const byBilling = await callApi("POST", rulesPath(A), { token: tokens.billing, body: minimalRule() });
    expect(byBilling.status).toBe(403);
    const billingViewer: Viewer = { userId: billing.id, orgId: A.org.id, role: "billing" };
    await expect(createAlertRule(billingViewer, A.project.id, minimalRule())).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(listAlertRules(billingViewer, A.project.id)).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("the default rule", () => {
  const DEFAULT = {
    name: "Send a notification for new issues",
    actionMatch: "all",
    filterMatch: "all",
    frequency: 5,
    environment: null,
    conditions: [{ id: CONDITION_IDS.firstSeen }],
    filters: [],
    actions: [{ id: ACTION_IDS.email, targetType: "IssueOwners", fallthroughType: "ActiveMembers" }],
    hasSecret: false,
    owner: null,
  };

  it("comes with a project made in the dashboard, unless opted out", async () => {
    const owner: Viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" };
    const withRule = await createProject(owner, { name: "With alerts" });
    expect(await listAlertRules(owner, withRule.id)).toEqual([expect.objectContaining(DEFAULT)]);
    const without = await createProject(owner, { name: "Quiet", defaultAlertRule: false });
    expect(await listAlertRules(owner, without.id)).toEqual([]);
    // Through the API it reads like any rule.
    const listed = await callApi("GET", rulesPath(A, withRule.slug), { token: tokens.a });
    expect(listed.json()).toEqual([
      expect.objectContaining({
        name: DEFAULT.name,
        frequency: 5,
        owner: null,
        createdBy: null,
        actions: [
          {
            ...DEFAULT.actions[0],
            name: "Send a notification to IssueOwners and if none can be found then send a notification to ActiveMembers",
          },
        ],
      }),
    ]);
  });

  it("comes with a project made by bootstrap, once however often bootstrap runs", async () => {
    const suffix = randomBytes(4).toString("hex");
    const input = {
      email: `boot-${suffix}@example.com`,
      password: "correct horse battery",
      org: `boot-${suffix}`,
      project: "web",
    };
    const first = await unsafeBootstrap(input);
    await unsafeBootstrap(input);
    const rules = await db().alertRule.findMany({
      where: { projectId: first.projectId },
      select: { name: true },
    });
    expect(rules).toEqual([{ name: DEFAULT.name }]);
  });

  it("without SMTP_URL, says in its test notification and delivery log that no email was sent", async () => {
    expect(process.env.SMTP_URL ?? "").toBe("");
    const owner: Viewer = { userId: A.user.id, orgId: A.org.id, role: "owner" };
    const project = await createProject(owner, { name: "No mail server" });
    const [rule] = await listAlertRules(owner, project.id);
    const results = await sendTestNotification(owner, project.id, rule!.id);
    expect(results).toEqual([expect.objectContaining({ ok: false, error: SMTP_UNSET })]);
    const [logged] = await listAlertDeliveries(owner, project.id, rule!.id);
    expect(logged).toMatchObject({ test: true, status: "failed", lastError: SMTP_UNSET });
  });

  it("is not made by the test factories", async () => {
    expect(await db().alertRule.count({ where: { projectId: B.project.id, name: DEFAULT.name } })).toBe(0);
  });
});
