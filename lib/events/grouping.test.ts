import { describe, expect, it } from "vitest";
import {
  GROUPING_VERSION,
  groupEvent,
  hashVariant,
  normalizeFunction,
  normalizePath,
  type Variant,
} from "./grouping";
import type { ExceptionValue, Frame, NormalizedEvent } from "./types";

function event(overrides: Partial<NormalizedEvent> = {}): NormalizedEvent {
  return {
    eventId: "0".repeat(32),
    timestamp: new Date("2024-01-01T00:00:00Z"),
    receivedAt: new Date("2024-01-01T00:00:00Z"),
    level: "error",
    platform: "javascript",
    type: "error",
    exceptions: [],
    tags: [],
    payload: {},
    ...overrides,
  };
}

const frame = (fn: string | undefined, filename: string | undefined, extra: Partial<Frame> = {}): Frame => ({
  function: fn,
  filename,
  lineno: 10,
  colno: 4,
  inApp: true,
  ...extra,
});
const system = (fn: string, filename: string, extra: Partial<Frame> = {}) =>
  frame(fn, filename, { inApp: false, ...extra });

const exception = (
  type: string | undefined,
  value: string | undefined,
  frames?: Frame[],
): ExceptionValue => ({
  type,
  value,
  ...(frames ? { stacktrace: { frames } } : {}),
});

const error = (
  type: string | undefined,
  value: string | undefined,
  frames?: Frame[],
  extra: Partial<NormalizedEvent> = {},
) => event({ exceptions: [exception(type, value, frames)], ...extra });

const message = (text: string | undefined, extra: Partial<NormalizedEvent> = {}) =>
  event({ type: "default", level: "info", message: text, ...extra });

const csp = (report: NonNullable<NormalizedEvent["csp"]>, extra: Partial<NormalizedEvent> = {}) =>
  event({ type: "csp", platform: "other", csp: report, ...extra });

const hash = (e: NormalizedEvent) => groupEvent(e).hashes[0];

// a typical browser stack: library code around one application frame
const checkoutStack = ({ line = 120, bundle = "3f2a9c", fn = "handleStep7", vendorFn = "dispatch" } = {}) => [
  system(vendorFn, `https://cdn.example.com/assets/vendor.${bundle}.js`),
  frame(fn, `https://cdn.example.com/assets/app.${bundle}.js?v=1`, { lineno: line }),
  system("callCallback", "https://cdn.example.com/assets/react-dom.production.min.js"),
];

describe("stack trace grouping", () => {
  it("groups the same error from the same site", () => {
    const a = groupEvent(error("TypeError", "x is undefined", checkoutStack()));
    const b = groupEvent(error("TypeError", "x is undefined", checkoutStack()));
    expect(a.hashes).toEqual(b.hashes);
    expect(a.hashes[0]).toMatch(/^[0-9a-f]{32}$/);
  });

  it("ignores line and column numbers", () => {
    const moved = checkoutStack({ line: 342 }).map((f) => ({ ...f, colno: 99 }));
    expect(hash(error("TypeError", "x", moved))).toBe(hash(error("TypeError", "x", checkoutStack())));
  });

  it("groups a rebuild with new bundle hashes with the old build", () => {
    expect(hash(error("TypeError", "x", checkoutStack({ bundle: "b81c0e" })))).toBe(
      hash(error("TypeError", "x", checkoutStack({ bundle: "3f2a9c" }))),
    );
    const vite = (h: string) => [frame("submit", `https://example.com/assets/index-${h}.js`)];
    expect(hash(error("Error", "x", vite("DiwrgTda")))).toBe(hash(error("Error", "x", vite("C6N3f2Qk"))));
  });

  it("ignores the exception value when there are frames", () => {
    // Sentry: the stack takes precedence, so "Cannot read 'a'" and "Cannot read 'b'" from one site are one issue
    expect(hash(error("TypeError", "Cannot read 'a'", checkoutStack()))).toBe(
      hash(error("TypeError", "Cannot read 'b'", checkoutStack())),
    );
  });

  it("separates different functions and different exception types", () => {
    const base = hash(error("TypeError", "x", checkoutStack()));
    expect(hash(error("TypeError", "x", checkoutStack({ fn: "handleStep8" })))).not.toBe(base);
    expect(hash(error("RangeError", "x", checkoutStack()))).not.toBe(base);
  });

  it("uses only in-app frames when there are any", () => {
    const a = groupEvent(error("TypeError", "x", checkoutStack({ vendorFn: "dispatch" })));
    const b = groupEvent(error("TypeError", "x", checkoutStack({ vendorFn: "dispatchDiscrete" })));
    expect(a.hashes[0]).toBe(b.hashes[0]);
    // the system hash (all frames) comes second, as Sentry's "system" variant
    expect(a.hashes).toHaveLength(2);
    expect(a.hashes[1]).not.toBe(b.hashes[1]);
  });

  it("uses all frames when none is in-app", () => {
    const allSystem = (vendorFn: string) => checkoutStack({ vendorFn }).map((f) => ({ ...f, inApp: false }));
    const a = groupEvent(error("TypeError", "x", allSystem("dispatch")));
    expect(a.hashes).toHaveLength(1);
    expect(a.hashes[0]).not.toBe(hash(error("TypeError", "x", allSystem("dispatchDiscrete"))));
  });

  it("finds the issue again when frames gain or lose their in-app flag", () => {
    const flagged = groupEvent(error("TypeError", "x", checkoutStack()));
    const unflagged = groupEvent(
      error(
        "TypeError",
        "x",
        checkoutStack().map((f) => ({ ...f, inApp: false })),
      ),
    );
    expect(flagged.hashes).toContain(unflagged.hashes[0]);
  });

  it("collapses direct recursion so depth does not split issues", () => {
    const recurse = (depth: number) => [
      ...Array.from({ length: depth }, () => frame("walk", "src/tree.js")),
      frame("visit", "src/tree.js"),
    ];
    expect(hash(error("RangeError", "Maximum call stack size exceeded", recurse(3)))).toBe(
      hash(error("RangeError", "Maximum call stack size exceeded", recurse(40))),
    );
  });

  it("groups message events with an attached stack trace by the stack", () => {
    const stacktrace = { frames: [frame("poll", "src/jobs/poller.js")] };
    expect(hash(message("Queue backlog 120", { stacktrace }))).toBe(
      hash(message("Something else entirely", { stacktrace })),
    );
  });

  it("prefers the module over the filename", () => {
    const java = (filename: string) =>
      error("java.lang.IllegalStateException", "boom", [
        frame("charge", filename, { module: "com.example.billing.PaymentService", platform: "java" }),
      ]);
    expect(hash(java("PaymentService.java"))).toBe(hash(java("PaymentService.kt")));
  });

  it("falls through to the exception when no frame is usable", () => {
    const junkFrames = [frame(undefined, undefined), frame("?", "<anonymous>")];
    expect(hash(error("TypeError", "Failed after 3 tries", junkFrames))).toBe(
      hash(error("TypeError", "Failed after 7 tries")),
    );
  });
});

describe("chained exceptions", () => {
  const chain = (causeType: string, outerType: string, outerValue = "wrapped") =>
    event({
      platform: "python",
      exceptions: [
        exception(causeType, "connection reset", [frame("fetch", "app/db.py")]),
        exception(outerType, outerValue, [frame("handler", "app/views.py")]),
      ],
    });

  it("is titled by the last (outermost) exception", () => {
    expect(groupEvent(chain("ConnectionError", "ServiceUnavailable", "try later")).title).toBe(
      "ServiceUnavailable: try later",
    );
  });

  it("groups by every exception's type and frames", () => {
    const base = hash(chain("ConnectionError", "ServiceUnavailable"));
    expect(hash(chain("ConnectionError", "ServiceUnavailable", "other text"))).toBe(base);
    expect(hash(chain("TimeoutError", "ServiceUnavailable"))).not.toBe(base);
  });
});

describe("exceptions without frames", () => {
  it("group by type and parameterized value", () => {
    expect(hash(error("OrderError", "Order 123 failed"))).toBe(
      hash(error("OrderError", "Order 98765 failed")),
    );
    expect(hash(error("OrderError", "Order 123 failed"))).not.toBe(
      hash(error("PaymentError", "Order 123 failed")),
    );
    expect(hash(error("OrderError", "Order 123 failed"))).not.toBe(
      hash(error("OrderError", "Order 123 shipped")),
    );
  });

  it("leave a synthetic exception's made-up type out", () => {
    const synthetic = (type: string) =>
      event({
        exceptions: [{ type, value: "Non-Error exception captured", mechanism: { synthetic: true } }],
      });
    expect(hash(synthetic("Error"))).toBe(hash(synthetic("UnhandledRejection")));
    expect(groupEvent(synthetic("Error")).title).toBe("Non-Error exception captured");
  });
});

describe("message grouping", () => {
  it("groups messages that differ only in variable parts", () => {
    const pairs = [
      ["User 1234 not found", "User 98 not found"],
      ["Timeout after 30s", "Timeout after 45s"],
      ["Job 550e8400-e29b-41d4-a716-446655440000 failed", "Job 6ba7b810-9dad-11d1-80b4-00c04fd430c8 failed"],
      ["No account for ann@example.com", "No account for bob.smith@example.org"],
      ["Blocked 10.0.0.1", "Blocked 192.168.1.254"],
      ["Token expired at 2024-01-01T10:00:00Z", "Token expired at 2025-06-30T23:59:59.999Z"],
      ["Slow query took 1500ms", "Slow query took 2.5 s"],
    ];
    for (const [a, b] of pairs) expect(hash(message(a)), `${a} / ${b}`).toBe(hash(message(b)));
  });

  it("separates different texts", () => {
    expect(hash(message("User 12 not found"))).not.toBe(hash(message("Order 12 not found")));
    expect(hash(message("Cache miss"))).not.toBe(hash(message("Cache hit")));
  });

  it("ignores lines after the second", () => {
    expect(hash(message("Render failed\nat <Header>\nprops: {a: 1}"))).toBe(
      hash(message("Render failed\nat <Header>\nprops: {b: 2}")),
    );
  });

  it("lumps events with nothing to group by into one issue", () => {
    expect(hash(message(undefined))).toBe(hash(message("   ")));
  });
});

describe("custom fingerprints", () => {
  it("replace the default grouping", () => {
    const a = error("TypeError", "x", checkoutStack(), { fingerprint: ["checkout-flaky"] });
    const b = error("RangeError", "y", checkoutStack({ fn: "other" }), { fingerprint: ["checkout-flaky"] });
    expect(groupEvent(a).hashes).toEqual([hash(b)]);
    expect(hash(a)).not.toBe(hash(error("TypeError", "x", checkoutStack())));
    expect(hash(a)).not.toBe(
      hash(error("TypeError", "x", checkoutStack(), { fingerprint: ["checkout-other"] })),
    );
  });

  it("group exactly like the default when they are only {{ default }}", () => {
    const plain = groupEvent(error("TypeError", "x", checkoutStack()));
    for (const fingerprint of [["{{ default }}"], ["{{default}}"], ["{{  default  }}"], []]) {
      expect(groupEvent(error("TypeError", "x", checkoutStack(), { fingerprint })).hashes).toEqual(
        plain.hashes,
      );
    }
  });

  it("extend the default with {{ default }} and extra parts", () => {
    const extended = (path: string, bundle = "3f2a9c") =>
      hash(error("TypeError", "x", checkoutStack({ bundle }), { fingerprint: ["{{ default }}", path] }));
    expect(extended("/api/orders")).not.toBe(hash(error("TypeError", "x", checkoutStack())));
    expect(extended("/api/orders")).toBe(extended("/api/orders", "b81c0e"));
    expect(extended("/api/orders")).not.toBe(extended("/api/users"));
  });

  it("resolve Sentry's variables", () => {
    const withFingerprint = (fingerprint: string[], extra: Partial<NormalizedEvent> = {}) =>
      hash(error("TimeoutError", "took 3s", undefined, { fingerprint, ...extra }));
    const literal = (...components: string[]) =>
      hashVariant(GROUPING_VERSION, { name: "fingerprint", components });

    expect(withFingerprint(["{{ error.type }}", "db"])).toBe(literal("TimeoutError", "db"));
    expect(withFingerprint(["{{ error.value }}"])).toBe(literal("took 3s"));
    expect(withFingerprint(["{{ transaction }}"], { transaction: "/checkout" })).toBe(literal("/checkout"));
    expect(withFingerprint(["{{ transaction }}"])).toBe(literal("<no-transaction>"));
    expect(withFingerprint(["{{ message }}"], { message: "Deadline hit" })).toBe(literal("Deadline hit"));
    expect(withFingerprint(["{{ level }}", "{{ logger }}"], { level: "warning", logger: "jobs" })).toBe(
      literal("warning", "jobs"),
    );
    expect(withFingerprint(["{{ tags.region }}"], { tags: [["region", "eu"]] })).toBe(literal("eu"));
    // unknown variables, and entries that only contain a variable, stay literal
    expect(withFingerprint(["{{ nonsense }}"])).toBe(literal("{{ nonsense }}"));
    expect(withFingerprint(["type={{ error.type }}"])).toBe(literal("type={{ error.type }}"));
  });

  it("apply to CSP reports and message events too", () => {
    const fingerprint = ["shared"];
    expect(
      hash(csp({ effectiveDirective: "img-src", blockedUri: "https://a.example" }, { fingerprint })),
    ).toBe(hash(message("anything", { fingerprint })));
  });
});

describe("CSP reports", () => {
  const report = (blockedUri: string, effectiveDirective = "script-src") =>
    csp({
      effectiveDirective,
      blockedUri,
      violatedDirective: effectiveDirective,
      documentUri: "https://shop.example/cart",
    });

  it("group by directive and blocked host", () => {
    const base = hash(report("https://evil.example.com/a.js?x=1"));
    expect(hash(report("https://evil.example.com/other/b.js"))).toBe(base);
    expect(hash(report("https://other.example.net/a.js"))).not.toBe(base);
    expect(hash(report("https://evil.example.com/a.js", "img-src"))).not.toBe(base);
  });

  it("group local script violations by their kind", () => {
    const inline = (violatedDirective: string) =>
      csp({ effectiveDirective: "script-src", blockedUri: "self", violatedDirective });
    expect(hash(inline("script-src 'self' 'unsafe-inline'"))).not.toBe(
      hash(inline("script-src 'self' 'unsafe-eval'")),
    );
    expect(hash(inline("script-src 'unsafe-inline' https://a.example"))).toBe(
      hash(inline("script-src 'unsafe-inline'")),
    );
  });

  it("are titled like Relay and culprited by the violated directive", () => {
    const g = groupEvent(report("https://evil.example.com/a.js"));
    expect(g.title).toBe("Blocked 'script' from 'evil.example.com'");
    expect(g.culprit).toBe("script-src");
    expect(g.metadata).toEqual({
      directive: "script-src",
      uri: "evil.example.com",
      message: "Blocked 'script' from 'evil.example.com'",
    });
    expect(groupEvent(report("https://img.example:8443/p.png", "img-src")).title).toBe(
      "Blocked 'image' from 'img.example:8443'",
    );
    expect(groupEvent(report("data:image/png;base64,AAAA", "img-src")).title).toBe(
      "Blocked 'image' from 'data:'",
    );
    expect(groupEvent(report("inline")).title).toBe("Blocked unsafe inline 'script'");
    expect(groupEvent(report("self", "style-src")).title).toBe("Blocked inline 'style'");
  });

  it("normalize the culprit's sources against the document", () => {
    const g = groupEvent(
      csp({
        effectiveDirective: "style-src",
        blockedUri: "https://fonts.example/css",
        violatedDirective: "style-src https://shop.example 'unsafe-inline' cdn.example",
        documentUri: "https://shop.example/cart",
      }),
    );
    expect(g.culprit).toBe("style-src 'self' 'unsafe-inline' cdn.example");
  });

  it("use the normalizer's message as title when there is one", () => {
    expect(groupEvent(report("https://evil.example.com/a.js")).title).not.toBe("Custom");
    expect(groupEvent({ ...report("https://evil.example.com/a.js"), message: "Custom" }).title).toBe(
      "Custom",
    );
  });

  it("fall back to the violated directive's name (Firefox sends no effective directive)", () => {
    const g = groupEvent(
      csp({ blockedUri: "https://evil.example.com", violatedDirective: "connect-src 'self'" }),
    );
    expect(g.title).toBe("Blocked 'connect' from 'evil.example.com'");
    expect(g.metadata.directive).toBe("connect-src");
  });
});

describe("titles", () => {
  it("show type and the first line of the value", () => {
    expect(groupEvent(error("TypeError", "x is undefined")).title).toBe("TypeError: x is undefined");
    expect(groupEvent(error("ValueError", "bad input\nTraceback (most recent call last):")).title).toBe(
      "ValueError: bad input",
    );
    expect(groupEvent(error("ValueError", "\n\n  second line wins\n")).title).toBe(
      "ValueError: second line wins",
    );
  });

  it("truncate the value to 100 characters like Sentry", () => {
    const title = groupEvent(error("Error", "a".repeat(300))).title;
    expect(title).toBe(`Error: ${"a".repeat(97)}...`);
    const emoji = groupEvent(error("Error", `${"a".repeat(96)}😀😀😀`)).title;
    expect(emoji).toBe(`Error: ${"a".repeat(96)}...`); // no half surrogate pair
  });

  it("make do with what is there", () => {
    expect(groupEvent(error("TimeoutError", undefined)).title).toBe("TimeoutError");
    expect(groupEvent(error(undefined, "it broke")).title).toBe("it broke");
    expect(groupEvent(error(undefined, undefined, [frame("f", "a.js")])).title).toBe("<unlabeled event>");
  });

  it("use the first line of a message event", () => {
    expect(groupEvent(message("Disk almost full\n/var at 97%")).title).toBe("Disk almost full");
    expect(groupEvent(message(`${"m".repeat(150)}`)).title).toBe(`${"m".repeat(97)}...`);
    expect(groupEvent(message(undefined)).title).toBe("<unlabeled event>");
  });
});

describe("culprits", () => {
  it("render the crash frame as function(file)", () => {
    const g = groupEvent(error("Error", "x", [frame("handleStep7", "src/checkout/step-7.js")]));
    expect(g.culprit).toBe("handleStep7(src/checkout/step-7.js)");
  });

  it("use the last in-app frame, not the library frame on top", () => {
    expect(groupEvent(error("Error", "x", checkoutStack())).culprit).toBe(
      "handleStep7(/assets/app.3f2a9c.js)",
    );
  });

  it("use the last frame when none is in-app", () => {
    const frames = [system("main", "lib/a.js"), system("inner", "lib/b.js")];
    expect(groupEvent(error("Error", "x", frames)).culprit).toBe("inner(lib/b.js)");
  });

  it("fall back to the module, the file alone, then the transaction", () => {
    const withModule = frame("charge", undefined, { module: "com.example.Billing" });
    expect(groupEvent(error("Error", "x", [withModule])).culprit).toBe("charge(com.example.Billing)");
    expect(groupEvent(error("Error", "x", [frame(undefined, "src/boot.js")])).culprit).toBe("src/boot.js");
    expect(groupEvent(error("Error", "x", undefined, { transaction: "/orders/:id" })).culprit).toBe(
      "/orders/:id",
    );
    expect(groupEvent(error("Error", "x")).culprit).toBe("");
  });

  it("come from the titled exception of a chain", () => {
    const g = groupEvent(
      event({
        exceptions: [
          exception("Cause", "c", [frame("low", "src/low.js")]),
          exception("Outer", "o", [frame("high", "src/high.js")]),
        ],
      }),
    );
    expect(g.culprit).toBe("high(src/high.js)");
  });
});

describe("error metadata", () => {
  it("describes the crash like Sentry's issue metadata", () => {
    const g = groupEvent(error("TypeError", "x is undefined", checkoutStack()));
    expect(g.metadata).toEqual({
      type: "TypeError",
      value: "x is undefined",
      filename: "https://cdn.example.com/assets/app.3f2a9c.js?v=1",
      function: "handleStep7",
      in_app_frame_mix: "mixed",
    });
    expect(groupEvent(error("E", "v", [frame("a", "a.js")])).metadata.in_app_frame_mix).toBe("in-app-only");
    expect(groupEvent(error("E", "v", [system("a", "a.js")])).metadata.in_app_frame_mix).toBe("system-only");
    expect(groupEvent(error("E", "v")).metadata).toEqual({ type: "E", value: "v" });
  });
});

describe("normalization of frames", () => {
  it.each([
    ["https://cdn.example.com/assets/app.3f2a9c.js?v=1#x", "assets/app.<hash>.js"],
    ["webpack:///./src/index.js", "src/index.js"],
    ["webpack://my-app/./src/index.js", "src/index.js"],
    ["app:///main.jsbundle", "main.jsbundle"],
    ["C:\\Users\\dev\\App\\Main.cs", "users/dev/app/main.cs"],
    ["/_next/static/chunks/pages/_app-5f4dcc3b5aa765d6.js", "_next/static/chunks/pages/_app-<hash>.js"],
    ["/_next/static/Jx8k2lP9qRsT3uVwXyZ1a/_buildManifest.js", "_next/static/<hash>/_buildmanifest.js"],
    [
      "https://unpkg.com/react@18.2.0/umd/react.production.min.js",
      "react@<version>/umd/react.production.min.js",
    ],
    ["/assets/chunk-5XQ2GZRT.js", "assets/chunk-<hash>.js"],
    ["/var/www/releases/20240101120000/app/models/user.rb", "var/www/releases/<hash>/app/models/user.rb"],
    ["src/utils/base64.js", "src/utils/base64.js"],
    ["src/checkout/step-7.js", "src/checkout/step-7.js"],
    ["src/components/UserProfile.tsx", "src/components/userprofile.tsx"],
    ["<anonymous>", ""],
  ])("path %s", (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it.each([
    ["Object.<anonymous>", "javascript", ""],
    ["?", "javascript", ""],
    ["Object.handleClick", "javascript", "handleClick"],
    ["Module.render", "node", "render"],
    ["Object.foo [as bar]", "node", "foo"],
    ["lambda$main$0", "java", "lambda$main$"],
    ["Foo$$Lambda$123/0x0000000800c01234.accept", "java", "Foo$$Lambda.accept"],
    ["<lambda>_123", "python", "<lambda>"],
    ["myapp.core$fn__1234.invoke", "clojure", "myapp.core$fn__.invoke"],
    ["<Main>b__0_0", "csharp", "<Main>b__"],
    ["block (2 levels) in perform", "ruby", "block in perform"],
    ["handler at 0x7f3a2b", "native", "handler at <addr>"],
    ["Checkout.submit", "python", "Checkout.submit"],
  ])("function %s (%s)", (raw, platform, expected) => {
    expect(normalizeFunction(raw, platform)).toBe(expected);
  });

  it("groups Chrome's Object.foo with Firefox's foo", () => {
    const site = (fn: string) => error("Error", "x", [frame(fn, "src/app.js")]);
    expect(hash(site("Object.submitOrder"))).toBe(hash(site("submitOrder")));
  });

  it("groups Java lambdas across JVM runs", () => {
    const site = (fn: string, module: string) =>
      error("NullPointerException", undefined, [frame(fn, "Worker.java", { module, platform: "java" })], {
        platform: "java",
      });
    expect(hash(site("lambda$run$0", "com.example.Worker$$Lambda$41/0x0000000800c0a000"))).toBe(
      hash(site("lambda$run$3", "com.example.Worker$$Lambda$97/0x0000000800d11000")),
    );
  });
});

describe("versioning", () => {
  it("puts the grouping version into every hash", () => {
    const variant: Variant = { name: "message", components: ["User <int> not found"] };
    const g = groupEvent(message("User 1234 not found"));
    expect(g.groupingVersion).toBe(GROUPING_VERSION);
    expect(g.hashes).toEqual([hashVariant(GROUPING_VERSION, variant)]);
    expect(hashVariant("v2", variant)).not.toBe(hashVariant(GROUPING_VERSION, variant));
  });

  it("keeps strategies apart", () => {
    // the same text as a message and as a custom fingerprint must not meet
    expect(hashVariant("v1", { name: "message", components: ["x"] })).not.toBe(
      hashVariant("v1", { name: "fingerprint", components: ["x"] }),
    );
  });
});

describe("robustness", () => {
  it("never throws on junk", () => {
    const junk: unknown[] = [
      {},
      null,
      undefined,
      { exceptions: null, stacktrace: "nope", fingerprint: "x", tags: null },
      { exceptions: [null, 1, "x", { stacktrace: { frames: [null, 3, { function: 5, filename: {} }] } }] },
      { exceptions: [{ type: 42, value: { a: 1 }, mechanism: "x" }] },
      { type: "csp" },
      { type: "csp", csp: { blockedUri: "http://[bad", violatedDirective: 7 } },
      { type: "transaction" },
      { type: "default", message: 12, fingerprint: [null, 3, true, "{{ default }}"] },
      { fingerprint: ["{{ tags.x }}", "{{ stack.function }}"], tags: [null, ["x"]] },
      event({ exceptions: [exception("E", "v", [frame("a".repeat(10_000), `${"/x".repeat(5_000)}.js`)])] }),
    ];
    for (const input of junk) {
      const g = groupEvent(input as NormalizedEvent);
      expect(g.hashes.length).toBeGreaterThan(0);
      for (const h of g.hashes) expect(h).toMatch(/^[0-9a-f]{32}$/);
      expect(typeof g.title).toBe("string");
      expect(typeof g.culprit).toBe("string");
    }
  });

  it("titles transactions by name even though they are never grouped", () => {
    const g = groupEvent(event({ type: "transaction", transaction: "GET /orders" }));
    expect(g.title).toBe("GET /orders");
    expect(g.hashes).toHaveLength(1);
  });
});

describe("symbolicated events (v2)", () => {
  const minified = (name: string) => [
    exception("Error", "basket too expensive", [
      frame(name, "https://shop.example.com/assets/main.js"),
      frame(`${name}x`, "https://shop.example.com/assets/main.js"),
    ]),
  ];
  const original = [
    exception("Error", "basket too expensive", [frame("ShoppingCart.checkout", "./src/cart.ts"), frame("computeTotal", "./src/pricing.ts")]),
  ];

  it("hashes the original frames under v2, then the minified ones under v1", () => {
    const raw = minified("a");
    const grouping = groupEvent(event({ exceptions: original }), raw);
    const plainRaw = groupEvent(event({ exceptions: raw }));
    expect(grouping.groupingVersion).toBe("v2");
    expect(grouping.hashes.slice(1)).toEqual(plainRaw.hashes);
    expect(grouping.hashes[0]).not.toBe(groupEvent(event({ exceptions: original })).hashes[0]);
    expect(grouping.culprit).toBe("computeTotal(./src/pricing.ts)");
  });

  it("gives two builds of the same code (other minified names) the same primary hash", () => {
    const a = groupEvent(event({ exceptions: original }), minified("a"));
    const b = groupEvent(event({ exceptions: original }), minified("q"));
    expect(a.hashes[0]).toBe(b.hashes[0]);
    expect(a.hashes.at(-1)).not.toBe(b.hashes.at(-1));
  });

  it("leaves events that were not symbolicated exactly as before", () => {
    const raw = minified("a");
    expect(groupEvent(event({ exceptions: raw }), null)).toEqual(groupEvent(event({ exceptions: raw })));
    expect(groupEvent(event({ exceptions: raw })).groupingVersion).toBe(GROUPING_VERSION);
  });
});
