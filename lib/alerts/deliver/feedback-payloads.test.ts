import { describe, expect, it } from "vitest";
import { type AlertFacts, type AlertFeedback, discordPayload, emailMessage, feedbackHeadline, feedbackIssue, slackPayload, webhookPayload } from "./payloads";

// What a new-feedback firing sends: the feedback is the headline everywhere, escaped as each
// receiver needs, and feedback without an issue links to the Feedback page.

const feedback: AlertFeedback = {
  id: "9",
  name: "Ana <script>",
  email: "ana@example.com",
  message: "Pay button\n does <nothing> & @everyone",
  url: "https://shop.example/cart",
  eventId: "b".repeat(32),
  associatedEventId: null,
  dateCreated: new Date("2026-12-04T12:00:00Z"),
};

const facts: AlertFacts = {
  appUrl: "https://errors.example.com",
  org: { slug: "acme", name: "Acme" },
  project: { id: 7, slug: "web", name: "Web" },
  rule: { id: 3, name: "Feedback" },
  issue: feedbackIssue(feedback),
  event: null,
  feedback,
  test: false,
};

describe("feedback notifications", () => {
  it("names the sender and the message on one line", () => {
    expect(feedbackHeadline(feedback)).toBe("New feedback from Ana <script> <ana@example.com>: Pay button does <nothing> & @everyone");
    expect(feedbackHeadline({ ...feedback, name: "", email: "" })).toMatch(/^New feedback from an anonymous user: /);
    expect(feedbackHeadline({ ...feedback, message: "x".repeat(5000) }).length).toBeLessThanOrEqual(500);
  });

  it("webhook: the headline as message, the feedback itself, the Feedback page without an issue", () => {
    const body = webhookPayload(facts);
    expect(body).toMatchObject({
      id: "0",
      message: feedbackHeadline(feedback),
      url: "https://errors.example.com/acme/feedback?project=web",
      feedback: { id: "9", comments: feedback.message, email: "ana@example.com", url: "https://shop.example/cart", associated_event_id: null },
      issue_title: null,
      event: { event_id: null },
    });
  });

  it("Slack escapes, Discord mentions nobody, email escapes HTML", () => {
    expect(JSON.stringify(slackPayload(facts))).toContain("does &lt;nothing&gt; &amp; @everyone");
    const discord = discordPayload(facts);
    expect(discord.allowed_mentions).toEqual({ parse: [] });
    expect(discord.embeds[0]!.title).toBe(`FEEDBACK: ${feedbackHeadline(feedback)}`);
    const mail = emailMessage(facts);
    expect(mail.subject).toBe(`[errorhub] FEEDBACK ${feedbackHeadline(feedback)}`);
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("does &lt;nothing&gt; &amp; @everyone");
    expect(mail.text).toContain("Pay button\n does <nothing>");
  });
});
