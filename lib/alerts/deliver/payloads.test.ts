import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type AlertFacts, discordPayload, emailMessage, sampleEvent, sampleIssue, slackEscape, slackPayload, webhookMessage, webhookPayload } from "./payloads";

type Block = { type: string; text?: { type: string; text: string }; fields?: { text: string }[]; elements?: unknown[] };

function facts(overrides: Partial<AlertFacts> = {}): AlertFacts {
  return {
    appUrl: "https://errors.example.com",
    org: { slug: "acme", name: "Acme & Co" },
    project: { id: 7, slug: "backend", name: "Backend <API>" },
    rule: { id: 3, name: "New issues" },
    issue: {
      id: 42,
      shortId: "BACKEND-12",
      title: "TypeError: x is <undefined> & broken",
      culprit: "app/handlers.js in handle",
      level: "error",
      platform: "node",
      status: "unresolved",
      timesSeen: 5,
      userCount: 2,
      firstSeen: new Date("2026-12-01T10:00:00Z"),
      lastSeen: new Date("2026-12-04T12:00:00Z"),
    },
    event: {
      eventId: "a".repeat(32),
      payload: { level: "warning", logger: "root", platform: "node", message: "hello", extra: { a: 1 } },
      tags: [
        ["environment", "production"],
        ["release", "1.2.3"],
      ],
      environment: "production",
      release: "1.2.3",
    },
    test: false,
    ...overrides,
  };
}

describe("webhook payload (Sentry's legacy webhook plugin)", () => {
  it("has the plugin's fields, the issue's URL, and the stored event with tags as pairs", () => {
    const payload = webhookPayload(facts());
    expect(payload).toMatchObject({
      id: "42",
      project: "backend",
      project_name: "Backend <API>",
      project_slug: "backend",
      logger: "root",
      level: "warning",
      culprit: "app/handlers.js in handle",
      message: "TypeError: x is <undefined> & broken",
      url: "https://errors.example.com/acme/issues/42",
      triggering_rules: ["New issues"],
    });
    expect(payload.event).toMatchObject({ event_id: "a".repeat(32), message: "hello", extra: { a: 1 }, tags: [["environment", "production"], ["release", "1.2.3"]] });
  });

  it("without the event (pruned), still names the issue", () => {
    const payload = webhookPayload(facts({ event: null }));
    expect(payload.level).toBe("error");
    expect(payload.event).toEqual({ event_id: null, tags: [] });
  });

  it("is signed with HMAC-SHA256 of the exact body when the rule has a secret, and not otherwise", () => {
    const signed = webhookMessage(facts(), "s3cret", Date.UTC(2026, 11, 4, 12) + 999);
    expect(signed.headers["Sentry-Hook-Signature"]).toBe(createHmac("sha256", "s3cret").update(signed.body).digest("hex"));
    expect(signed.headers["Sentry-Hook-Resource"]).toBe("event_alert");
    expect(signed.headers["Sentry-Hook-Timestamp"]).toBe(String(Date.UTC(2026, 11, 4, 12) / 1000));
    expect(signed.headers["Request-ID"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(signed.body).id).toBe("42");
    expect(webhookMessage(facts(), null).headers).toEqual({});
  });
});

describe("Slack message", () => {
  it("escapes Slack's control characters", () => {
    expect(slackEscape("a & <b> c")).toBe("a &amp; &lt;b&gt; c");
  });

  it("links the escaped title to the issue and lists project, environment, release and level", () => {
    const message = slackPayload(facts());
    expect(message.text).toBe("[backend] TypeError: x is <undefined> & broken");
    const [title, fields, context, actions] = message.blocks as Block[];
    expect(title!.type).toBe("section");
    expect(title!.text!.type).toBe("mrkdwn");
    expect(title!.text!.text).toBe(
      "*<https://errors.example.com/acme/issues/42|BACKEND-12: TypeError: x is &lt;undefined&gt; &amp; broken>*\napp/handlers.js in handle",
    );
    expect(fields!.fields!.map((f) => f.text)).toEqual([
      "*Project*\nBackend &lt;API&gt;",
      "*Environment*\nproduction",
      "*Release*\n1.2.3",
      "*Level*\nwarning",
    ]);
    expect(context!.type).toBe("context");
    expect(actions!.elements![0]).toEqual({ type: "button", text: { type: "plain_text", text: "View issue" }, url: "https://errors.example.com/acme/issues/42" });
  });

  it("keeps Block Kit's length limits with a huge title", () => {
    const message = slackPayload(facts({ issue: { ...facts().issue, title: "x".repeat(10_000), culprit: "y".repeat(10_000) } }));
    expect(message.text.length).toBeLessThanOrEqual(3000);
    for (const block of message.blocks as Block[]) {
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(3000);
      for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
    }
  });
});

describe("Discord message", () => {
  it("has one embed with the title linked, culprit, level colour, fields and timestamp", () => {
    const message = discordPayload(facts());
    expect(message.content).toContain("New issues");
    expect(message.allowed_mentions).toEqual({ parse: [] });
    const [embed] = message.embeds;
    expect(embed).toMatchObject({
      title: "BACKEND-12: TypeError: x is <undefined> & broken",
      url: "https://errors.example.com/acme/issues/42",
      description: "app/handlers.js in handle",
      color: 0xf5a623,
      timestamp: "2026-12-04T12:00:00.000Z",
    });
    expect(embed!.fields).toEqual([
      { name: "Project", value: "Backend <API>", inline: true },
      { name: "Environment", value: "production", inline: true },
      { name: "Release", value: "1.2.3", inline: true },
      { name: "Level", value: "warning", inline: true },
    ]);
  });

  it("keeps Discord's limits", () => {
    const long = facts({ issue: { ...facts().issue, title: "t".repeat(5000), culprit: "c".repeat(9000) } });
    long.event!.release = "r".repeat(3000);
    const [embed] = discordPayload(long).embeds;
    expect(embed!.title.length).toBe(256);
    expect(embed!.description.length).toBe(4096);
    expect(embed!.fields.every((f) => f.value.length <= 1024)).toBe(true);
  });
});

describe("email", () => {
  it("says what happened in text and escaped HTML, with the issue link and the settings link", () => {
    const mail = emailMessage(facts());
    expect(mail.subject).toBe("[errorhub] BACKEND-12 TypeError: x is <undefined> & broken");
    expect(mail.text).toContain("TypeError: x is <undefined> & broken");
    expect(mail.text).toContain("Events: 5");
    expect(mail.text).toContain("Users: 2");
    expect(mail.text).toContain("Environment: production");
    expect(mail.text).toContain("View the issue: https://errors.example.com/acme/issues/42");
    expect(mail.text).toContain('alert rule "New issues"');
    expect(mail.text).toContain("https://errors.example.com/acme/settings/notifications");
    expect(mail.html).toContain("TypeError: x is &lt;undefined&gt; &amp; broken");
    expect(mail.html).toContain("Backend &lt;API&gt;");
    expect(mail.html).not.toContain("<undefined>");
    expect(mail.html).toContain('href="https://errors.example.com/acme/settings/notifications"');
  });

  it("keeps line breaks out of the subject", () => {
    expect(emailMessage(facts({ issue: { ...facts().issue, title: "a\r\nBcc: x@example.com" } })).subject).not.toMatch(/[\r\n]/);
  });
});

describe("test notification sample", () => {
  it("is titled as a test and links to the issue list", () => {
    const sample = facts({ issue: sampleIssue(), event: sampleEvent(), test: true });
    expect(sample.issue.title).toMatch(/test/i);
    expect(webhookPayload(sample).event).toMatchObject({ event_id: expect.stringMatching(/^[0-9a-f]{32}$/), level: "error" });
    expect(webhookPayload(sample).url).toBe("https://errors.example.com/acme/issues");
    expect(emailMessage(sample).subject).toMatch(/^\[errorhub test\]/);
    expect(slackPayload(sample).text).toMatch(/^\[test\]/);
  });
});
