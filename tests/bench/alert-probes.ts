import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { SMTPServer } from "smtp-server";
import { percentile } from "./harness";
import { probeEnvelope } from "./processing-payloads";

// The pieces of the processing benchmark's alerts scenario (processing.bench.ts): a webhook
// receiver and an SMTP sink in the bench process, the rules a busy project and a probe project
// get, and the probes that time an event's acceptance until its alert arrives.

export type Arrival = { path: string; eventId: string | null; at: number };

/** A node:http server keeping every POST it is sent: its path, the event id in its body, when. */
export class AlertReceiver {
  readonly arrivals: Arrival[] = [];
  private readonly listeners = new Set<(arrival: Arrival) => void>();
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const at = performance.now();
        let eventId: string | null = null;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString());
          eventId =
            typeof body?.event?.event_id === "string" ? body.event.event_id.replaceAll("-", "") : null;
        } catch {}
        const arrival = { path: req.url ?? "", eventId, at };
        this.arrivals.push(arrival);
        for (const listener of this.listeners) listener(arrival);
        res.writeHead(200).end("ok");
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  onArrival(listener: (arrival: Arrival) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  countOf(pathPrefix: string): number {
    return this.arrivals.filter((a) => a.path.startsWith(pathPrefix)).length;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }
}

/** An SMTP server that accepts and counts messages per recipient. */
export class SmtpSink {
  readonly received: string[] = [];
  private server: SMTPServer | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData: (stream, session, callback) => {
        stream.on("data", () => {});
        stream.on("end", () => {
          for (const rcpt of session.envelope.rcptTo) this.received.push(rcpt.address);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", () => resolve()));
    const { port } = this.server.server.address() as AddressInfo;
    this.url = `smtp://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

const FIRST_SEEN = "sentry.rules.conditions.first_seen_event.FirstSeenEventCondition";
const EVERY_EVENT = "sentry.rules.conditions.every_event.EveryEventCondition";
const EVENT_FREQUENCY = "sentry.rules.conditions.event_frequency.EventFrequencyCondition";
const LEVEL_FILTER = "sentry.rules.filters.level.LevelFilter";
const EMAIL = "sentry.mail.actions.NotifyEmailAction";

async function insertRule(
  client: pg.Client,
  projectId: number,
  rule: { name: string; frequency: number; conditions: object[]; filters?: object[]; actions: object[] },
): Promise<void> {
  await client.query(
    `insert into alert_rules (project_id, name, action_match, filter_match, frequency, conditions, filters, actions)
     values ($1, $2, 'any', 'all', $3, $4, $5, $6)`,
    [
      projectId,
      rule.name,
      rule.frequency,
      JSON.stringify(rule.conditions),
      JSON.stringify(rule.filters ?? []),
      JSON.stringify(rule.actions),
    ],
  );
}

/**
 * What a busy project of a team that relies on alerts has: Sentry's default rule (email on a
 * new issue, here to all members so the count is certain), a webhook on every event of an
 * error (level filter), once per issue per 5 minutes, and a Slack-shaped message when an issue
 * passes 100 events in a minute (which keeps the per-minute counters moving).
 */
export async function insertBusyProjectRules(
  client: pg.Client,
  projectId: number,
  receiver: string,
  kinds: string[] = ["email", "webhook", "slack"],
): Promise<void> {
  const unknown = kinds.filter((k) => !["email", "webhook", "slack"].includes(k));
  if (unknown.length > 0)
    throw new Error(`unknown alert rule kind ${unknown.join(", ")} (want email, webhook, slack)`);
  if (kinds.includes("email"))
    await insertRule(client, projectId, {
      name: "Send a notification for new issues",
      frequency: 5,
      conditions: [{ id: FIRST_SEEN }],
      actions: [{ id: EMAIL, targetType: "IssueOwners", fallthroughType: "AllMembers" }],
    });
  if (kinds.includes("webhook"))
    await insertRule(client, projectId, {
      name: "Every error to the webhook",
      frequency: 5,
      conditions: [{ id: EVERY_EVENT }],
      filters: [{ id: LEVEL_FILTER, match: "gte", level: "error" }],
      actions: [{ id: "errorhub.actions.webhook", url: `${receiver}/busy/${projectId}/webhook` }],
    });
  if (kinds.includes("slack"))
    await insertRule(client, projectId, {
      name: "Busy issue",
      frequency: 60,
      conditions: [{ id: EVENT_FREQUENCY, interval: "1m", value: 100 }],
      actions: [{ id: "errorhub.actions.slack", webhookUrl: `${receiver}/busy/${projectId}/slack` }],
    });
}

/** The probe project's rule: a webhook for each new issue (every probe is a new issue). */
export async function insertProbeRule(client: pg.Client, projectId: number, receiver: string): Promise<void> {
  await insertRule(client, projectId, {
    name: "Probe",
    frequency: 5,
    conditions: [{ id: FIRST_SEEN }],
    actions: [{ id: "errorhub.actions.webhook", url: `${receiver}/probe` }],
  });
}

type Probe = {
  eventId: string;
  sentAt: number;
  acceptedAt: number | null;
  deliveredAt: number | null;
  status: number | null;
};
export type LatencyStats = {
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
  lost: number;
};

export function latencyStats(latencies: number[]): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) ?? null,
    lost: sorted.filter((l) => l === Number.POSITIVE_INFINITY).length,
  };
}

/**
 * Sends one event of a new issue to the probe project every `intervalMs` and times, for each,
 * the 200 of ingest (acceptance) to its webhook's arrival at the receiver.
 */
export class AlertProbes {
  private readonly probes: Probe[] = [];
  private readonly byEventId = new Map<string, Probe>();
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    receiver: AlertReceiver,
    private readonly target: { ingestUrl: string; projectId: number; publicKey: string },
    private readonly firstShape: number,
  ) {
    this.unsubscribe = receiver.onArrival((arrival) => {
      if (!arrival.path.startsWith("/probe") || !arrival.eventId) return;
      const probe = this.byEventId.get(arrival.eventId);
      if (probe && probe.deliveredAt === null) probe.deliveredAt = arrival.at;
    });
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => this.send(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Waits until every accepted probe's alert has arrived, or `timeoutMs` has passed. */
  async settle(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (
      performance.now() < deadline &&
      this.probes.some((p) => p.status === null || (p.status === 200 && p.deliveredAt === null))
    )
      await new Promise((resolve) => setTimeout(resolve, 50));
    this.unsubscribe();
  }

  /** Acceptance to arrival of each accepted probe, in ms; a lost probe (never arrived) is Infinity. */
  latencies(): number[] {
    return this.probes
      .filter((p) => p.status === 200)
      .map((p) => (p.deliveredAt === null ? Number.POSITIVE_INFINITY : p.deliveredAt - p.acceptedAt!));
  }

  non200(): number {
    return this.probes.filter((p) => p.status !== 200).length;
  }

  private send(): void {
    const { ingestUrl, projectId, publicKey } = this.target;
    const seq = this.probes.length;
    const dsn = `${ingestUrl.replace("://", `://${publicKey}@`)}/${projectId}`;
    const { eventId, body } = probeEnvelope(seq, this.firstShape + seq, dsn, publicKey);
    const probe: Probe = {
      eventId,
      sentAt: performance.now(),
      acceptedAt: null,
      deliveredAt: null,
      status: null,
    };
    this.probes.push(probe);
    this.byEventId.set(eventId, probe);
    fetch(`${ingestUrl}/api/${projectId}/envelope/?sentry_key=${publicKey}&sentry_version=7`, {
      method: "POST",
      body: new Uint8Array(body),
      headers: { "content-type": "application/x-sentry-envelope" },
    })
      .then(async (res) => {
        await res.arrayBuffer();
        probe.acceptedAt = performance.now();
        probe.status = res.status;
      })
      .catch(() => {
        probe.status = 0;
      });
  }
}
