import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONDITION_IDS, FILTER_IDS, type Condition, type Filter } from "@/lib/alerts/catalog";
import { createAlertRule } from "@/lib/alerts/rules";
import type { Viewer } from "@/lib/auth/viewer";
import { db } from "@/lib/db";
import { closeQueues, queue } from "@/lib/queues";
import { drainBatch } from "@/lib/events/process-batch";
import { drainAll, eventIdInLane } from "../support/drain";
import { envelope, errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { startIngest } from "../support/ingest";

// Events go through the real ingest's accept path into the project's Redis streams and are
// stored by the drain's batch transaction, where the rules are evaluated; no delivery worker
// runs here: the queued jobs and the alert_deliveries rows they work from are what is checked.

let ingest: Awaited<ReturnType<typeof startIngest>>;
beforeAll(async () => {
  ingest = await startIngest();
});
afterAll(async () => {
  await ingest.close();
  await closeQueues();
});

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Event = ReturnType<typeof errorEvent>;

/** Sends events one by one through ingest, then drains the project (one or two batches). */
async function sendEvents(tenant: Tenant, events: Event[]) {
  for (const event of events) {
    const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, {
      body: eventEnvelope(event),
    });
    expect(res.status, res.body).toBe(200);
  }
  await drainAll(tenant.project.id);
}

/** An event of the issue named `site` (its crash site); the same site groups into one issue. */
function event(site = "checkout", overrides: Record<string, unknown> = {}): Event {
  const base = errorEvent(overrides);
  base.exception.values[0]!.stacktrace.frames = [
    { filename: `/app/src/${site}.js`, function: site, lineno: 1, colno: 1, in_app: true, context_line: "x" },
  ];
  return base;
}

const webhook = (name: string) => ({ id: "errorhub.actions.webhook" as const, url: `https://hooks.example.com/${name}` });

async function createRule(
  tenant: Tenant,
  name: string,
  conditions: Condition[],
  options: { filters?: Filter[]; actionMatch?: string; filterMatch?: string; frequency?: number; environment?: string; actions?: object[] } = {},
) {
  return db().alertRule.create({
    data: {
      projectId: tenant.project.id,
      name,
      conditions,
      filters: options.filters ?? [],
      actionMatch: options.actionMatch ?? "all",
      filterMatch: options.filterMatch ?? "all",
      frequency: options.frequency ?? 5,
      environment: options.environment ?? null,
      actions: options.actions ?? [webhook(name)],
    },
  });
}

const deliveriesOf = (ruleId: number) => db().alertDelivery.findMany({ where: { ruleId }, orderBy: { id: "asc" } });
const firedCount = async (ruleId: number) => (await deliveriesOf(ruleId)).length;
const issuesOf = (tenant: Tenant) => db().issue.findMany({ where: { projectId: tenant.project.id }, orderBy: { id: "asc" } });

const firstSeen: Condition = { id: CONDITION_IDS.firstSeen };
const everyEvent: Condition = { id: CONDITION_IDS.everyEvent };

describe("state conditions", () => {
  it("first seen fires once per issue, with a delivery per action, an activity and a queued job", async () => {
    const tenant = await createOrgWithProject();
    const actions = [webhook("one"), { id: "errorhub.actions.slack", webhookUrl: "https://hooks.slack.com/services/T/B/secret" }];
    const rule = await createRule(tenant, "New issues", [firstSeen], { actions });
    const first = event("a");
    await sendEvents(tenant, [first, event("b")]);
    await sendEvents(tenant, [event("a"), event("b")]);

    const deliveries = await deliveriesOf(rule.id);
    const issues = await issuesOf(tenant);
    expect(issues).toHaveLength(2);
    expect(deliveries).toHaveLength(4);
    for (const issue of issues) {
      const ofIssue = deliveries.filter((d) => d.issueId === issue.id);
      expect(ofIssue.map((d) => d.action)).toEqual(actions);
      expect(ofIssue.every((d) => d.status === "pending" && !d.test && d.attempts === 0)).toBe(true);
    }
    expect(deliveries.find((d) => d.eventId === first.event_id)).toBeDefined();
    for (const d of deliveries) expect(await queue("alerts").getJob(`alert-${d.id}`)).toBeTruthy();

    const activities = await db().issueActivity.findMany({ where: { issueId: issues[0]!.id, type: "alert_fired" } });
    expect(activities.map((a) => a.data)).toEqual([
      { ruleId: rule.id, ruleName: "New issues", targets: ["webhook https://hooks.example.com", "Slack https://hooks.slack.com"] },
    ]);
  });

  it("regression fires after the issue is resolved, reappeared after an ignored issue wakes", async () => {
    const tenant = await createOrgWithProject();
    const regression = await createRule(tenant, "Regressions", [{ id: CONDITION_IDS.regression }]);
    const reappeared = await createRule(tenant, "Reappeared", [{ id: CONDITION_IDS.reappeared }]);
    await sendEvents(tenant, [event("r"), event("i")]);
    await sendEvents(tenant, [event("r"), event("i")]);
    expect([await firedCount(regression.id), await firedCount(reappeared.id)]).toEqual([0, 0]);

    const [resolved, ignored] = await issuesOf(tenant);
    await db().issue.update({ where: { id: resolved!.id }, data: { status: "resolved", resolvedAt: new Date() } });
    await db().issue.update({ where: { id: ignored!.id }, data: { status: "ignored", ignoreUntil: new Date(Date.now() - 1000) } });
    await sendEvents(tenant, [event("r"), event("i")]);
    expect((await deliveriesOf(regression.id)).map((d) => d.issueId)).toEqual([resolved!.id]);
    expect((await deliveriesOf(reappeared.id)).map((d) => d.issueId)).toEqual([ignored!.id]);
  });

  it("every event is throttled by the rule's frequency per issue", async () => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Every event", [everyEvent], { frequency: 5 });
    await sendEvents(tenant, [event()]);
    await sendEvents(tenant, [event()]);
    expect(await firedCount(rule.id)).toBe(1);
    // Five minutes later (the firing moved back instead of the clock forward), it fires again.
    await db().alertRuleFiring.updateMany({ where: { ruleId: rule.id }, data: { lastFiredAt: new Date(Date.now() - 5 * 60_000 - 1000) } });
    await sendEvents(tenant, [event()]);
    expect(await firedCount(rule.id)).toBe(2);
    await db().alertRuleFiring.updateMany({ where: { ruleId: rule.id }, data: { lastFiredAt: new Date(Date.now() - 4 * 60_000) } });
    await sendEvents(tenant, [event()]);
    expect(await firedCount(rule.id)).toBe(2);
  });
});

describe("frequency conditions", () => {
  it.each(["1m", "1h", "1d", "1w"] as const)("more than 3 events in %s fires once, when the 4th arrives", async (interval) => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Busy", [{ id: CONDITION_IDS.eventFrequency, interval, value: 3 }], { frequency: 60 });
    const fired: number[] = [];
    const sent: Event[] = [];
    for (let i = 0; i < 5; i++) {
      const e = event();
      sent.push(e);
      await sendEvents(tenant, [e]);
      fired.push(await firedCount(rule.id));
    }
    expect(fired).toEqual([0, 0, 0, 1, 1]);
    expect((await deliveriesOf(rule.id))[0]!.eventId).toBe(sent[3]!.event_id);
  });

  it("names the event that crossed the threshold when one batch crosses it", async () => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Busy", [{ id: CONDITION_IDS.eventFrequency, interval: "5m", value: 1 }]);
    // one batch: three events of one issue, in one lane
    const events = [0, 1, 2].map((i) => event("x", { timestamp: Date.now() / 1000 - 10 + i, event_id: eventIdInLane(0) }));
    await sendEvents(tenant, events);
    const deliveries = await deliveriesOf(rule.id);
    expect(deliveries.map((d) => d.eventId)).toEqual([events[1]!.event_id]);
  });

  it.each(["1h", "1d", "1w", "30d"] as const)("more than 1 distinct user in %s fires on the second user", async (interval) => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Users", [{ id: CONDITION_IDS.uniqueUserFrequency, interval, value: 1 }], { frequency: 60 });
    const fired: number[] = [];
    for (const user of ["u1", "u1", "u2", "u3"]) {
      await sendEvents(tenant, [event("u", { user: { id: user } })]);
      fired.push(await firedCount(rule.id));
    }
    expect(fired).toEqual([0, 0, 1, 1]);
  });

  it("counts users within the interval: one seen 23 hours ago counts for 1d, not for 1h", async () => {
    const tenant = await createOrgWithProject();
    const condition = (interval: "1h" | "1d") => ({ id: CONDITION_IDS.uniqueUserFrequency, interval, value: 1 }) as Condition;
    const hour = await createRule(tenant, "Users 1h", [condition("1h")]);
    const day = await createRule(tenant, "Users 1d", [condition("1d")]);
    await sendEvents(tenant, [event("u", { user: { id: "old" }, timestamp: Date.now() / 1000 - 23 * 3600 })]);
    await sendEvents(tenant, [event("u", { user: { id: "new" } })]);
    expect([await firedCount(hour.id), await firedCount(day.id)]).toEqual([0, 1]);
  });

  it("counts the minute before this one for 1m: a count does not start from nothing at each minute", async () => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Busy", [{ id: CONDITION_IDS.eventFrequency, interval: "1m", value: 2 }]);
    const previousMinute = (Math.floor(Date.now() / 60_000) - 1) * 60 + 30;
    await sendEvents(tenant, [event("m", { timestamp: previousMinute }), event("m", { timestamp: previousMinute + 1 })]);
    expect(await firedCount(rule.id)).toBe(0);
    await sendEvents(tenant, [event("m")]);
    expect(await firedCount(rule.id)).toBe(1);
  });

  it.each(["1m", "5m"] as const)("counts users of the minute before this one for %s", async (interval) => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Users", [{ id: CONDITION_IDS.uniqueUserFrequency, interval, value: 1 }]);
    const previousMinute = (Math.floor(Date.now() / 60_000) - 1) * 60 + 30;
    await sendEvents(tenant, [event("v", { user: { id: "earlier" }, timestamp: previousMinute })]);
    await sendEvents(tenant, [event("v", { user: { id: "now" } })]);
    expect(await firedCount(rule.id)).toBe(1);
  });

  it("counts only within the interval: events an hour old do not count for 1m", async () => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Busy", [{ id: CONDITION_IDS.eventFrequency, interval: "1m", value: 1 }]);
    const old = Date.now() / 1000 - 3600;
    await sendEvents(tenant, [event("o", { timestamp: old }), event("o", { timestamp: old + 1 }), event("o", { timestamp: old + 2 })]);
    expect(await firedCount(rule.id)).toBe(0);
  });
});

describe("filters, environment and matches", () => {
  it("each filter kind holds and blocks", async () => {
    const tenant = await createOrgWithProject();
    const filtered = (name: string, filters: Filter[], filterMatch = "all") =>
      createRule(tenant, name, [everyEvent], { filters, filterMatch });
    const tagged = (match: string, key: string, value?: string) =>
      ({ id: FILTER_IDS.tagged, key, match, value }) as Filter;
    const rules = [
      await filtered("tag eq holds", [tagged("eq", "region", "EU-west-1")]),
      await filtered("tag eq blocks", [tagged("eq", "region", "us-east-1")]),
      await filtered("tag ne holds", [tagged("ne", "region", "us-east-1")]),
      await filtered("tag ne blocks", [tagged("ne", "region", "eu-west-1")]),
      await filtered("tag sw holds", [tagged("sw", "region", "eu-")]),
      await filtered("tag ew blocks", [tagged("ew", "region", "-2")]),
      await filtered("tag co holds", [tagged("co", "user", "42")]),
      await filtered("tag nc blocks", [tagged("nc", "release", "backend")]),
      await filtered("tag is holds", [tagged("is", "feature")]),
      await filtered("tag ns blocks", [tagged("ns", "feature")]),
      await filtered("tag ns holds", [tagged("ns", "tenant")]),
      await filtered("level gte holds", [{ id: FILTER_IDS.level, match: "gte", level: "warning" }]),
      await filtered("level lte blocks", [{ id: FILTER_IDS.level, match: "lte", level: "warning" }]),
      await filtered("level eq holds", [{ id: FILTER_IDS.level, match: "eq", level: "error" }]),
      await filtered("age newer holds", [{ id: FILTER_IDS.age, comparison_type: "newer", value: 1, time: "hour" }]),
      await filtered("age older blocks", [{ id: FILTER_IDS.age, comparison_type: "older", value: 1, time: "hour" }]),
      await filtered("occurrences 1 holds", [{ id: FILTER_IDS.occurrences, value: 1 }]),
      await filtered("occurrences 2 blocks", [{ id: FILTER_IDS.occurrences, value: 2 }]),
      await filtered("latest release holds", [{ id: FILTER_IDS.latestRelease }]),
      await filtered("any holds", [tagged("eq", "region", "mars"), { id: FILTER_IDS.level, match: "eq", level: "error" }], "any"),
      await filtered("none blocks", [tagged("eq", "region", "mars"), { id: FILTER_IDS.level, match: "eq", level: "error" }], "none"),
      await filtered("none holds", [tagged("eq", "region", "mars")], "none"),
    ];
    await sendEvents(tenant, [event("f")]);
    const fired = await Promise.all(rules.map(async (r) => [r.name, await firedCount(r.id)]));
    expect(fired).toEqual(rules.map((r) => [r.name, r.name.endsWith("holds") ? 1 : 0]));
  });

  it("issue occurrences and latest release hold on later events", async () => {
    const tenant = await createOrgWithProject();
    const occurrences = await createRule(tenant, "Third", [everyEvent], { filters: [{ id: FILTER_IDS.occurrences, value: 3 }] });
    const latest = await createRule(tenant, "Latest", [everyEvent], { filters: [{ id: FILTER_IDS.latestRelease }] });
    // Each send is a new chance to fire: the throttle of the previous firing is cleared.
    const sendOne = async (release: string) => {
      await db().alertRuleFiring.deleteMany({ where: { ruleId: latest.id } });
      await sendEvents(tenant, [event("l", { release })]);
      return [await firedCount(occurrences.id), await firedCount(latest.id)];
    };
    expect(await sendOne("app@1")).toEqual([0, 1]);
    expect(await sendOne("app@2")).toEqual([0, 2]);
    // app@2 is the newest release now: an event of app@1 no longer passes
    expect(await sendOne("app@1")).toEqual([1, 2]);
    expect(await sendOne("app@2")).toEqual([1, 3]);
  });

  it("a rule's environment selects the events it fires on", async () => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "Staging", [everyEvent], { environment: "staging" });
    await sendEvents(tenant, [event("e", { environment: "production" })]);
    expect(await firedCount(rule.id)).toBe(0);
    const staging = event("e", { environment: "staging" });
    await sendEvents(tenant, [staging]);
    expect((await deliveriesOf(rule.id)).map((d) => d.eventId)).toEqual([staging.event_id]);
  });

  it("actionMatch all, any and none combine the conditions", async () => {
    const tenant = await createOrgWithProject();
    const pair = [firstSeen, { id: CONDITION_IDS.regression }] as Condition[];
    const all = await createRule(tenant, "all", pair, { actionMatch: "all" });
    const any = await createRule(tenant, "any", pair, { actionMatch: "any" });
    const none = await createRule(tenant, "none", pair, { actionMatch: "none", frequency: 5 });
    await sendEvents(tenant, [event("m")]);
    expect([await firedCount(all.id), await firedCount(any.id), await firedCount(none.id)]).toEqual([0, 1, 0]);
    await sendEvents(tenant, [event("m")]);
    expect([await firedCount(all.id), await firedCount(any.id), await firedCount(none.id)]).toEqual([0, 1, 1]);
  });
});

describe("rules saved through the rules API's lib", () => {
  it("a Sentry-shaped body (string counts, numeric level) is evaluated as written", async () => {
    const tenant = await createOrgWithProject();
    const viewer: Viewer = { userId: tenant.user.id, orgId: tenant.org.id, role: "owner" };
    const rule = await createAlertRule(viewer, tenant.project.id, {
      name: "Busy errors",
      actionMatch: "all",
      filterMatch: "all",
      frequency: 30,
      conditions: [{ id: CONDITION_IDS.eventFrequency, interval: "1h", value: "2" }],
      filters: [{ id: FILTER_IDS.level, match: "gte", level: "40" }],
      actions: [webhook("busy")],
    });
    const fired: number[] = [];
    for (const level of ["warning", "error", "error", "error"]) {
      await sendEvents(tenant, [event("api", { level })]);
      fired.push(await firedCount(rule.id));
    }
    // counts include the warning; the filter holds from the first error on
    expect(fired).toEqual([0, 0, 1, 1]);
  });
});

describe("tenancy and rule lifecycle", () => {
  it("a deleted rule is silent at once, an edited one acts at once", async () => {
    const tenant = await createOrgWithProject();
    const deleted = await createRule(tenant, "Deleted", [everyEvent]);
    const edited = await createRule(tenant, "Edited", [{ id: CONDITION_IDS.regression }]);
    await db().alertRule.delete({ where: { id: deleted.id } });
    await db().alertRule.update({ where: { id: edited.id }, data: { conditions: [everyEvent] } });
    await sendEvents(tenant, [event("d")]);
    expect(await db().alertDelivery.count({ where: { ruleId: deleted.id } })).toBe(0);
    expect(await firedCount(edited.id)).toBe(1);
  });

  it("the two lanes of a project drained at once fire a rule once per issue", async () => {
    const tenant = await createOrgWithProject();
    const newIssue = await createRule(tenant, "New", [firstSeen]);
    const every = await createRule(tenant, "Every", [everyEvent]);
    for (let i = 0; i < 20; i++) {
      const body = eventEnvelope(event("lanes", { event_id: eventIdInLane(i % 2) }));
      const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body });
      expect(res.status, res.body).toBe(200);
    }
    await Promise.all([0, 1].map((lane) => drainBatch({ projectId: tenant.project.id, lane }, 500)));
    await drainAll(tenant.project.id);
    expect(await db().event.count({ where: { projectId: tenant.project.id } })).toBe(20);
    expect([await firedCount(newIssue.id), await firedCount(every.id)]).toEqual([1, 1]);
  });

  it("another project's events never fire a project's rules", async () => {
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    const rule = await createRule(a, "A only", [everyEvent]);
    await sendEvents(b, [event("t"), event("t2")]);
    expect(await firedCount(rule.id)).toBe(0);
    const [issueOfB] = await issuesOf(b);
    expect(await db().alertDelivery.count({ where: { issueId: issueOfB!.id } })).toBe(0);
    await sendEvents(a, [event("t")]);
    const [issueOfA] = await issuesOf(a);
    expect((await deliveriesOf(rule.id)).map((d) => d.issueId)).toEqual([issueOfA!.id]);
  });

  it("a batch part rolled back to isolate a bad item leaves no firing of its own", async () => {
    const tenant = await createOrgWithProject();
    const rule = await createRule(tenant, "New issues", [firstSeen]);
    // Feedback Postgres refuses, stored after the events in the same batch (lane 0): the
    // batch's first attempt fires the rule, then fails and is rolled back, and its halves are
    // stored apart; only the half with the event may leave a firing.
    const message = `refused-${tenant.project.id}`;
    const name = `refuse_${message.replace(/\W/g, "_")}`;
    await db().$executeRawUnsafe(`alter table feedback add constraint ${name} check (message <> '${message}') not valid`);
    try {
      const first = event("poisoned-batch", { event_id: eventIdInLane(0) });
      const feedbackId = eventIdInLane(0);
      const feedback = JSON.stringify({ event_id: feedbackId, type: "feedback", contexts: { feedback: { message } } });
      for (const body of [
        eventEnvelope(first),
        envelope({ event_id: feedbackId }, [{ type: "feedback", payload: feedback }]),
      ]) {
        const res = await send(`${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body });
        expect(res.status, res.body).toBe(200);
      }
      await drainAll(tenant.project.id);
    } finally {
      await db().$executeRawUnsafe(`alter table feedback drop constraint ${name}`);
    }
    expect(await db().deadLetter.count({ where: { projectId: tenant.project.id } })).toBe(1);
    const deliveries = await deliveriesOf(rule.id);
    expect(deliveries).toHaveLength(1);
    const [issue] = await issuesOf(tenant);
    expect(await db().issueActivity.count({ where: { issueId: issue!.id, type: "alert_fired" } })).toBe(1);
    expect(await db().alertRuleFiring.count({ where: { ruleId: rule.id } })).toBe(1);
    expect(await queue("alerts").getJob(`alert-${deliveries[0]!.id}`)).toBeTruthy();
  });
});
