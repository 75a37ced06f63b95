import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOrgWithProject } from "../support/factories";
import { run } from "../support/processes";
import { startIngest, streamItems } from "../support/ingest";

// The real @sentry/node SDK, unchanged, in its own process, pointed at our ingest by its DSN.
describe("@sentry/node against ingest", () => {
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  beforeAll(async () => {
    ingest = await startIngest();
  });
  afterAll(() => ingest.close());

  it("delivers an exception, a message and a session", async () => {
    const { project, key } = await createOrgWithProject();
    const dsn = `${ingest.base.replace("//", `//${key.publicKey}@`)}/${project.id}`;
    const result = await run(process.execPath, ["tests/support/sentry-client.mjs"], { SENTRY_DSN: dsn });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain("flushed true");
    const exceptionId = result.output.match(/exception ([0-9a-f]{32})/)![1];
    const messageId = result.output.match(/message ([0-9a-f]{32})/)![1];

    const items = await streamItems(project.id);
    const events = items.filter((i) => i.type === "event").map((i) => ({ id: i.eventId, event: JSON.parse(i.payload.toString()) }));
    const exception = events.find((e) => e.id === exceptionId)!.event;
    expect(exception.exception.values[0].type).toBe("TypeError");
    expect(exception.exception.values[0].stacktrace.frames.at(-1).function).toBe("checkout");
    expect(exception).toMatchObject({ release: "sdk-test@1.0.0", environment: "test", platform: "node" });
    expect(events.find((e) => e.id === messageId)!.event).toMatchObject({ message: "Payment provider timed out after 30s", level: "warning" });
    const session = items.find((i) => i.type === "session");
    expect(JSON.parse(session!.payload.toString())).toMatchObject({ attrs: { release: "sdk-test@1.0.0", environment: "test" } });
  });
});
