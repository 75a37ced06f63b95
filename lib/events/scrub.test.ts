import { describe, expect, it } from "vitest";
import {
  FILTERED,
  filterCardNumbers,
  isCardNumber,
  isSensitiveKey,
  limitDepth,
  MAX_DEPTH,
  scrubEvent,
  scrubUrl,
} from "./scrub";

function nested(depth: number, leaf: unknown = "leaf"): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
}

/** How many containers deep a `nested()` chain still goes. */
function depthOf(value: unknown): number {
  let depth = 0;
  for (let current = value; typeof current === "object" && current !== null; depth++) {
    current = (current as { child?: unknown }).child;
  }
  return depth;
}

describe("sensitive keys", () => {
  it("filters values of sensitive keys anywhere, case-insensitively, and keeps the keys", () => {
    const event = scrubEvent({
      extra: {
        Password: "hunter2",
        db_passwd: "x",
        "X-Api-Key": "k",
        apikey: "k",
        client_secret: "s",
        safe: "ok",
      },
      contexts: {
        app: { access_token: "t", Auth_Token: "t", csrfmiddlewaretoken: "c", XSRF: "x", sessionid: "s" },
      },
      request: {
        data: { passphrase: "p", private_key: "-----BEGIN", credentials: { user: "u" }, ssn: "123-45-6789" },
      },
    });
    expect(event.extra).toEqual({
      Password: FILTERED,
      db_passwd: FILTERED,
      "X-Api-Key": FILTERED,
      apikey: FILTERED,
      client_secret: FILTERED,
      safe: "ok",
    });
    expect(event.contexts).toEqual({
      app: {
        access_token: FILTERED,
        Auth_Token: FILTERED,
        csrfmiddlewaretoken: FILTERED,
        XSRF: FILTERED,
        sessionid: FILTERED,
      },
    });
    expect(event.request).toEqual({
      data: { passphrase: FILTERED, private_key: FILTERED, credentials: { user: FILTERED }, ssn: FILTERED },
    });
  });

  it("filters every leaf below a sensitive key, keeping the shape", () => {
    const event = scrubEvent({
      extra: { session: { id: 7, flags: [true, null, "x"], nested: { deeper: "y" } } },
    });
    expect(event.extra).toEqual({
      session: { id: FILTERED, flags: [FILTERED, null, FILTERED], nested: { deeper: FILTERED } },
    });
  });

  it("matches ssn only as a word, so className and the like survive", () => {
    expect(isSensitiveKey("ssn")).toBe(true);
    expect(isSensitiveKey("user_ssn")).toBe(true);
    expect(isSensitiveKey("ssn-number")).toBe(true);
    expect(isSensitiveKey("className")).toBe(false);
    expect(isSensitiveKey("lessons")).toBe(false);
  });

  it("filters request headers and cookies, as a map or as a list of pairs", () => {
    const event = scrubEvent({
      request: {
        headers: [
          ["Authorization", "Bearer abc.def"],
          ["Cookie", "sessionid=abc; theme=dark"],
          ["Accept", "text/html"],
          ["Set-Cookie", "a=b"],
        ],
        cookies: { sessionid: "abc", theme: "dark" },
        env: { REMOTE_ADDR: "198.51.100.4" },
      },
    });
    expect(event.request).toEqual({
      headers: [
        ["Authorization", FILTERED],
        ["Cookie", FILTERED],
        ["Accept", "text/html"],
        ["Set-Cookie", FILTERED],
      ],
      cookies: { sessionid: FILTERED, theme: FILTERED },
      env: { REMOTE_ADDR: "198.51.100.4" },
    });
  });

  it("filters tags, breadcrumb data and frame variables", () => {
    const event = scrubEvent({
      tags: [
        ["api_key", "k"],
        ["page", "home"],
      ],
      breadcrumbs: { values: [{ category: "http", data: { url: "/login", password: "p" } }] },
      exception: {
        values: [{ stacktrace: { frames: [{ function: "login", vars: { token: "t", user: "bob" } }] } }],
      },
    });
    expect(event.tags).toEqual([
      ["api_key", FILTERED],
      ["page", "home"],
    ]);
    expect(event.breadcrumbs).toEqual({
      values: [{ category: "http", data: { url: "/login", password: FILTERED } }],
    });
    expect(event.exception).toEqual({
      values: [{ stacktrace: { frames: [{ function: "login", vars: { token: FILTERED, user: "bob" } }] } }],
    });
  });

  it("keeps what Sentry's default scrubbing keeps: ids, timestamps, code names, user IP and email", () => {
    const payload = {
      event_id: "4111111111111111",
      timestamp: "4111111111111111",
      user: { ip_address: "198.51.100.4", email: "4111111111111111@example.com", id: "u1" },
      contexts: { trace: { trace_id: "4242424242424242", span_id: "4242424242424242" } },
      exception: {
        values: [{ stacktrace: { frames: [{ function: "4111111111111111", module: "4111111111111111" }] } }],
      },
    };
    const expected = structuredClone(payload);
    expect(scrubEvent(payload)).toEqual(expected);
  });

  it("leaves SDK metadata alone: package names are not secrets", () => {
    const event = scrubEvent({
      modules: { jsonwebtoken: "9.0.0", "express-session": "1.17.3" },
      sdk: { name: "sentry.javascript.node", packages: [{ name: "npm:cookie", version: "1.0.0" }] },
    });
    expect(event.modules).toEqual({ jsonwebtoken: "9.0.0", "express-session": "1.17.3" });
    expect(event.sdk).toEqual({
      name: "sentry.javascript.node",
      packages: [{ name: "npm:cookie", version: "1.0.0" }],
    });
  });
});

describe("URLs and query strings", () => {
  it("filters sensitive query string parameters", () => {
    const event = scrubEvent({ request: { query_string: "q=shoes&access_token=abc&page=2&api%5Fkey=k" } });
    expect(event.request).toEqual({
      query_string: `q=shoes&access_token=${FILTERED}&page=2&api%5Fkey=${FILTERED}`,
    });
  });

  it("filters query and fragment parameters and passwords of URLs under *url / *uri keys", () => {
    const event = scrubEvent({
      request: { url: "https://user:s3cret@example.com/cb?code=1&token=abc#access_token=xyz&state=2" },
      breadcrumbs: [{ data: { url: "/api?session=1" } }],
    });
    expect((event.request as { url: string }).url).toBe(
      `https://user:${FILTERED}@example.com/cb?code=1&token=${FILTERED}#access_token=${FILTERED}&state=2`,
    );
    expect(event.breadcrumbs).toEqual([{ data: { url: `/api?session=${FILTERED}` } }]);
  });

  it("leaves URLs without sensitive parts as they are", () => {
    expect(scrubUrl("https://example.com/a?b=1#top")).toBe("https://example.com/a?b=1#top");
    expect(scrubUrl("mailto:someone@example.com")).toBe("mailto:someone@example.com");
    expect(scrubUrl("?x=1&%zz=2", true)).toBe("?x=1&%zz=2");
  });
});

describe("payment card numbers", () => {
  it.each([
    ["4111 1111 1111 1111"],
    ["4111-1111-1111-1111"],
    ["4111111111111111"],
    ["5105105105105100"],
    ["378282246310005"],
    ["6011111111111117"],
    ["2026112812345675"],
  ])("filters %s (Luhn-valid)", (card) => {
    expect(filterCardNumbers(`paid with ${card}.`)).toBe(`paid with ${FILTERED}.`);
  });

  it.each([
    ["1234 5678 9012 3456", "fails Luhn"],
    ["2026112812345678", "an order id that fails Luhn"],
    ["1732800000009", "a Luhn-valid epoch-milliseconds timestamp (no card starts with 1)"],
    ["411111111111", "too short"],
    ["12345678-1234-1234-1234-123456789012", "an all-digit UUID (too long as a whole)"],
    ["abc4111111111111111", "glued to letters, part of an identifier"],
    ["4111111111111111abc", "glued to letters, part of an identifier"],
  ])("keeps %s: %s", (text) => {
    expect(filterCardNumbers(text)).toBe(text);
  });

  it("finds a card next to other numbers", () => {
    expect(filterCardNumbers("order 12 4111111111111111")).toBe(`order 12 ${FILTERED}`);
    expect(filterCardNumbers("4111 1111 1111 1111 12/25")).toBe(`${FILTERED} 12/25`);
    expect(filterCardNumbers("a 4111111111111111 and 5105105105105100")).toBe(
      `a ${FILTERED} and ${FILTERED}`,
    );
  });

  it("checks Luhn and the issuer digit", () => {
    expect(isCardNumber("4111111111111111")).toBe(true);
    expect(isCardNumber("4111111111111112")).toBe(false);
    expect(isCardNumber("1234567812345670")).toBe(false);
  });

  it("filters cards in any string of the event, and card numbers sent as JSON numbers", () => {
    const event = scrubEvent({
      exception: { values: [{ value: "charge failed for 4111 1111 1111 1111" }] },
      extra: { card: 4111111111111111, count: 4111, when: 1732800000009 },
      logentry: { params: ["4242424242424242"] },
    });
    expect(event.exception).toEqual({ values: [{ value: `charge failed for ${FILTERED}` }] });
    expect(event.extra).toEqual({ card: FILTERED, count: 4111, when: 1732800000009 });
    expect(event.logentry).toEqual({ params: [FILTERED] });
  });

  it("stays linear on long digit runs", () => {
    const ones = "1 ".repeat(100_000);
    expect(filterCardNumbers(ones)).toBe(ones);
    // Single digits joined by spaces are card-like by the rule; the point is that it finishes.
    expect(filterCardNumbers("4 ".repeat(100_000))).toMatch(/^(?:\[Filtered\]|[ 4])+$/);
  });
});

describe("depth", () => {
  it("replaces containers nested past MAX_DEPTH with null, scrubbing or not", () => {
    for (const walk of [scrubEvent, limitDepth]) {
      const payload = walk({ extra: nested(1000) });
      // `extra` itself sits at depth 1 below the event root.
      expect(depthOf(payload.extra)).toBe(MAX_DEPTH);
      expect(() => JSON.stringify(payload)).not.toThrow();
    }
  });

  it("keeps data within the limit untouched when not scrubbing", () => {
    const payload = { extra: { password: "p", card: "4111111111111111", deep: nested(5) } };
    expect(limitDepth(structuredClone(payload))).toEqual(payload);
  });

  it("bounds deeply nested lists too", () => {
    let list: unknown = "x";
    for (let i = 0; i < 1000; i++) list = [list];
    const payload = scrubEvent({ extra: list });
    expect(() => JSON.stringify(payload)).not.toThrow();
    expect(JSON.stringify(payload)).toContain("null");
  });
});
