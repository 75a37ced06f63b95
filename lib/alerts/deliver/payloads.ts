import { createHmac, randomBytes, randomUUID } from "node:crypto";

// What each receiver is sent when a rule fires: pure functions of the alert's facts, so their
// shapes are checked by unit tests without a receiver.

/** Everything a notification says about one firing, loaded by the delivery job. */
export type AlertFacts = {
  appUrl: string;
  org: { slug: string; name: string };
  project: { id: number; slug: string; name: string };
  rule: { id: number; name: string };
  issue: {
    id: number;
    /** e.g. "BACKEND-12" */
    shortId: string;
    title: string;
    culprit: string;
    level: string;
    platform: string;
    status: string;
    timesSeen: number;
    userCount: number;
    firstSeen: Date;
    lastSeen: Date;
  };
  /** The stored event (the normalized SDK payload), when it is still there. */
  event: { eventId: string; payload: Record<string, unknown>; tags: [string, string][]; environment: string | null; release: string | null } | null;
  /**
   * The feedback a new-feedback firing is about (absent or null for event firings). Without an
   * issue of its own, `issue` is feedbackIssue()'s stand-in (id 0).
   */
  feedback?: AlertFeedback | null;
  /** A test notification, not a rule that fired. */
  test: boolean;
};

export type AlertFeedback = {
  id: string;
  name: string;
  email: string;
  message: string;
  url: string | null;
  /** the feedback's own event id */
  eventId: string;
  /** the error event it is about */
  associatedEventId: string | null;
  dateCreated: Date;
};

export type HttpMessage = { body: string; headers: Record<string, string> };

export function issueUrl(facts: AlertFacts): string {
  // Feedback without an issue is read on the Feedback page.
  if (facts.issue.id === 0 && facts.feedback)
    return `${facts.appUrl}/${facts.org.slug}/feedback?project=${encodeURIComponent(facts.project.slug)}`;
  // A test notification's sample issue (id 0) has no page: link to the issue list instead.
  if (facts.issue.id === 0) return `${facts.appUrl}/${facts.org.slug}/issues`;
  return `${facts.appUrl}/${facts.org.slug}/issues/${facts.issue.id}`;
}

export function notificationSettingsUrl(facts: AlertFacts): string {
  return `${facts.appUrl}/${facts.org.slug}/settings/notifications`;
}

/** "New feedback from Ana <ana@example.com>: the button does nothing" */
export function feedbackHeadline(feedback: AlertFeedback): string {
  const who = [feedback.name, feedback.email && `<${feedback.email}>`].filter(Boolean).join(" ") || "an anonymous user";
  return clip(`New feedback from ${who}: ${feedback.message}`.replace(/\s+/g, " "), 500);
}

/** What a notification is titled: the issue's title, or for a feedback firing the feedback. */
const headline = (facts: AlertFacts) => (facts.feedback ? feedbackHeadline(facts.feedback) : facts.issue.title);

const level = (facts: AlertFacts) => (typeof facts.event?.payload.level === "string" ? facts.event.payload.level : facts.issue.level);
const environment = (facts: AlertFacts) => facts.event?.environment ?? null;
const release = (facts: AlertFacts) => facts.event?.release ?? null;
const logger = (facts: AlertFacts) => (typeof facts.event?.payload.logger === "string" ? facts.event.payload.logger : null);

// --- webhook: Sentry's legacy webhook plugin payload -------------------------------------------

export function webhookPayload(facts: AlertFacts) {
  const event = facts.event;
  return {
    id: String(facts.issue.id),
    project: facts.project.slug,
    project_name: facts.project.name,
    project_slug: facts.project.slug,
    logger: logger(facts),
    level: level(facts),
    culprit: facts.issue.culprit,
    message: headline(facts),
    url: issueUrl(facts),
    triggering_rules: [facts.rule.name],
    ...(facts.feedback ? { feedback: feedbackPayload(facts.feedback), issue_title: facts.issue.id === 0 ? null : facts.issue.title } : {}),
    event: event
      ? { ...event.payload, event_id: event.eventId, id: event.eventId, tags: event.tags }
      : { event_id: null, tags: [] as [string, string][] },
  };
}

function feedbackPayload(feedback: AlertFeedback) {
  return {
    id: feedback.id,
    name: feedback.name,
    email: feedback.email,
    comments: feedback.message,
    url: feedback.url,
    event_id: feedback.eventId,
    associated_event_id: feedback.associatedEventId,
    date_created: feedback.dateCreated.toISOString(),
  };
}

/**
 * The webhook's body and headers; with the rule's secret, signed the way Sentry's integration
 * webhooks are, so a receiver can check the body came from us.
 */
export function webhookMessage(facts: AlertFacts, secret: string | null, now = Date.now()): HttpMessage {
  const body = JSON.stringify(webhookPayload(facts));
  const headers: Record<string, string> = {};
  if (secret) {
    headers["Sentry-Hook-Signature"] = signBody(secret, body);
    headers["Sentry-Hook-Resource"] = "event_alert";
    headers["Sentry-Hook-Timestamp"] = String(Math.floor(now / 1000));
    headers["Request-ID"] = randomUUID();
  }
  return { body, headers };
}

export function signBody(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body, "utf8").digest("hex");
}

// --- Slack: an incoming webhook message with Block Kit ------------------------------------------

// Slack's mrkdwn treats these three as control characters; everything else is literal.
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const SLACK_SECTION_TEXT = 3000;
const SLACK_FIELD_TEXT = 2000;
const SLACK_BUTTON_TEXT = 75;

export function slackPayload(facts: AlertFacts) {
  const url = issueUrl(facts);
  const prefix = facts.test ? "[test] " : "";
  // The link's own characters are not escaped (Slack parses <url|label>); the label is.
  const link = `<${url}|${slackEscape(clip(`${prefix}${facts.issue.shortId}: ${headline(facts)}`, 500))}>`;
  const culprit = facts.issue.culprit ? `\n${slackEscape(clip(facts.issue.culprit, 1000))}` : "";
  const fields = [
    ["Project", facts.project.name],
    ["Environment", environment(facts) ?? "(none)"],
    ["Release", release(facts) ?? "(none)"],
    ["Level", level(facts)],
  ].map(([name, value]) => ({ type: "mrkdwn", text: clip(`*${name}*\n${slackEscape(value!)}`, SLACK_FIELD_TEXT) }));
  return {
    text: clip(`${prefix}[${facts.project.slug}] ${headline(facts)}`, SLACK_SECTION_TEXT),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: clip(`*${link}*${culprit}`, SLACK_SECTION_TEXT) } },
      { type: "section", fields },
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: clip(slackEscape(`Alert rule: ${facts.rule.name} · ${facts.org.name}`), SLACK_SECTION_TEXT) }],
      },
      {
        type: "actions",
        elements: [{ type: "button", text: { type: "plain_text", text: clip("View issue", SLACK_BUTTON_TEXT) }, url }],
      },
    ],
  };
}

// --- Discord: an execute-webhook body with one embed --------------------------------------------

const LEVEL_COLORS: Record<string, number> = {
  fatal: 0xd1002d,
  error: 0xe03e2f,
  warning: 0xf5a623,
  info: 0x2d7ff9,
  debug: 0x8c8c8c,
};

export function discordPayload(facts: AlertFacts) {
  const lvl = level(facts);
  const prefix = facts.test ? "[test] " : "";
  return {
    content: clip(`${prefix}Alert **${facts.rule.name}** in ${facts.project.name}`, 2000),
    // Discord would otherwise ping @everyone or roles written in an issue title.
    allowed_mentions: { parse: [] as string[] },
    embeds: [
      {
        title: clip(`${facts.issue.shortId}: ${headline(facts)}`, 256),
        url: issueUrl(facts),
        description: clip(facts.issue.culprit || "(no culprit)", 4096),
        color: LEVEL_COLORS[lvl] ?? LEVEL_COLORS.error,
        fields: [
          ["Project", facts.project.name],
          ["Environment", environment(facts) ?? "(none)"],
          ["Release", release(facts) ?? "(none)"],
          ["Level", lvl],
        ].map(([name, value]) => ({ name: name!, value: clip(value!, 1024), inline: true })),
        timestamp: facts.issue.lastSeen.toISOString(),
      },
    ],
  };
}

// --- email ---------------------------------------------------------------------------------------

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

export function emailMessage(facts: AlertFacts): { subject: string; text: string; html: string } {
  const url = issueUrl(facts);
  const settings = notificationSettingsUrl(facts);
  const prefix = facts.test ? "[errorhub test] " : "[errorhub] ";
  const subject = clip(`${prefix}${facts.issue.shortId} ${headline(facts)}`.replace(/[\r\n]+/g, " "), 250);
  const rows: [string, string][] = [
    ["Project", facts.project.name],
    ["Environment", environment(facts) ?? "(none)"],
    ["Release", release(facts) ?? "(none)"],
    ["Level", level(facts)],
    ["Events", String(facts.issue.timesSeen)],
    ["Users", String(facts.issue.userCount)],
    ["First seen", facts.issue.firstSeen.toISOString()],
    ["Last seen", facts.issue.lastSeen.toISOString()],
  ];
  const footer = `You received this because of the alert rule "${facts.rule.name}" in ${facts.org.name}.`;
  const text = [
    facts.test ? "This is a test notification.\n" : null,
    headline(facts),
    facts.feedback ? facts.feedback.message : null,
    facts.issue.culprit || null,
    "",
    ...rows.map(([name, value]) => `${name}: ${value}`),
    "",
    `View the issue: ${url}`,
    "",
    "--",
    footer,
    `Choose which alert emails you get: ${settings}`,
  ]
    .filter((line) => line !== null)
    .join("\n");
  const html = `<!doctype html><html><body style="font-family:sans-serif;color:#111">
${facts.test ? "<p><em>This is a test notification.</em></p>\n" : ""}<h2 style="margin:0 0 4px"><a href="${escapeHtml(url)}">${escapeHtml(headline(facts))}</a></h2>
${facts.feedback ? `<blockquote style="white-space:pre-wrap">${escapeHtml(facts.feedback.message)}</blockquote>\n` : ""}
<p style="margin:0 0 12px;color:#555">${escapeHtml(facts.issue.culprit)}</p>
<table cellpadding="4" style="border-collapse:collapse">
${rows.map(([name, value]) => `<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join("\n")}
</table>
<p><a href="${escapeHtml(url)}">View the issue</a></p>
<hr><p style="color:#777;font-size:12px">${escapeHtml(footer)} <a href="${escapeHtml(settings)}">Notification settings</a></p>
</body></html>`;
  return { subject, text, html };
}

// --- feedback that belongs to no issue -------------------------------------------------------------

/** The issue fields of a feedback firing without an issue: id 0, titled by the feedback. */
export function feedbackIssue(feedback: AlertFeedback): AlertFacts["issue"] {
  return {
    id: 0,
    shortId: "FEEDBACK",
    title: feedbackHeadline(feedback),
    culprit: feedback.url ?? "",
    level: "info",
    platform: "other",
    status: "unresolved",
    timesSeen: 1,
    userCount: 0,
    firstSeen: feedback.dateCreated,
    lastSeen: feedback.dateCreated,
  };
}

// --- the sample a test notification sends when the project has no issue yet ---------------------

export function sampleIssue(now = new Date()): AlertFacts["issue"] {
  return {
    id: 0,
    shortId: "TEST-0",
    title: "Test notification: this is what an alert looks like",
    culprit: "errorhub.test_notification",
    level: "error",
    platform: "other",
    status: "unresolved",
    timesSeen: 1,
    userCount: 0,
    firstSeen: now,
    lastSeen: now,
  };
}

/**
 * The sample event that goes with the sample issue: a real-looking event id, so a receiver that
 * keys on `event.event_id` handles a test like any alert.
 */
export function sampleEvent(now = new Date()): NonNullable<AlertFacts["event"]> {
  const eventId = randomBytes(16).toString("hex");
  const tags: [string, string][] = [
    ["level", "error"],
    ["environment", "production"],
  ];
  return {
    eventId,
    payload: {
      event_id: eventId,
      level: "error",
      platform: "other",
      logger: "errorhub",
      timestamp: now.toISOString(),
      message: "This is a test notification from errorhub",
      environment: "production",
    },
    tags,
    environment: "production",
    release: null,
  };
}
