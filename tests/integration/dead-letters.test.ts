import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { db, sqlRows, sqlTransaction } from "@/lib/db";
import { recordDeadLetters, unsafeListDeadLetters, unsafeRetryDeadLetter } from "@/lib/events/dead-letters";
import { projectStreamKey } from "@/lib/ingest/stream-keys";
import { closeQueues } from "@/lib/queues";
import { redis } from "@/lib/redis";
import { eventIdInLane } from "../support/drain";
import { envelope, errorEvent, eventEnvelope } from "../support/envelopes";
import { createOrgWithProject } from "../support/factories";
import { send } from "../support/http";
import { freePort, NODE, type Running, run, start, WITH_TSX } from "../support/processes";

// An item that passes validation yet fails in Postgres is bisected out of its batch: the
// batch's other items are stored, it goes to the dead-letter store and is counted invalid.
// Every input known to fail is sanitized now (poison-items.test.ts), so these tests make
// Postgres refuse chosen items with check constraints, standing for what validation missed.

let ingest: Running;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port) });
  await ingest.waitFor(/ingest listening/);
}, 90_000);

afterAll(async () => {
  await ingest?.stop("SIGTERM");
  await closeQueues();
});

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;

async function post(tenant: Tenant, body: Buffer) {
  const res = await send(`${base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`, { body });
  expect(res.status, res.body).toBe(200);
}

/** Makes Postgres refuse rows of `table` whose `column` is `value` (test-made ids only); undone by the returned function. */
async function refuse(table: string, column: string, value: string) {
  const name = `refuse_${value.replace(/\W/g, "_")}`;
  await db().$executeRawUnsafe(`alter table ${table} add constraint ${name} check (${column} <> '${value}') not valid`);
  return async () => {
    await db().$executeRawUnsafe(`alter table ${table} drop constraint ${name}`);
  };
}

const admin = (args: string[]) => run(NODE, [...WITH_TSX, "workers/admin.ts", ...args], { LOG_LEVEL: "warn" });
const storedEvents = (projectId: number) => db().event.count({ where: { projectId } });
const invalidOutcomes = async (projectId: number) => {
  const [row] = await sqlRows<{ quantity: string | null }>`
    select sum(quantity)::text as quantity from outcome_counts
    where project_id = ${projectId} and outcome = 'invalid' and reason = 'processing_error'`;
  return Number(row?.quantity ?? 0);
};

describe("dead letters", () => {
  it("a batch with items that fail in Postgres stores the rest; the failed ones are kept, counted, listed per project", async () => {
    const [tenant, other] = [await createOrgWithProject(), await createOrgWithProject()];
    const good = Array.from({ length: 6 }, () => errorEvent({ event_id: eventIdInLane(0) }));
    const lone = errorEvent({ event_id: eventIdInLane(0) });
    const slug = `refused-${tenant.project.id}`;
    const allow = [await refuse("events", "event_id", lone.event_id), await refuse("check_ins", "monitor_slug", slug)];
    onTestFinished(async () => {
      for (const drop of allow) await drop();
    });
    // All of it queued before the worker starts, so it is drained as one batch.
    for (const event of good.slice(0, 3)) await post(tenant, eventEnvelope(event));
    await post(tenant, eventEnvelope(lone));
    await post(
      tenant,
      envelope({ event_id: eventIdInLane(0) }, [
        // with its monitor's config: a check-in for no monitor is dropped before any insert
        {
          type: "check_in",
          payload: JSON.stringify({
            check_in_id: "a".repeat(32),
            monitor_slug: slug,
            status: "ok",
            monitor_config: { schedule: { type: "crontab", value: "0 * * * *" } },
          }),
        },
      ]),
    );
    // Not JSON, though shaped like an object: ingest does not parse an event whose id the
    // envelope header carries.
    const unparsable = eventIdInLane(0);
    await post(tenant, envelope({ event_id: unparsable }, [{ type: "event", payload: '{"message": "cut off", }' }]));
    for (const event of good.slice(3)) await post(tenant, eventEnvelope(event));
    await post(other, eventEnvelope(errorEvent({ event_id: eventIdInLane(0) })));

    const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    try {
      await worker.waitFor(/worker started/);
      await expect.poll(() => storedEvents(tenant.project.id), { timeout: 20_000, interval: 100 }).toBe(good.length);
      await expect.poll(() => storedEvents(other.project.id), { timeout: 10_000 }).toBe(1);
      await expect.poll(() => redis().xlen(projectStreamKey(tenant.project.id, 0)), { timeout: 10_000 }).toBe(0);
    } finally {
      await worker.stop("SIGTERM");
    }
    expect(await db().event.count({ where: { projectId: tenant.project.id, eventId: lone.event_id } })).toBe(0);
    expect(await invalidOutcomes(tenant.project.id)).toBe(3);

    const all = await unsafeListDeadLetters({ projectId: tenant.project.id });
    expect(all.map((l) => l.itemType).sort()).toEqual(["check_in", "event", "event"]);
    expect(all.find((l) => l.eventId === unparsable)?.error).toMatch(/JSON/);
    const letters = all.filter((l) => l.eventId !== unparsable);
    expect(letters.find((l) => l.itemType === "event")).toMatchObject({ eventId: lone.event_id, lane: 0 });
    for (const letter of letters) expect(letter.error).toMatch(/violates check constraint "refuse_/);
    await admin(["dead-letters", "--discard", all.find((l) => l.eventId === unparsable)!.id]);
    expect(await unsafeListDeadLetters({ projectId: other.project.id })).toEqual([]);

    // The operator's CLI lists one project's, or everyone's.
    const listed = await admin(["dead-letters", "--project", String(tenant.project.id), "--json"]);
    expect(listed.code, listed.output).toBe(0);
    const fromCli = JSON.parse(listed.output.trim().split("\n").at(-1)!);
    expect(fromCli.map((l: { id: string }) => l.id).sort()).toEqual(letters.map((l) => l.id).sort());
    const otherListed = await admin(["dead-letters", "--project", String(other.project.id)]);
    expect(otherListed.output).toContain("no dead letters");

    const discarded = await admin(["dead-letters", "--discard", letters[0]!.id]);
    expect(discarded.code, discarded.output).toBe(0);
    expect((await unsafeListDeadLetters({ projectId: tenant.project.id })).map((l) => l.id)).toEqual([letters[1]!.id]);
    const missing = await admin(["dead-letters", "--discard", letters[0]!.id]);
    expect(missing.code).toBe(1);
    expect(missing.output).toContain("no such dead letter");
  }, 180_000);

  it("a retried dead letter goes back on its stream as the entry ingest wrote", async () => {
    const tenant = await createOrgWithProject();
    const event = errorEvent({ event_id: eventIdInLane(0), message: "retried" });
    await post(tenant, eventEnvelope(event));
    const key = projectStreamKey(tenant.project.id, 0);
    const [entryId] = (await redis().xrange(key, "-", "+"))[0]!;
    const lane = { projectId: tenant.project.id, lane: 0 };
    await sqlTransaction((tx) =>
      recordDeadLetters(tx, lane, [{ entryId: entryId!, itemType: "event", eventId: event.event_id, error: new Error("for the test") }]),
    );
    await redis().del(key);
    const [letter] = await unsafeListDeadLetters({ projectId: tenant.project.id });
    await unsafeRetryDeadLetter(BigInt(letter!.id));
    expect(await unsafeListDeadLetters({ projectId: tenant.project.id })).toEqual([]);

    const worker = start(NODE, [...WITH_TSX, "workers/worker.ts"]);
    try {
      await worker.waitFor(/worker started/);
      await expect
        .poll(() => db().event.count({ where: { projectId: tenant.project.id, eventId: event.event_id } }), { timeout: 20_000 })
        .toBe(1);
    } finally {
      await worker.stop("SIGTERM");
    }
  }, 90_000);

  it("a project keeps only its newest dead letters", async () => {
    const tenant = await createOrgWithProject();
    const key = projectStreamKey(tenant.project.id, 0);
    const payload = Buffer.alloc(700 * 1024, "x");
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await redis().xadd(key, "*", "m", "event\n\n\n0\n", "h", "{}", "p", payload))!);
    const lane = { projectId: tenant.project.id, lane: 0 };
    await sqlTransaction((tx) =>
      recordDeadLetters(tx, lane, ids.map((entryId) => ({ entryId, itemType: "event", eventId: "", error: "x" }))),
    );
    const kept = await sqlRows<{ stream_id: string; bytes: string }>`
      select stream_id, octet_length(payload)::text as bytes from dead_letters where project_id = ${tenant.project.id} order by id`;
    // 16 MiB of 700 KiB payloads: the newest 23
    expect(kept.map((k) => k.stream_id)).toEqual(ids.slice(-23));
    await redis().del(key);
  }, 60_000);
});
