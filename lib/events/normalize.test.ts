import { describe, expect, it } from "vitest";
import {
  cspMessage,
  formatParams,
  type NormalizeContext,
  normalizeEvent,
  parseLevel,
  parseTimestamp,
} from "./normalize";
import { FILTERED } from "./scrub";

const RECEIVED = new Date("2026-03-01T12:00:00.000Z");
const EVENT_ID = "0123456789abcdef0123456789abcdef";
const CLIENT_IP = "203.0.113.7";
const HOUR = 3600_000;
const DAY = 24 * HOUR;

function normalize(raw: unknown, ctx: Partial<NormalizeContext> = {}) {
  return normalizeEvent(raw, {
    eventId: EVENT_ID,
    receivedAt: RECEIVED,
    clientIp: CLIENT_IP,
    scrub: true,
    itemType: "event",
    ...ctx,
  });
}

const at = (offsetMs: number) => new Date(RECEIVED.getTime() + offsetMs);
const epochSeconds = (date: Date) => date.getTime() / 1000;
const frames = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ function: `f${i}`, filename: "app.py" }));
const tagsOf = (event: { tags: [string, string][] }) => Object.fromEntries(event.tags);

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
}

describe("timestamps", () => {
  it.each([
    ["RFC 3339 with microseconds", "2026-03-01T11:59:00.123456Z", "2026-03-01T11:59:00.123Z"],
    ["an offset", "2026-03-01T13:30:00+02:00", "2026-03-01T11:30:00.000Z"],
    ["a compact offset", "2026-03-01T13:30:00+0200", "2026-03-01T11:30:00.000Z"],
    ["no offset (read as UTC, like Relay)", "2026-03-01T11:00:00", "2026-03-01T11:00:00.000Z"],
    ["a space instead of T", "2026-03-01 11:00:00.5Z", "2026-03-01T11:00:00.500Z"],
    ["epoch seconds as a string", "1772366280.25", "2026-03-01T11:58:00.250Z"],
  ])("reads an ISO string with %s", (_, input, expected) => {
    const event = normalize({ timestamp: input });
    expect(event.timestamp.toISOString()).toBe(expected);
    expect(event.payload.timestamp).toBe(expected);
  });

  it("reads epoch seconds as a float", () => {
    const event = normalize({ timestamp: epochSeconds(at(-90_250)) });
    expect(event.timestamp).toEqual(at(-90_250));
  });

  it.each([[undefined], ["yesterday"], [null], [{}], [Number.MAX_VALUE], ["2026-13-45T99:99:99Z"]])(
    "uses the receive time for %j",
    (timestamp) => {
      const event = normalize({ timestamp });
      expect(event.timestamp).toEqual(RECEIVED);
      expect(event.payload.timestamp).toBe(RECEIVED.toISOString());
      expect(event.payload.received).toBe(RECEIVED.toISOString());
    },
  );

  it("corrects the SDK's clock drift from sent_at, for every timestamp of the event", () => {
    const sentAt = at(-2 * HOUR); // the SDK's clock is two hours behind
    const event = normalize(
      {
        timestamp: sentAt.getTime() / 1000 - 5,
        breadcrumbs: [
          { timestamp: epochSeconds(sentAt) - 60 },
          { timestamp: new Date(sentAt.getTime() - 30_000).toISOString() },
        ],
      },
      { sentAt: sentAt.toISOString() },
    );
    expect(event.timestamp).toEqual(at(-5000));
    expect(event.payload.breadcrumbs).toEqual({
      values: [{ timestamp: epochSeconds(at(-60_000)) }, { timestamp: at(-30_000).toISOString() }],
    });
    expect(event.payload.errors).toEqual([
      {
        type: "clock_drift",
        name: "timestamp",
        sdk_time: sentAt.toISOString(),
        server_time: RECEIVED.toISOString(),
      },
    ]);
  });

  it("corrects a clock that runs ahead", () => {
    const sentAt = at(DAY);
    const event = normalize({ timestamp: epochSeconds(sentAt) - 1 }, { sentAt: sentAt.toISOString() });
    expect(event.timestamp).toEqual(at(-1000));
  });

  it("leaves a drift under a minute alone (network latency)", () => {
    const event = normalize({ timestamp: epochSeconds(at(-40_000)) }, { sentAt: at(-30_000).toISOString() });
    expect(event.timestamp).toEqual(at(-40_000));
    expect(event.payload.errors).toBeUndefined();
  });

  it("moves a timestamp more than 60 s in the future to the receive time, keeping durations", () => {
    const end = at(HOUR);
    const event = normalize(
      {
        type: "transaction",
        timestamp: epochSeconds(end),
        start_timestamp: epochSeconds(end) - 2,
        spans: [{ start_timestamp: epochSeconds(end) - 1, timestamp: end.toISOString() }],
      },
      { itemType: "transaction" },
    );
    expect(event.timestamp).toEqual(RECEIVED);
    expect(event.startTimestamp).toEqual(at(-2000));
    expect(event.payload.start_timestamp).toBe(at(-2000).toISOString());
    expect(event.payload.spans).toEqual([
      { start_timestamp: epochSeconds(at(-1000)), timestamp: RECEIVED.toISOString() },
    ]);
    expect(event.payload.errors).toEqual([
      {
        type: "future_timestamp",
        name: "timestamp",
        sdk_time: end.toISOString(),
        server_time: RECEIVED.toISOString(),
      },
    ]);
  });

  it("keeps a timestamp up to 60 s ahead", () => {
    expect(normalize({ timestamp: epochSeconds(at(59_000)) }).timestamp).toEqual(at(59_000));
  });

  it("moves a timestamp more than 30 days old to the receive time", () => {
    const event = normalize({ timestamp: at(-31 * DAY).toISOString() });
    expect(event.timestamp).toEqual(RECEIVED);
    expect(event.payload.errors).toEqual([expect.objectContaining({ type: "past_timestamp" })]);
    expect(normalize({ timestamp: at(-29 * DAY).toISOString() }).timestamp).toEqual(at(-29 * DAY));
  });

  it("parses only real timestamps", () => {
    expect(parseTimestamp("2026-03-01")).toBe(Date.parse("2026-03-01T00:00:00Z"));
    expect(parseTimestamp("March 1st")).toBeUndefined();
    expect(parseTimestamp(Number.NaN)).toBeUndefined();
    expect(parseTimestamp(true)).toBeUndefined();
  });
});

describe("level", () => {
  it.each([
    ["fatal", "fatal"],
    ["critical", "fatal"],
    ["error", "error"],
    ["ERROR", "error"],
    ["warning", "warning"],
    ["warn", "warning"],
    ["info", "info"],
    ["log", "info"],
    ["debug", "debug"],
    [50, "fatal"],
    [40, "error"],
    [30, "warning"],
    [20, "info"],
    [10, "debug"],
  ])("maps %j to %s", (input, level) => {
    expect(parseLevel(input)).toBe(level);
    expect(normalize({ level: input, message: "m" }).level).toBe(level);
  });

  it.each([["bogus"], [35], [null], [["error"]], ["constructor"]])(
    "defaults %j by what the event is",
    (level) => {
      expect(normalize({ level, exception: [{ type: "E" }] }).level).toBe("error");
      expect(normalize({ level, message: "just a message" }).level).toBe("info");
      expect(normalize({ level }, { itemType: "transaction" }).level).toBe("info");
    },
  );

  it("writes the level back and tags it", () => {
    const event = normalize({ level: "warn", message: "m" });
    expect(event.payload.level).toBe("warning");
    expect(tagsOf(event).level).toBe("warning");
  });
});

describe("platform", () => {
  it.each([["python"], ["javascript"], ["node"], ["cocoa"], ["as3"], ["other"]])(
    "keeps Sentry's platform %s",
    (platform) => {
      expect(normalize({ platform }).platform).toBe(platform);
    },
  );

  it.each([["swift"], ["Python"], [42], [undefined]])("turns %j into other", (platform) => {
    const event = normalize({ platform });
    expect(event.platform).toBe("other");
    expect(event.payload.platform).toBe("other");
  });
});

describe("exceptions", () => {
  // normalizeEvent consumes what it is given: each call gets a fresh exception.
  const error = () => ({ type: "ValueError", value: "bad input", module: "app.forms" });

  it("reads exception.values", () => {
    const event = normalize({ exception: { values: [error()] } });
    expect(event.type).toBe("error");
    expect(event.exceptions).toEqual([{ type: "ValueError", value: "bad input", module: "app.forms" }]);
    expect(event.payload.exception).toEqual({ values: [error()] });
  });

  it("reads a bare list and a single legacy exception object", () => {
    expect(normalize({ exception: [error()] }).exceptions).toEqual([error()]);
    expect(normalize({ exception: error() }).exceptions).toEqual([error()]);
    expect(normalize({ "sentry.interfaces.Exception": { values: [error()] } }).exceptions).toEqual([error()]);
  });

  it("keeps chained exceptions in the SDK's order (innermost last)", () => {
    const event = normalize({
      exception: {
        values: [
          { type: "KeyError", value: "'id'" },
          { type: "LookupFailed", value: "no user" },
        ],
      },
    });
    expect(event.exceptions.map((e) => e.type)).toEqual(["KeyError", "LookupFailed"]);
    expect((event.payload.exception as { values: { type: string }[] }).values.map((e) => e.type)).toEqual([
      "KeyError",
      "LookupFailed",
    ]);
  });

  it("takes the type from a value like 'Type: message' when the type is missing, as Relay", () => {
    expect(normalize({ exception: [{ value: "ValueError: bad input" }] }).exceptions).toEqual([
      { type: "ValueError", value: "bad input" },
    ]);
    expect(normalize({ exception: [{ value: "Uncaught TypeError: x" }] }).exceptions).toEqual([
      { value: "Uncaught TypeError: x" },
    ]);
    expect(normalize({ exception: [{ value: "E: two\nlines" }] }).exceptions).toEqual([
      { value: "E: two\nlines" },
    ]);
  });

  it("drops an exception with neither type nor value, and values that are not exceptions", () => {
    const event = normalize({
      exception: [{ stacktrace: { frames: frames(1) } }, null, "boom", 3],
      message: "m",
    });
    expect(event.exceptions).toEqual([]);
    expect(event.type).toBe("default");
    expect(event.payload.exception).toBeUndefined();
  });

  it("stringifies and truncates values", () => {
    expect(normalize({ exception: [{ type: "E", value: 42 }] }).exceptions[0]!.value).toBe("42");
    expect(normalize({ exception: [{ type: "E", value: { a: 1 } }] }).exceptions[0]!.value).toBe('{"a":1}');
    const long = normalize({ exception: [{ type: "E", value: "x".repeat(9000) }] }).exceptions[0]!.value!;
    expect(long).toHaveLength(8192);
    expect(long.endsWith("...")).toBe(true);
  });

  it("keeps a mechanism with a type and drops one without", () => {
    const event = normalize({
      exception: [
        { type: "E", mechanism: { type: "onerror", handled: false, synthetic: true, data: { x: 1 } } },
        { type: "F", mechanism: { handled: true } },
      ],
    });
    expect(event.exceptions[0]!.mechanism).toEqual({ type: "onerror", handled: false, synthetic: true });
    expect(event.exceptions[1]!.mechanism).toBeUndefined();
    const stored = event.payload.exception as { values: Record<string, unknown>[] };
    expect(stored.values[0]!.mechanism).toEqual({
      type: "onerror",
      handled: false,
      synthetic: true,
      data: { x: 1 },
    });
    expect(stored.values[1]!.mechanism).toBeUndefined();
  });

  it("moves the top-level stack trace into a lone exception, as Relay", () => {
    const event = normalize({ exception: [{ type: "E" }], stacktrace: { frames: frames(2) } });
    expect(event.exceptions[0]!.stacktrace!.frames.map((f) => f.function)).toEqual(["f0", "f1"]);
    expect(event.stacktrace).toBeUndefined();
    expect(event.payload.stacktrace).toBeUndefined();
  });

  it("keeps a top-level stack trace when there is no exception", () => {
    const event = normalize({ message: "m", stacktrace: { frames: frames(2) } });
    expect(event.type).toBe("default");
    expect(event.stacktrace!.frames).toHaveLength(2);
    expect(event.payload.stacktrace).toEqual({
      frames: frames(2).map((f) => ({ ...f, abs_path: "app.py" })),
    });
  });

  it("uses the crashed (else current) thread's stack trace when no exception has one", () => {
    const threads = () => ({
      values: [
        { id: 1, current: true, stacktrace: { frames: [{ function: "idle" }] } },
        { id: 2, crashed: true, stacktrace: { frames: [{ function: "crash" }] } },
      ],
    });
    const event = normalize({ exception: [{ type: "SIGSEGV" }], threads: threads() });
    expect(event.stacktrace!.frames).toEqual([{ function: "crash" }]);
    expect(event.payload.threads).toEqual(threads());

    const current = normalize({
      threads: [{ current: true, stacktrace: { frames: [{ function: "idle" }] } }],
    });
    expect(current.stacktrace!.frames).toEqual([{ function: "idle" }]);

    const withFrames = normalize({
      exception: [{ type: "E", stacktrace: { frames: frames(1) } }],
      threads: threads(),
    });
    expect(withFrames.stacktrace).toBeUndefined();
  });
});

describe("frames", () => {
  it("reads Sentry's snake_case frame fields into camelCase", () => {
    const raw = {
      filename: "app/models.py",
      abs_path: "/srv/app/models.py",
      module: "app.models",
      function: "save",
      lineno: 42,
      colno: 7,
      in_app: true,
      context_line: "    self.save()",
      pre_context: ["def save(self):"],
      post_context: ["    return"],
      platform: "python",
      package: "app",
      instruction_addr: "0x1000",
      vars: { self: "<Model>" },
    };
    const sent = structuredClone(raw);
    const event = normalize({ exception: [{ type: "E", stacktrace: { frames: [raw] } }] });
    expect(event.exceptions[0]!.stacktrace).toEqual({
      frames: [
        {
          filename: "app/models.py",
          absPath: "/srv/app/models.py",
          module: "app.models",
          function: "save",
          lineno: 42,
          colno: 7,
          inApp: true,
          contextLine: "    self.save()",
          preContext: ["def save(self):"],
          postContext: ["    return"],
          platform: "python",
          package: "app",
          instructionAddr: "0x1000",
        },
      ],
    });
    const stored = event.payload.exception as { values: { stacktrace: { frames: unknown[] } }[] };
    expect(stored.values[0]!.stacktrace.frames).toEqual([sent]);
  });

  it("fills filename and abs_path from each other like Relay", () => {
    const event = normalize({
      stacktrace: {
        frames: [
          { filename: "app.js" },
          { abs_path: "https://example.com/static/app.js?v=3" },
          { filename: "http://example.com/a.js" },
          { filename: "a.js", abs_path: "https://example.com/b.js" },
        ],
      },
    });
    expect(event.stacktrace!.frames).toEqual([
      { filename: "app.js", absPath: "app.js" },
      { filename: "/static/app.js", absPath: "https://example.com/static/app.js?v=3" },
      { filename: "/a.js", absPath: "http://example.com/a.js" },
      { filename: "a.js", absPath: "https://example.com/b.js" },
    ]);
  });

  it("drops invalid frame fields and frames that are not objects", () => {
    const event = normalize({
      stacktrace: {
        frames: [
          null,
          "frame",
          { function: "", lineno: "12", colno: -1, in_app: "yes", module: 3 },
          { lineno: 1.5 },
        ],
      },
    });
    expect(event.stacktrace!.frames).toEqual([{}, {}]);
    expect(normalize({ stacktrace: { frames: [] } }).stacktrace).toBeUndefined();
    expect(normalize({ stacktrace: { frames: "f" } }).stacktrace).toBeUndefined();
  });

  it("trims 300 frames to 250 from the middle, recording frames_omitted", () => {
    const event = normalize({ exception: [{ type: "RecursionError", stacktrace: { frames: frames(300) } }] });
    const stacktrace = event.exceptions[0]!.stacktrace!;
    expect(stacktrace.frames).toHaveLength(250);
    expect(stacktrace.framesOmitted).toEqual([125, 175]);
    expect(stacktrace.frames[0]!.function).toBe("f0");
    expect(stacktrace.frames[124]!.function).toBe("f124");
    expect(stacktrace.frames[125]!.function).toBe("f175");
    expect(stacktrace.frames[249]!.function).toBe("f299");
    const stored = (event.payload.exception as { values: { stacktrace: Record<string, unknown> }[] })
      .values[0]!.stacktrace;
    expect(stored.frames).toHaveLength(250);
    expect(stored.frames_omitted).toEqual([125, 175]);
  });

  it("keeps 250 frames as they are, and an SDK's own frames_omitted when it is well-formed", () => {
    const stacktrace = normalize({ stacktrace: { frames: frames(250) } }).stacktrace!;
    expect(stacktrace.frames).toHaveLength(250);
    expect(stacktrace.framesOmitted).toBeUndefined();
    expect(
      normalize({ stacktrace: { frames: frames(2), frames_omitted: [1, 40] } }).stacktrace!.framesOmitted,
    ).toEqual([1, 40]);
    expect(
      normalize({ stacktrace: { frames: frames(2), frames_omitted: ["a", 4] } }).payload.stacktrace,
    ).not.toHaveProperty("frames_omitted");
  });

  it("keeps the 5 context lines nearest the error, each at most 1000 chars", () => {
    const lines = ["l1", "l2", "l3", "l4", "l5", "l6", "l7", 8];
    const event = normalize({
      stacktrace: { frames: [{ context_line: "x".repeat(1500), pre_context: lines, post_context: lines }] },
    });
    const frame = event.stacktrace!.frames[0]!;
    expect(frame.preContext).toEqual(["l4", "l5", "l6", "l7", ""]);
    expect(frame.postContext).toEqual(["l1", "l2", "l3", "l4", "l5"]);
    expect(frame.contextLine).toHaveLength(1000);
    expect(frame.contextLine!.endsWith("...")).toBe(true);
  });
});

describe("message", () => {
  it("reads a plain string message", () => {
    const event = normalize({ message: "Something happened" });
    expect(event.message).toBe("Something happened");
    expect(event.payload.logentry).toEqual({ formatted: "Something happened" });
    expect(event.payload.message).toBeUndefined();
  });

  it("reads a message object and applies its params", () => {
    const event = normalize({ message: { message: "User %s failed %d times (%%)", params: ["bob", 3] } });
    expect(event.message).toBe("User bob failed 3 times (%)");
    expect(event.payload.logentry).toEqual({
      formatted: "User bob failed 3 times (%)",
      message: "User %s failed %d times (%%)",
      params: ["bob", 3],
    });
  });

  it("reads logentry, with named params", () => {
    const event = normalize({
      logentry: { message: "%(user)s logged in from %(ip)s", params: { user: "bob", ip: "10.0.0.1" } },
    });
    expect(event.message).toBe("bob logged in from 10.0.0.1");
  });

  it("prefers logentry's formatted text and logentry over message", () => {
    const event = normalize({
      logentry: { formatted: "already done", message: "%s done", params: ["x"] },
      message: "other",
    });
    expect(event.message).toBe("already done");
    expect(event.payload.logentry).toEqual({ formatted: "already done", message: "%s done", params: ["x"] });
  });

  it("formats like Python's % operator, leaving unmatched placeholders", () => {
    expect(formatParams("%s and %s", ["a"])).toBe("a and %s");
    expect(formatParams("%.2f%% of %5d, %r", [0.5, 7, "x"])).toBe("0.5% of 7, x");
    expect(formatParams("%(a)s %(missing)s %s", { a: 1 })).toBe("1 %(missing)s %s");
    expect(formatParams("100%! and %", ["x"])).toBe("100%! and %");
    expect(formatParams("%s", "not params")).toBeUndefined();
    expect(normalize({ logentry: { message: "%s", params: "x" } }).message).toBe("%s");
  });

  it("truncates messages to 8192 characters", () => {
    const event = normalize({ message: "m".repeat(10_000) });
    expect(event.message).toHaveLength(8192);
    expect(event.message!.endsWith("...")).toBe(true);
  });

  it("reads legacy and non-string messages", () => {
    expect(normalize({ "sentry.interfaces.Message": { message: "legacy" } }).message).toBe("legacy");
    expect(normalize({ message: 42 }).message).toBe("42");
    expect(normalize({ message: "" }).message).toBeUndefined();
    expect(normalize({ message: { params: [1] } }).payload.logentry).toBeUndefined();
  });
});

describe("tags", () => {
  it("reads a map, stringifying scalars and dropping null and objects", () => {
    const event = normalize({
      tags: { page: "home", count: 2, ratio: 1.5, admin: true, beta: false, none: null, obj: {}, list: [] },
    });
    expect(tagsOf(event)).toMatchObject({
      page: "home",
      count: "2",
      ratio: "1.5",
      admin: "True",
      beta: "False",
    });
    for (const dropped of ["none", "obj", "list"]) expect(tagsOf(event)).not.toHaveProperty(dropped);
  });

  it("reads a list of pairs, dropping malformed ones", () => {
    const event = normalize({
      tags: [["page", "home"], [3, 4], ["single"], ["nil", null], "page:x"],
    });
    expect(event.tags.filter(([key]) => key !== "level")).toEqual([
      ["page", "home"],
      ["3", "4"],
    ]);
  });

  it("enforces Relay's tag rules: key alphabet and length, value length, no line breaks", () => {
    const event = normalize({
      tags: {
        ["k".repeat(201)]: "dropped",
        ["k".repeat(200)]: "kept",
        long: "v".repeat(300),
        "with space": "dashed",
        "a/b": "dropped",
        multi: "line\nbreak",
        empty: "",
        padded: "  trimmed  ",
      },
    });
    const tags = tagsOf(event);
    expect(tags).not.toHaveProperty("k".repeat(201));
    expect(tags["k".repeat(200)]).toBe("kept");
    expect(tags.long).toHaveLength(200);
    expect(tags.long!.endsWith("...")).toBe(true);
    expect(tags["with-space"]).toBe("dashed");
    expect(tags.padded).toBe("trimmed");
    for (const dropped of ["a/b", "multi", "empty"]) expect(tags).not.toHaveProperty(dropped);
  });

  it("keeps the first of duplicate keys", () => {
    const event = normalize({
      tags: [
        ["a", "1"],
        ["a", "2"],
      ],
    });
    expect(event.tags.filter(([key]) => key === "a")).toEqual([["a", "1"]]);
  });

  it("keeps the SDK's first 50 tags, and the built-ins on top of them", () => {
    const many = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`t${i}`, "x"]));
    const event = normalize({ tags: many, release: "1.0", environment: "prod", user: { id: "7" } });
    const own = event.tags.filter(([key]) => key.startsWith("t"));
    expect(own.map(([key]) => key)).toEqual(Array.from({ length: 50 }, (_, i) => `t${i}`));
    expect(tagsOf(event)).toMatchObject({ level: "info", release: "1.0", environment: "prod", user: "id:7" });
  });

  it("adds Sentry's built-in tags, which win over the SDK's", () => {
    const event = normalize({
      level: "error",
      logger: "app.db",
      release: "web@1.2.3",
      dist: "42",
      environment: "production",
      server_name: "web-1",
      transaction: "/checkout",
      user: { id: "u-1" },
      tags: { level: "debug", release: "other", user: "spoofed", function: "f", custom: "kept" },
      exception: [{ type: "E", mechanism: { type: "generic", handled: true } }],
      contexts: {
        os: { name: "Windows", version: "11" },
        browser: { name: "Chrome", version: "120.0" },
        runtime: { name: "node" },
        device: { model: "iPhone15,2", family: "iPhone" },
        client_os: { type: "os", name: "iOS", version: "17" },
        app: { app_name: "x" },
      },
    });
    expect(tagsOf(event)).toEqual({
      level: "error",
      release: "web@1.2.3",
      custom: "kept",
      logger: "app.db",
      dist: "42",
      environment: "production",
      server_name: "web-1",
      transaction: "/checkout",
      user: "id:u-1",
      os: "Windows 11",
      "os.name": "Windows",
      browser: "Chrome 120.0",
      "browser.name": "Chrome",
      runtime: "node",
      "runtime.name": "node",
      device: "iPhone15,2",
      "device.family": "iPhone",
      client_os: "iOS 17",
      "client_os.name": "iOS",
      mechanism: "generic",
      handled: "yes",
    });
    expect(event.payload.tags).toBe(event.tags);
  });

  it("moves a legacy environment tag to the environment field", () => {
    const fromTag = normalize({ tags: { environment: "staging" } });
    expect(fromTag.environment).toBe("staging");
    expect(tagsOf(fromTag).environment).toBe("staging");
    const both = normalize({ environment: "production", tags: { environment: "staging" } });
    expect(tagsOf(both).environment).toBe("production");
  });

  it("tags dist only with a release, as Sentry", () => {
    expect(tagsOf(normalize({ dist: "42" }))).not.toHaveProperty("dist");
  });
});

describe("user and IP address", () => {
  it("resolves {{auto}} to the client IP", () => {
    const event = normalize({ platform: "python", user: { id: 7, ip_address: "{{auto}}" } });
    expect(event.user).toEqual({ id: "7", ipAddress: CLIENT_IP });
    expect(event.payload.user).toEqual({ id: "7", ip_address: CLIENT_IP });
  });

  it("removes {{auto}} when there is no client IP", () => {
    const event = normalize({ user: { ip_address: "{{auto}}" } }, { clientIp: undefined });
    expect(event.user).toBeUndefined();
    expect(event.payload.user).toBeUndefined();
  });

  it.each([["javascript"], ["cocoa"], ["objc"]])(
    "fills the client IP for %s, whose SDK runs on the user's device",
    (platform) => {
      const event = normalize({ platform });
      expect(event.user).toEqual({ ipAddress: CLIENT_IP });
      expect(event.userTag).toBe(`ip:${CLIENT_IP}`);
      expect(event.payload.user).toEqual({ ip_address: CLIENT_IP });
    },
  );

  it.each([["python"], ["node"], ["java"], ["other"]])(
    "does not fill the client IP for %s (a server)",
    (platform) => {
      const event = normalize({ platform, user: { id: "u" } });
      expect(event.user).toEqual({ id: "u" });
    },
  );

  it("takes request.env.REMOTE_ADDR, resolving {{auto}} there too", () => {
    expect(normalize({ platform: "python", request: { env: { REMOTE_ADDR: "198.51.100.2" } } }).user).toEqual(
      {
        ipAddress: "198.51.100.2",
      },
    );
    const auto = normalize({ platform: "php", request: { env: { REMOTE_ADDR: "{{auto}}" } } });
    expect(auto.user).toEqual({ ipAddress: CLIENT_IP });
    expect(auto.payload.request).toEqual({ env: { REMOTE_ADDR: CLIENT_IP } });
  });

  it("follows the SDK's infer_ip setting", () => {
    const never = { sdk: { settings: { infer_ip: "never" } } };
    expect(normalize({ platform: "javascript", ...never }).user).toBeUndefined();
    expect(
      normalize({ platform: "javascript", user: { ip_address: "{{auto}}" }, ...never }).user,
    ).toBeUndefined();
    expect(
      normalize({ platform: "javascript", sdk: { settings: { infer_ip: "bogus" } } }).user,
    ).toBeUndefined();
    expect(normalize({ platform: "python", sdk: { settings: { infer_ip: "auto" } } }).user).toEqual({
      ipAddress: CLIENT_IP,
    });
  });

  it("keeps a valid IP the SDK sent and drops an invalid one", () => {
    expect(normalize({ platform: "javascript", user: { ip_address: "2001:db8::1" } }).user).toEqual({
      ipAddress: "2001:db8::1",
    });
    expect(normalize({ platform: "python", user: { id: "u", ip_address: "not an ip" } }).user).toEqual({
      id: "u",
    });
  });

  it("picks the user tag from id, email, username, then IP", () => {
    const user = {
      id: 42,
      email: "a@example.com",
      username: "al",
      ip_address: "198.51.100.2",
      name: "Al",
      geo: { city: "X" },
    };
    const event = normalize({ user });
    expect(event.userTag).toBe("id:42");
    expect(event.user).toEqual({
      id: "42",
      email: "a@example.com",
      username: "al",
      ipAddress: "198.51.100.2",
      name: "Al",
      geo: { city: "X" },
    });
    expect(normalize({ user: { ...user, id: undefined } }).userTag).toBe("email:a@example.com");
    expect(normalize({ user: { username: "al", ip_address: "198.51.100.2" } }).userTag).toBe("username:al");
    expect(normalize({ user: { ip_address: "198.51.100.2" } }).userTag).toBe("ip:198.51.100.2");
    expect(normalize({ user: { id: {} } }).userTag).toBeUndefined();
  });
});

describe("security reports", () => {
  const classic = {
    "csp-report": {
      "document-uri": "https://shop.example.com/checkout",
      referrer: "https://shop.example.com/",
      "violated-directive": "script-src 'self' https://shop.example.com",
      "effective-directive": "script-src",
      "original-policy": "script-src 'self'; report-uri /csp",
      "blocked-uri": "https://evil.example.com/steal.js?id=1",
      "source-file": "https://shop.example.com/app.js",
      "line-number": "12",
      "status-code": 200,
    },
  };

  it("turns a classic csp-report into a csp event", () => {
    const event = normalize(classic, { itemType: "security" });
    expect(event).toMatchObject({
      type: "csp",
      level: "error",
      platform: "javascript",
      logger: "csp",
      message: "Blocked 'script' from 'evil.example.com'",
      culprit: "script-src 'self' 'self'",
      user: { ipAddress: CLIENT_IP },
      csp: {
        effectiveDirective: "script-src",
        blockedUri: "https://evil.example.com/steal.js?id=1",
        documentUri: "https://shop.example.com/checkout",
        violatedDirective: "script-src 'self' https://shop.example.com",
        sourceFile: "https://shop.example.com/app.js",
        originalPolicy: "script-src 'self'; report-uri /csp",
      },
    });
    expect(tagsOf(event)).toMatchObject({
      "effective-directive": "script-src",
      "blocked-uri": "https://evil.example.com/steal.js?id=1",
      "blocked-host": "evil.example.com",
    });
    expect(event.payload["csp-report"]).toBeUndefined();
    expect(event.payload.csp).toMatchObject({
      effective_directive: "script-src",
      line_number: 12,
      status_code: 200,
    });
    expect(event.payload.logentry).toEqual({ formatted: "Blocked 'script' from 'evil.example.com'" });
    expect(event.payload.request).toEqual({
      url: "https://shop.example.com/checkout",
      headers: [["Referer", "https://shop.example.com/"]],
    });
  });

  it("reads the Reporting API's camelCase body, wrapped or as sent", () => {
    const body = {
      documentURL: "https://shop.example.com/",
      blockedURL: "https://cdn.evil.example:8443/a.css",
      effectiveDirective: "style-src-elem",
      originalPolicy: "style-src 'self'",
      disposition: "enforce",
      statusCode: 200,
    };
    for (const report of [{ "csp-report": body }, { type: "csp-violation", body }]) {
      const event = normalize(report, { itemType: "security" });
      expect(event.type).toBe("csp");
      expect(event.message).toBe("Blocked 'style' from 'cdn.evil.example:8443'");
      expect(event.csp).toMatchObject({
        effectiveDirective: "style-src-elem",
        documentUri: "https://shop.example.com/",
      });
    }
  });

  it("takes the directive from violated-directive when Firefox sends no effective-directive", () => {
    const event = normalize(
      { "csp-report": { "violated-directive": "img-src 'self'", "blocked-uri": "data" } },
      { itemType: "security" },
    );
    expect(event.message).toBe("Blocked 'image' from 'data:'");
    expect(tagsOf(event)["effective-directive"]).toBe("img-src");
  });

  it.each([
    ["script-src", "inline", "Blocked unsafe inline 'script'"],
    ["script-src", "eval", "Blocked unsafe eval() 'script'"],
    ["script-src", "self", "Blocked unsafe (eval() or inline) 'script'"],
    ["style-src", "", "Blocked inline 'style'"],
    ["img-src", "'self'", "Blocked inline 'image'"],
    ["form-action", "https://phish.example/login", "Blocked 'form' action to 'phish.example'"],
    ["connect-src", "wss://socket.example.com/ws", "Blocked 'connect' from 'wss://socket.example.com'"],
    ["frame-src", "https://ads.example/", "Blocked 'frame-src' from 'ads.example'"],
    ["font-src", "blob", "Blocked 'font' from 'blob:'"],
  ])("titles %s blocking %j as Sentry does", (directive, blocked, message) => {
    expect(cspMessage(directive, blocked)).toBe(message);
  });

  it("gives other report kinds a default event with a readable message", () => {
    const expectCt = normalize(
      { "expect-ct-report": { hostname: "shop.example.com" } },
      { itemType: "security" },
    );
    expect(expectCt).toMatchObject({
      type: "default",
      level: "error",
      message: "Expect-CT failed for 'shop.example.com'",
    });
    const hpkp = normalize({ hostname: "shop.example.com", "known-pins": [] }, { itemType: "security" });
    expect(hpkp.message).toBe("Public key pinning validation failed for 'shop.example.com'");
    const deprecation = normalize(
      { "deprecation-report": { message: "Sync XHR is deprecated" } },
      { itemType: "security" },
    );
    expect(deprecation).toMatchObject({
      type: "default",
      level: "warning",
      message: "Browser deprecation report: Sync XHR is deprecated",
    });
    expect(deprecation.payload["deprecation-report"]).toEqual({ message: "Sync XHR is deprecated" });
    expect(normalize({ what: 1 }, { itemType: "security" }).message).toBe("Unrecognized security report");
  });
});

describe("other fields", () => {
  it("marks transactions and keeps their name within 200 chars", () => {
    const event = normalize(
      { transaction: "/t".repeat(150), start_timestamp: epochSeconds(at(-1000)) },
      { itemType: "transaction" },
    );
    expect(event.type).toBe("transaction");
    expect(event.transaction).toHaveLength(200);
    expect(event.startTimestamp).toEqual(at(-1000));
  });

  it("keeps a fingerprint of strings, stringifying numbers", () => {
    expect(normalize({ fingerprint: ["{{ default }}", 42, null, {}, "db"] }).fingerprint).toEqual([
      "{{ default }}",
      "42",
      "db",
    ]);
    expect(normalize({ fingerprint: "db" }).fingerprint).toBeUndefined();
    expect(normalize({ fingerprint: [] }).payload.fingerprint).toBeUndefined();
  });

  it("validates release, environment and dist like Relay, recording what it dropped", () => {
    const event = normalize({ release: " 1.0.0 ", environment: "prod", dist: " 7 " });
    expect(event).toMatchObject({ release: "1.0.0", environment: "prod", dist: "7" });
    expect(normalize({ release: 20260301 }).release).toBe("20260301");
    for (const release of ["a/b", "latest", "..", "x".repeat(201), "two\nlines"]) {
      const invalid = normalize({ release });
      expect(invalid.release).toBeUndefined();
      expect(invalid.payload.release).toBeUndefined();
      expect(invalid.payload.errors).toEqual([
        expect.objectContaining({ type: "invalid_data", name: "release" }),
      ]);
    }
    expect(normalize({ environment: "e".repeat(65) }).environment).toBeUndefined();
    expect(normalize({ environment: "a/b" }).environment).toBeUndefined();
    expect(normalize({ dist: "d".repeat(65) }).dist).toBeUndefined();
  });

  it("keeps the specific end of a long logger name, as Relay", () => {
    const logger = normalize({ logger: `${"very.long.package.name.".repeat(4)}Handler` }).logger!;
    expect(logger.startsWith("*")).toBe(true);
    expect(logger.length).toBeLessThanOrEqual(64);
    expect(logger.endsWith("name.Handler")).toBe(true);
  });

  it("normalizes the event id it was given", () => {
    expect(normalize({}, { eventId: "01234567-89ab-cdef-0123-456789ABCDEF" }).eventId).toBe(
      "0123456789abcdef0123456789abcdef",
    );
    const generated = normalize({}, { eventId: "nope" });
    expect(generated.eventId).toMatch(/^[0-9a-f]{32}$/);
    expect(generated.payload.event_id).toBe(generated.eventId);
  });

  it("reads sdk name and version", () => {
    expect(normalize({ sdk: { name: "sentry.python", version: "2.0.0", integrations: [] } }).sdk).toEqual({
      name: "sentry.python",
      version: "2.0.0",
    });
    expect(normalize({ sdk: "x" }).sdk).toBeUndefined();
  });
});

describe("payload", () => {
  it("keeps the SDK's data in Sentry's shapes with normalized fields written back", () => {
    const raw = {
      event_id: "ffffffffffffffffffffffffffffffff",
      platform: "python",
      level: 40,
      contexts: { runtime: { name: "CPython", version: "3.12" } },
      breadcrumbs: [{ category: "query", message: "SELECT 1" }],
      request: { url: "https://example.com/a", method: "GET" },
      extra: { order: 7 },
      modules: { django: "5.0" },
      exception: [{ type: "E", value: "v", stacktrace: { frames: frames(300) } }],
    };
    const sent = structuredClone(raw);
    const event = normalize(raw);
    const payload = event.payload;
    expect(payload).toMatchObject({
      event_id: EVENT_ID,
      level: "error",
      platform: "python",
      type: "error",
      timestamp: RECEIVED.toISOString(),
      contexts: sent.contexts,
      breadcrumbs: { values: sent.breadcrumbs },
      request: sent.request,
      extra: sent.extra,
      modules: sent.modules,
    });
    // The SDK's object is consumed: it is the payload, normalized in place.
    expect(payload).toBe(raw);
    expect(Array.isArray((payload.exception as { values: unknown }).values)).toBe(true);
    expect(JSON.parse(JSON.stringify(payload))).toEqual(payload);
  });

  it("scrubs the payload and the normalized fields when asked", () => {
    const raw = () => ({
      message: { message: "charged %s", params: ["4111 1111 1111 1111"] },
      exception: [{ type: "PaymentError", value: "card 4111-1111-1111-1111 declined" }],
      extra: { password: "hunter2" },
      tags: { session_id: "abc" },
      user: { email: "a@example.com", ip_address: "198.51.100.2" },
    });
    const scrubbed = normalize(raw());
    expect(scrubbed.message).toBe(`charged ${FILTERED}`);
    expect(scrubbed.exceptions[0]!.value).toBe(`card ${FILTERED} declined`);
    expect(scrubbed.payload.extra).toEqual({ password: FILTERED });
    expect(tagsOf(scrubbed).session_id).toBe(FILTERED);
    expect(scrubbed.user).toEqual({ email: "a@example.com", ipAddress: "198.51.100.2" });

    const kept = normalize(raw(), { scrub: false });
    expect(kept.payload.extra).toEqual({ password: "hunter2" });
    expect(kept.exceptions[0]!.value).toBe("card 4111-1111-1111-1111 declined");
  });
});

describe("junk input never throws", () => {
  it.each([
    [null],
    [undefined],
    [42],
    ["event"],
    [[]],
    [[1, 2]],
    [true],
    [new Date(0)],
    [Symbol("x")],
    [() => 1],
  ])("returns a best-effort event for %s", (raw) => {
    const event = normalize(raw);
    expect(event).toMatchObject({
      eventId: EVENT_ID,
      type: "default",
      level: "info",
      platform: "other",
      exceptions: [],
    });
    expect(event.tags).toEqual([["level", "info"]]);
    expect(JSON.parse(JSON.stringify(event.payload))).toMatchObject({ event_id: EVENT_ID });
  });

  const rich = {
    event_id: "x",
    timestamp: "2026-03-01T11:00:00Z",
    start_timestamp: 1,
    level: "error",
    platform: "javascript",
    logger: "l",
    release: "r",
    dist: "d",
    environment: "e",
    server_name: "s",
    transaction: "t",
    culprit: "c",
    message: "m",
    logentry: { formatted: "f", message: "%s", params: ["p"] },
    exception: {
      values: [
        {
          type: "E",
          value: "v",
          module: "m",
          mechanism: { type: "t", handled: true, synthetic: false },
          stacktrace: {
            frames: [
              {
                filename: "f",
                abs_path: "https://x/a.js",
                function: "fn",
                lineno: 1,
                colno: 2,
                in_app: true,
                context_line: "c",
                pre_context: ["a"],
                post_context: ["b"],
                vars: { a: 1 },
              },
            ],
            frames_omitted: [1, 2],
          },
        },
      ],
    },
    stacktrace: { frames: [{ function: "top" }] },
    threads: {
      values: [{ id: 1, crashed: true, current: true, stacktrace: { frames: [{ function: "t" }] } }],
    },
    tags: { a: "b" },
    user: { id: "u", email: "e@x", username: "n", ip_address: "{{auto}}" },
    request: { url: "https://x/?a=1", env: { REMOTE_ADDR: "{{auto}}" }, headers: [["Cookie", "c"]] },
    contexts: { os: { name: "o", version: "1" }, device: { model: "m" } },
    breadcrumbs: { values: [{ timestamp: 1, data: { a: 1 } }] },
    spans: [{ start_timestamp: 1, timestamp: 2 }],
    fingerprint: ["a"],
    sdk: { name: "s", version: "v", settings: { infer_ip: "auto" } },
    extra: { a: 1 },
    errors: [{ type: "x" }],
    "csp-report": { "blocked-uri": "x", "violated-directive": "script-src" },
  };
  const junk = [null, 0, -1, 1e300, "", "junk", true, [], [null, [1]], {}, { values: "x" }, nested(30)];

  function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (typeof value !== "object" || value === null) return [prefix];
    const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    return [
      prefix,
      ...keys.flatMap((key) => paths((value as Record<string | number, unknown>)[key], [...prefix, key])),
    ];
  }

  function replaced(path: (string | number)[], replacement: unknown): unknown {
    const copy = structuredClone(rich) as Record<string | number, unknown>;
    let target = copy;
    for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
    target[path.at(-1)!] = structuredClone(replacement);
    return copy;
  }

  it("survives junk at every field of a full event, for every item type", () => {
    let runs = 0;
    for (const path of paths(rich).filter((p) => p.length > 0)) {
      for (const value of junk) {
        for (const itemType of ["event", "security", "transaction"] as const) {
          const event = normalize(replaced(path, value), { itemType, sentAt: "2026-03-01T10:00:00Z" });
          expect(() => JSON.stringify(event.payload)).not.toThrow();
          runs++;
        }
      }
    }
    expect(runs).toBeGreaterThan(1000);
  });

  it("bounds 1000-level nesting in any field, with or without scrubbing", () => {
    for (const scrub of [true, false]) {
      const raw = Object.fromEntries(Object.keys(rich).map((key) => [key, nested(1000)]));
      const event = normalize(raw, { scrub });
      expect(JSON.stringify(event.payload)).not.toContain('"leaf"');
    }
  });
});
