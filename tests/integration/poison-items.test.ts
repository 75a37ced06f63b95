import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db, sqlRows } from "@/lib/db";
import { closeQueues, defaultJobOptions, queue } from "@/lib/queues";
import { eventIdInLane } from "../support/drain";
import { envelope, errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { freePort, NODE, type Running, start, WITH_TSX } from "../support/processes";

// Items that once failed inside the batch transaction: the batch rolled back and was retried
// forever, so the project's stream stopped and ingest soon answered 429 backlog_full. Each is
// sent through the real ingest process to the real worker process, followed by an ordinary
// event in the same lane, which must be stored within seconds.

let ingest: Running;
let worker: Running;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port) });
  worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
  await Promise.all([ingest.waitFor(/ingest listening/), worker.waitFor(/worker started/)]);
}, 90_000);

afterAll(async () => {
  await Promise.all([ingest?.stop("SIGTERM"), worker?.stop("SIGTERM")]);
  await closeQueues();
});

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

async function post(tenant: Tenant, body: Buffer) {
  return send(`${base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body });
}

/** An envelope of one item, in lane 0 (where sessions, check-ins and reports always go). */
function single(type: string, payload: unknown, headers: Record<string, unknown> = {}) {
  const body = typeof payload === "string" ? payload : JSON.stringify(payload);
  return envelope({ event_id: eventIdInLane(0), sent_at: new Date().toISOString() }, [{ type, payload: body, headers }]);
}

/** JSON text nested `depth` levels deep, built as text: JSON.stringify could not write it. */
const deeplyNested = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

const now = () => new Date().toISOString();
const release = "app@1.0.0";

const poison: Record<string, () => Buffer> = {
  "an event with NUL in a tag, message, user field and key": () => {
    const event = errorEvent({
      event_id: eventIdInLane(0),
      message: "boom\u0000here",
      tags: { "re\u0000gion": "eu\u0000west" },
      user: { id: "4\u00002", email: "jane\u0000@example.com", "x\u0000": "y" },
    });
    return eventEnvelope(event);
  },
  "an attachment whose filename holds NUL": () => {
    const eventId = eventIdInLane(0);
    return envelope({ event_id: eventId }, [
      { type: "event", payload: JSON.stringify(errorEvent({ event_id: eventId })) },
      { type: "attachment", payload: "file body", headers: { filename: "log\u0000.txt", content_type: "text/\u0000plain" } },
    ]);
  },
  "a session started at 1e15": () =>
    single("session", { sid: "a".repeat(32), init: true, started: 1e15, status: "ok", attrs: { release } }),
  "a session timestamped 1e300": () =>
    single("session", { sid: "b".repeat(32), init: true, started: 1e300, timestamp: 1e300, status: "exited", attrs: { release } }),
  "session aggregates with exited 1.5 and errored -3": () =>
    single("sessions", { aggregates: [{ started: now(), exited: 1.5, errored: -3 }], attrs: { release } }),
  "session aggregates past the int range": () =>
    single("sessions", { aggregates: [{ started: now(), exited: 3e9, crashed: 1e300 }], attrs: { release } }),
  "a client report with quantity 0.5": () =>
    single("client_report", { timestamp: now(), discarded_events: [{ reason: "queue_overflow", category: "error", quantity: 0.5 }] }),
  "a client report with quantity 1e30": () =>
    single("client_report", { timestamp: now(), discarded_events: [{ reason: "queue_overflow", category: "error", quantity: 1e30 }] }),
  "a check-in nested 20,000 levels deep": () =>
    single(
      "check_in",
      `{"check_in_id":"${"c".repeat(32)}","monitor_slug":"nightly","status":"ok","extra":${deeplyNested(20_000)}}`,
    ),
  "an event nested 20,000 levels deep": () => {
    const eventId = eventIdInLane(0);
    return envelope({ event_id: eventId }, [
      { type: "event", payload: `{"event_id":"${eventId}","message":"deep","extra":${deeplyNested(20_000)}}` },
    ]);
  },
  "an event timestamped 1e300": () => eventEnvelope(errorEvent({ event_id: eventIdInLane(0), timestamp: 1e300, start_timestamp: -1e300 })),
  "a transaction timestamped 1e300": () => {
    const eventId = eventIdInLane(0);
    return envelope({ event_id: eventId }, [
      {
        type: "transaction",
        payload: JSON.stringify({
          event_id: eventId,
          type: "transaction",
          transaction: "GET /",
          start_timestamp: -1e300,
          timestamp: 1e300,
          contexts: { trace: { trace_id: "d".repeat(32), span_id: "e".repeat(16), op: "http" } },
        }),
      },
    ]);
  },
  "a check-in with an infinite duration and NUL in its slug": () =>
    single("check_in", `{"check_in_id":"${"f".repeat(32)}","monitor_slug":"night\\u0000ly","status":"ok","duration":1e400}`),
  "an event with lone surrogates in a tag and the exception value": () =>
    eventEnvelope(
      errorEvent({
        event_id: eventIdInLane(0),
        tags: { broken: "\ud800" },
        exception: { values: [{ type: "Error", value: "half \udfff a pair" }] },
      }),
    ),
  "a check-in with a lone surrogate": () =>
    single("check_in", { check_in_id: "9".repeat(32), monitor_slug: "nightly", status: "ok", extra: "\ud800" }),
  "a user report with NUL in every field": () =>
    single("user_report", { event_id: newHex(), name: "J\u0000", email: "j\u0000@x.io", comments: "bro\u0000ken" }),
};

function newHex() {
  return eventIdInLane(0);
}

describe("a bad item never stalls its project", () => {
  for (const [name, body] of Object.entries(poison)) {
    it(`${name}: answered without a 5xx, and an ordinary event after it is stored within seconds`, async () => {
      const tenant = await createOrgWithProject();
      const res = await post(tenant, body());
      expect(res.status, res.body).toBeLessThan(500);
      const ordinary = errorEvent({ event_id: eventIdInLane(0), message: "after the poison" });
      const after = await post(tenant, eventEnvelope(ordinary));
      expect(after.status, after.body).toBe(200);
      await expect
        .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: ordinary.event_id } }), {
          timeout: 15_000,
          interval: 100,
        })
        .toBe(1);
    }, 30_000);
  }

  it("an event with NUL bytes is stored, with the NUL removed, and shows up as an issue", async () => {
    const tenant = await createOrgWithProject();
    const event = errorEvent({
      event_id: eventIdInLane(1),
      message: "boom\u0000here",
      tags: { "re\u0000gion": "eu\u0000west" },
      user: { id: "4\u00002", email: "jane\u0000@example.com" },
    });
    expect((await post(tenant, eventEnvelope(event))).status).toBe(200);
    await expect
      .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: event.event_id } }), { timeout: 15_000 })
      .toBe(1);
    const [stored] = await sqlRows<{ payload: Record<string, unknown>; tags: [string, string][]; issue_id: number | null }>`
      select payload, tags, issue_id from events where project_id = ${tenant.project.id} and event_id = ${event.event_id}`;
    expect(stored!.issue_id).not.toBeNull();
    expect(JSON.stringify(stored)).not.toContain("\\u0000");
    expect(stored!.tags).toContainEqual(["region", "euwest"]);
    expect((stored!.payload.user as { id: string }).id).toBe("42");
    expect(await db().issue.count({ where: { projectId: tenant.project.id } })).toBe(1);
  }, 30_000);

  it("impossible session numbers are clamped: counts to whole numbers in [0, 1e6], dates outside 1970-9999 to the receive time", async () => {
    const tenant = await createOrgWithProject();
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    const sessions = envelope({}, [
      { type: "session", payload: JSON.stringify({ sid: "c".repeat(32), init: true, started: 1e15, status: "ok", attrs: { release } }) },
      {
        type: "sessions",
        payload: JSON.stringify({ aggregates: [{ started: hour.toISOString(), exited: 1.5, errored: -3, crashed: 3e9 }], attrs: { release } }),
      },
    ]);
    expect((await post(tenant, sessions)).status).toBe(200);
    const totals = async () => {
      const rows = await db().sessionCount.findMany({ where: { projectId: tenant.project.id } });
      const sum = (field: "started" | "exited" | "errored" | "crashed") => rows.reduce((n, r) => n + r[field], 0);
      return { hours: rows.map((r) => r.hour.getTime()), started: sum("started"), exited: sum("exited"), errored: sum("errored"), crashed: sum("crashed") };
    };
    await expect.poll(async () => (await totals()).started, { timeout: 15_000 }).toBe(1 + 1 + 1_000_000);
    const stored = await totals();
    expect(stored).toMatchObject({ exited: 1, errored: 0, crashed: 1_000_000 });
    // The 1e15 session was counted at its receive time: this hour (or the next, had it just turned).
    for (const at of stored.hours) expect([hour.getTime(), hour.getTime() + 3_600_000]).toContain(at);
  }, 30_000);

  it("an event with a lone surrogate is stored, with U+FFFD in its place", async () => {
    const tenant = await createOrgWithProject();
    const event = errorEvent({ event_id: eventIdInLane(1), tags: { broken: "a\ud800b" } });
    expect((await post(tenant, eventEnvelope(event))).status).toBe(200);
    await expect
      .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: event.event_id } }), { timeout: 15_000 })
      .toBe(1);
    const [stored] = await sqlRows<{ tags: [string, string][] }>`
      select tags from events where project_id = ${tenant.project.id} and event_id = ${event.event_id}`;
    expect(stored!.tags).toContainEqual(["broken", "a\ufffdb"]);
  }, 30_000);
});

describe("a drain that fails every attempt", () => {
  it("is retried a bounded number of times, then hands its lane to a new job that drains it once the cause is gone", async () => {
    const tenant = await createOrgWithProject();
    // Postgres refusing the lane's checkpoint row fails the batch transaction outside any item.
    const constraint = `refuse_checkpoint_${tenant.project.id}`;
    await db().$executeRawUnsafe(
      `alter table stream_checkpoints add constraint ${constraint} check (project_id <> ${tenant.project.id}) not valid`,
    );
    const event = errorEvent({ event_id: eventIdInLane(0) });
    try {
      expect((await post(tenant, eventEnvelope(event))).status).toBe(200);
      const failedDrain = async () =>
        (await queue("events").getJobs(["failed"])).find((job) => job.data.projectId === tenant.project.id);
      await expect
        .poll(async () => (await failedDrain())?.attemptsMade, { timeout: 40_000, interval: 250 })
        .toBe(defaultJobOptions.attempts);
    } finally {
      await db().$executeRawUnsafe(`alter table stream_checkpoints drop constraint ${constraint}`);
    }
    // Within 30 s of giving up, where requeue-stuck-drains alone waits until the entry is a
    // minute old (another 45 s here).
    await expect
      .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: event.event_id } }), {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(1);
  }, 120_000);
});
