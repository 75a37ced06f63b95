import { describe, expect, it } from "vitest";
import { compileFilters, type FilterContext, type InboundFilterConfig, parseFilterConfig } from "./filters";

type Event = Record<string, unknown>;

function checker(config: InboundFilterConfig) {
  const check = compileFilters(config);
  if (!check) throw new Error("expected a checker for an enabled config");
  return (event: Event, ctx: FilterContext = {}) => check(event, ctx);
}

const exception = (type: string | undefined, value: string | undefined, frames?: unknown[]) => ({
  exception: { values: [{ type, value, ...(frames ? { stacktrace: { frames } } : {}) }] },
});

describe("parseFilterConfig", () => {
  it("keeps well-typed fields", () => {
    expect(
      parseFilterConfig({
        browserExtensions: true,
        localhost: true,
        webCrawlers: false,
        errorMessages: ["*foo*"],
        releases: ["1.*"],
        somethingNew: 1,
      }),
    ).toEqual({
      browserExtensions: true,
      localhost: true,
      webCrawlers: false,
      errorMessages: ["*foo*"],
      releases: ["1.*"],
    });
  });

  it("treats junk as off", () => {
    for (const junk of [null, undefined, 0, 42, "x", true, [], [{ localhost: true }]]) {
      expect(compileFilters(parseFilterConfig(junk))).toBeNull();
    }
  });

  it("turns wrong-typed fields off and drops non-string patterns", () => {
    const config = parseFilterConfig({
      browserExtensions: "true",
      localhost: 1,
      webCrawlers: {},
      errorMessages: "*",
      releases: [1, null, "1.0", { a: 1 }],
    });
    expect(config).toEqual({
      browserExtensions: false,
      localhost: false,
      webCrawlers: false,
      errorMessages: [],
      releases: ["1.0"],
    });
  });
});

describe("compileFilters", () => {
  it("returns null when every filter is off", () => {
    expect(compileFilters({})).toBeNull();
    expect(
      compileFilters({
        browserExtensions: false,
        localhost: false,
        webCrawlers: false,
        errorMessages: [],
        releases: [],
      }),
    ).toBeNull();
  });

  it("returns null when the only patterns are unusable", () => {
    expect(compileFilters({ errorMessages: ["", "x".repeat(501)], releases: [""] })).toBeNull();
  });

  it("reports the first matching filter in Relay's order", () => {
    const check = checker({
      releases: ["bad-*"],
      errorMessages: ["*boom*"],
      localhost: true,
      browserExtensions: true,
      webCrawlers: true,
    });
    const everything = {
      release: "bad-1",
      ...exception("Error", "boom top.GLOBALS"),
      user: { ip_address: "127.0.0.1" },
      request: { headers: { "User-Agent": "Googlebot/2.1" } },
    };
    expect(check(everything)).toBe("release-version");
    expect(check({ ...everything, release: "good" })).toBe("error-message");
    expect(check({ ...everything, release: "good", ...exception("Error", "top.GLOBALS") })).toBe("localhost");
    expect(check({ ...everything, release: "good", ...exception("Error", "top.GLOBALS"), user: {} })).toBe(
      "browser-extensions",
    );
    expect(check({ release: "good", request: everything.request })).toBe("web-crawlers");
    expect(check({ release: "good" })).toBeNull();
  });

  it("only runs the filters that are on", () => {
    const check = checker({ webCrawlers: true });
    expect(check({ user: { ip_address: "127.0.0.1" }, ...exception("Error", "top.GLOBALS") })).toBeNull();
  });
});

describe("release-version filter", () => {
  const check = checker({ releases: ["1.2.*", "legacy", "*-beta"] });

  it("matches whole releases against globs, case-insensitively", () => {
    expect(check({ release: "1.2.3" })).toBe("release-version");
    expect(check({ release: "LEGACY" })).toBe("release-version");
    expect(check({ release: "app@2.0.0-beta" })).toBe("release-version");
  });

  it("does not match partial or other releases", () => {
    expect(check({ release: "1.3.0" })).toBeNull();
    expect(check({ release: "legacy-2" })).toBeNull();
    expect(check({ release: "11.2.3" })).toBeNull();
    expect(check({})).toBeNull();
    expect(check({ release: "" })).toBeNull();
  });

  it("reads a numeric release as its text, like Relay", () => {
    expect(checker({ releases: ["42"] })({ release: 42 })).toBe("release-version");
  });

  it("treats regex metacharacters as literals", () => {
    const literal = checker({ releases: ["1.0.(x)+[y]?"] });
    expect(literal({ release: "1.0.(x)+[y]?" })).toBe("release-version");
    expect(literal({ release: "1a0a(x)+[y]?" })).toBeNull();
    expect(literal({ release: "1.0.xx[y]" })).toBeNull();
  });

  it("ignores patterns beyond the caps", () => {
    const many = Array.from({ length: 100 }, (_, i) => `r${i}`);
    expect(checker({ releases: [...many, "r-extra"] })({ release: "r-extra" })).toBeNull();
    expect(checker({ releases: [...many, "r-extra"] })({ release: "r99" })).toBe("release-version");
    expect(checker({ releases: ["a", `${"x".repeat(501)}*`] })({ release: "x".repeat(600) })).toBeNull();
  });
});

describe("error-message filter", () => {
  const check = checker({
    errorMessages: ["*ResizeObserver loop*", "ChunkLoadError: Loading chunk *", "Ignored"],
  });

  it("matches exceptions as `type: value`, in both exception shapes", () => {
    expect(check(exception("ChunkLoadError", "Loading chunk 175 failed."))).toBe("error-message");
    expect(check({ exception: [{ type: "ChunkLoadError", value: "Loading chunk 1 failed." }] })).toBe(
      "error-message",
    );
    expect(check(exception("Error", "ResizeObserver loop limit exceeded"))).toBe("error-message");
  });

  it("checks every exception, not just the first", () => {
    expect(
      check({
        exception: {
          values: [
            { type: "Error", value: "fine" },
            { type: "ChunkLoadError", value: "Loading chunk 2" },
          ],
        },
      }),
    ).toBe("error-message");
  });

  it("uses the type or the value alone only when the other is missing", () => {
    expect(check(exception("Ignored", undefined))).toBe("error-message");
    expect(check(exception(undefined, "Ignored"))).toBe("error-message");
    expect(check(exception("", "Ignored"))).toBe("error-message");
    // Relay matches the combined text, so a pattern for the bare value misses a typed exception.
    expect(check(exception("Error", "Ignored"))).toBeNull();
    expect(check(exception("Ignored", "something"))).toBeNull();
  });

  it("matches the log message: `message` as a string or object, and `logentry`", () => {
    expect(check({ message: "ignored" })).toBe("error-message");
    expect(check({ message: { formatted: "ignored" } })).toBe("error-message");
    expect(check({ message: { message: "ignored", params: [] } })).toBe("error-message");
    expect(check({ logentry: { formatted: "IGNORED" } })).toBe("error-message");
    expect(check({ logentry: { message: "ignored" } })).toBe("error-message");
  });

  it("prefers `formatted` over the template, and `logentry` over `message`", () => {
    expect(check({ logentry: { formatted: "user 5 ignored", message: "Ignored" } })).toBeNull();
    expect(check({ logentry: { formatted: "fine" }, message: "Ignored" })).toBeNull();
  });

  it("is a whole-string match", () => {
    expect(check({ message: "Not Ignored" })).toBeNull();
    expect(check(exception("Error", "chunk failed"))).toBeNull();
    expect(check({})).toBeNull();
  });

  it("lets `*` span newlines and collapses runs of `*`", () => {
    const star = checker({ errorMessages: ["foo***bar"] });
    expect(star({ message: "foo\nbaz\nbar" })).toBe("error-message");
    expect(star({ message: "foobar" })).toBe("error-message");
    expect(star({ message: "foo" })).toBeNull();
  });

  it("does not let a prefix and suffix overlap", () => {
    const glob = checker({ errorMessages: ["ab*ba"] });
    expect(glob({ message: "aba" })).toBeNull();
    expect(glob({ message: "abba" })).toBe("error-message");
  });

  it("never matches an empty message, even with a bare `*`", () => {
    const any = checker({ errorMessages: ["*"] });
    expect(any({ message: "" })).toBeNull();
    expect(any({ message: "x" })).toBe("error-message");
  });

  it("stays fast on patterns that would backtrack as a regex", () => {
    const nasty = checker({ errorMessages: [`${"*a".repeat(200)}*c*b`] });
    expect(nasty({ message: `${"a".repeat(100_000)}b` })).toBeNull();
    expect(nasty({ message: `${"a".repeat(100_000)}cb` })).toBe("error-message");
  });
});

describe("localhost filter", () => {
  const check = checker({ localhost: true });

  it("matches local user IPs", () => {
    expect(check({ user: { ip_address: "127.0.0.1" } })).toBe("localhost");
    expect(check({ user: { ip_address: "::1" } })).toBe("localhost");
    expect(check({ user: { ip_address: "133.12.12.1" } })).toBeNull();
    expect(check({ user: { ip_address: "2001:db8::8329" } })).toBeNull();
  });

  it("resolves `{{auto}}` to the connection's IP", () => {
    expect(check({ user: { ip_address: "{{auto}}" } }, { clientIp: "127.0.0.1" })).toBe("localhost");
    expect(check({ user: { ip_address: "{{auto}}" } }, { clientIp: "::ffff:127.0.0.1" })).toBe("localhost");
    expect(check({ user: { ip_address: "{{auto}}" } }, { clientIp: "8.8.8.8" })).toBeNull();
    expect(check({ user: { ip_address: "{{auto}}" } })).toBeNull();
  });

  it("infers a missing user IP from the connection only for client platforms", () => {
    expect(check({ platform: "javascript" }, { clientIp: "127.0.0.1" })).toBe("localhost");
    expect(check({ platform: "cocoa", user: {} }, { clientIp: "::1" })).toBe("localhost");
    expect(check({ platform: "python" }, { clientIp: "127.0.0.1" })).toBeNull();
    expect(check({}, { clientIp: "127.0.0.1" })).toBeNull();
  });

  it("does not let the connection's IP override an explicit user IP", () => {
    expect(
      check({ platform: "javascript", user: { ip_address: "8.8.8.8" } }, { clientIp: "127.0.0.1" }),
    ).toBeNull();
  });

  it("takes a missing user IP from the request's REMOTE_ADDR", () => {
    expect(check({ platform: "python", request: { env: { REMOTE_ADDR: "127.0.0.1" } } })).toBe("localhost");
    expect(
      check(
        { platform: "javascript", request: { env: { REMOTE_ADDR: "10.0.0.1" } } },
        { clientIp: "127.0.0.1" },
      ),
    ).toBeNull();
    expect(check({ request: { env: { REMOTE_ADDR: "{{auto}}" } } }, { clientIp: "127.0.0.1" })).toBe(
      "localhost",
    );
  });

  it("matches local request URLs", () => {
    for (const url of [
      "http://localhost:3000/page",
      "http://LOCALHOST/",
      "https://127.0.0.1:8080/",
      "http://[::1]:8080/",
      "http://foo.localhost/",
      "http://a.b.localhost:5173/x",
      "file:///Users/me/index.html",
    ]) {
      expect(check({ request: { url } }), url).toBe("localhost");
    }
  });

  it("does not match hosts that only contain `localhost`", () => {
    for (const url of [
      "http://localhost.com/",
      "http://foolocalhost/",
      "http://localhostbar/",
      "http://my.dom.com/?next=http://localhost/",
      "http://123.123.123.44/",
    ]) {
      expect(check({ request: { url } }), url).toBeNull();
    }
  });

  it("matches a local X-Forwarded-For, in both header shapes", () => {
    expect(check({ request: { headers: { "X-Forwarded-For": "127.0.0.1" } } })).toBe("localhost");
    expect(check({ request: { headers: [["x-forwarded-for", "::1"]] } })).toBe("localhost");
    expect(check({ request: { headers: { "X-Forwarded-For": "1.2.3.4" } } })).toBeNull();
  });

  it("uses Host and X-Forwarded-Host only when there is no URL", () => {
    expect(check({ request: { headers: { Host: "localhost:3000" } } })).toBe("localhost");
    expect(check({ request: { headers: [["X-Forwarded-Host", "127.0.0.1:8080"]] } })).toBe("localhost");
    expect(check({ request: { url: "/relative", headers: { host: "localhost" } } })).toBe("localhost");
    expect(check({ request: { url: "https://example.com/", headers: { Host: "localhost" } } })).toBeNull();
    expect(check({ request: { headers: { Host: "localhost.sentry.io:3000" } } })).toBeNull();
  });

  it("ignores events without any local hint", () => {
    expect(check({})).toBeNull();
    expect(check({ request: { url: "https://example.com/" } }, { clientIp: "127.0.0.1" })).toBeNull();
  });
});

describe("browser-extensions filter", () => {
  const check = checker({ browserExtensions: true });

  it("matches known extension error values", () => {
    for (const value of [
      "some error on top.GLOBALS",
      "Can't find variable: ZiteReader, I wonder why?",
      "null is not an object (evaluating 'elt.parentNode')",
      "plugin.setSuspendState is not a function",
      "Extension context invalidated.",
      "TypeError: can't access dead object",
      "bad news, we have a FB_XD_FRAGMENT",
    ]) {
      expect(check(exception("Error", value)), value).toBe("browser-extensions");
    }
    expect(check({ exception: [{ type: "Error", value: "conduitPage" }] })).toBe("browser-extensions");
  });

  it("matches a known extension source in the innermost frame with a path", () => {
    for (const source of [
      "chrome-extension://abcdef/content.js",
      "chrome://browser/content.js",
      "moz-extension://uuid/script.js",
      "safari-extension://id/script.js",
      "safari-web-extension://id/script.js",
      "https://connect.facebook.net/en_US/sdk.js",
      "https://fscr.kaspersky-labs.com/B-9B72-7B7/main.js",
      "webkit-masked-url://hidden/",
    ]) {
      const event = exception("TypeError", "x is undefined", [
        { abs_path: "https://example.com/app.js" },
        { abs_path: source },
        { abs_path: "<anonymous>" },
        { filename: "[native code]" },
      ]);
      expect(check(event), source).toBe("browser-extensions");
    }
  });

  it("falls back to the frame's filename when it has no abs_path", () => {
    expect(check(exception("Error", "x", [{ filename: "moz-extension://id/a.js" }]))).toBe(
      "browser-extensions",
    );
  });

  it("ignores outer frames and frames after a frame without any path, like Relay", () => {
    const outer = [{ abs_path: "chrome-extension://id/a.js" }, { abs_path: "https://example.com/app.js" }];
    expect(check(exception("Error", "x", outer))).toBeNull();
    const pathless = [{ abs_path: "chrome-extension://id/a.js" }, { function: "f" }];
    expect(check(exception("Error", "x", pathless))).toBeNull();
  });

  it("anchors scheme patterns at the start of the path", () => {
    expect(
      check(exception("Error", "x", [{ abs_path: "https://example.com/chrome-extension://x" }])),
    ).toBeNull();
  });

  it("looks at the first exception only", () => {
    const event = {
      exception: {
        values: [
          { type: "Error", value: "fine" },
          { type: "Error", value: "top.GLOBALS" },
        ],
      },
    };
    expect(check(event)).toBeNull();
  });

  it("ignores ordinary errors and messages", () => {
    expect(
      check(
        exception("Error", "some perfectly reasonable value", [{ abs_path: "https://example.com/a.js" }]),
      ),
    ).toBeNull();
    expect(check({ message: "top.GLOBALS" })).toBeNull();
    expect(check({})).toBeNull();
  });
});

describe("web-crawlers filter", () => {
  const check = checker({ webCrawlers: true });
  const withUa = (ua: string) => ({ request: { headers: { "User-Agent": ua } } });

  it("matches crawler user agents from the event's request headers", () => {
    for (const ua of [
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
      "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
      "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
      "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
      "DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)",
      "Baiduspider",
      "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
      "Twitterbot/1.0",
      "Mozilla/5.0 (compatible; some crawler bot)",
      "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.1; +https://openai.com/gptbot",
    ]) {
      expect(check(withUa(ua)), ua).toBe("web-crawlers");
    }
  });

  it("reads the header case-insensitively, in both header shapes", () => {
    expect(check({ request: { headers: { "user-agent": "Googlebot" } } })).toBe("web-crawlers");
    expect(check({ request: { headers: [["USER-AGENT", "Googlebot"]] } })).toBe("web-crawlers");
    expect(check({ request: { headers: [["Accept", "*/*"]] } })).toBeNull();
  });

  it("falls back to the ingest request's user agent", () => {
    expect(check({}, { userAgent: "Googlebot/2.1" })).toBe("web-crawlers");
    expect(
      check(withUa("Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"), { userAgent: "Googlebot" }),
    ).toBeNull();
  });

  it("lets browsers and Relay's allowed agents through", () => {
    for (const ua of [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
      "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
      "Slackbot 1.0 (+https://api.slack.com/robots)",
      "SentryUptimeBot/1.0 (+http://docs.sentry.io/product/alerts/uptime-monitoring/)",
      "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; +https://openai.com/bot",
      "APIs-Google (+https://developers.google.com/webmasters/APIs-Google.html)",
    ]) {
      expect(check(withUa(ua)), ua).toBeNull();
    }
    expect(check({})).toBeNull();
  });
});

describe("junk events", () => {
  const check = checker({
    releases: ["*x*"],
    errorMessages: ["*boom*"],
    localhost: true,
    browserExtensions: true,
    webCrawlers: true,
  });
  const junkValues = [
    null,
    undefined,
    0,
    1.5,
    -1,
    true,
    false,
    "",
    "str",
    [],
    [null],
    [1, "a"],
    {},
    { values: 5 },
  ];
  const shapes = (junk: unknown): Event[] => [
    { release: junk },
    { message: junk },
    { logentry: junk, message: junk },
    { logentry: { formatted: junk, message: junk } },
    { exception: junk },
    { exception: { values: junk } },
    { exception: { values: [junk] } },
    { exception: [junk, { type: junk, value: junk, stacktrace: junk }] },
    { exception: [{ stacktrace: { frames: junk } }] },
    { exception: [{ stacktrace: { frames: [junk, { abs_path: junk, filename: junk }] } }] },
    { user: junk },
    { user: { ip_address: junk } },
    { platform: junk, user: { ip_address: "{{auto}}" } },
    { request: junk },
    { request: { url: junk, headers: junk, env: junk } },
    { request: { headers: [junk, [junk, junk], [junk]] } },
    { request: { headers: { "User-Agent": junk, Host: junk, "X-Forwarded-For": junk } } },
    { request: { env: { REMOTE_ADDR: junk } } },
  ];

  it("never throws and filters nothing", () => {
    const contexts: FilterContext[] = [{}, { clientIp: "8.8.8.8", userAgent: "Mozilla/5.0" }];
    for (const junk of junkValues) {
      for (const event of shapes(junk)) {
        for (const ctx of contexts) {
          expect(check(event, ctx), JSON.stringify(event)).toBeNull();
        }
      }
    }
  });

  it("accepts a non-object event without throwing", () => {
    const raw = compileFilters({ localhost: true })!;
    for (const junk of [null, undefined, 5, "event", []]) {
      expect(raw(junk as unknown as Event, {})).toBeNull();
    }
  });

  it("survives malformed URLs and values of the wrong type in ctx", () => {
    expect(check({ request: { url: "http://[::1" } })).toBeNull();
    expect(check({ request: { url: "not a url" } })).toBeNull();
    expect(check({}, { clientIp: 5, userAgent: {} } as unknown as FilterContext)).toBeNull();
  });
});
