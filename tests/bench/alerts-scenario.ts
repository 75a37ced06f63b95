import type pg from "pg";
import {
  type AlertReceiver,
  AlertProbes,
  insertBusyProjectRules,
  insertProbeRule,
  type LatencyStats,
  latencyStats,
  type SmtpSink,
} from "./alert-probes";
import { log, printRows } from "./harness";

// The processing benchmark's alerts scenario: pairs of the same small-event flood, one on a
// project without rules and one on a project with three, in alternating order (the machine's
// speed drifts by tens of percent within minutes, so only a ratio within a pair means much);
// during each flood with rules, probes of another project time acceptance to webhook delivery.

type Tenant = { label: string; orgId: number; projectId: number; publicKey: string };
type Flood = { e2eRate: number; completed: boolean; checks: Record<string, boolean> };
type FloodHooks = { onStart?: () => void; isDone?: (done: boolean) => void };

export type AlertsResult = {
  pairs: {
    plainRate: number;
    rulesRate: number;
    ratio: number;
    issues: number;
    webhooks: number;
    emails: number;
    slack: number;
    floodsOk: boolean;
  }[];
  medianRatio: number | null;
  /** another project's new issues, acceptance to webhook, during the floods without and with rules */
  latency: { plain: LatencyStats; rules: LatencyStats };
  probesNon200: number;
  checksOk: boolean;
};

export async function runAlertPairs(options: {
  pgc: pg.Client;
  ingestUrl: string;
  receiver: AlertReceiver;
  smtp: SmtpSink;
  pairs: number;
  n: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** which of the busy project's rules (email, webhook, slack) it gets */
  rules: string[];
  createTenant: (label: string) => Promise<Tenant>;
  flood: (label: string, tenant: Tenant, hooks: FloodHooks) => Promise<Flood>;
}): Promise<AlertsResult> {
  const { pgc, receiver, smtp } = options;
  log(
    `alerts: ${options.pairs} pairs of ${options.n}-event small floods, without and with rules, alternating; probes every ${options.probeIntervalMs} ms time acceptance -> webhook`,
  );
  const pairs: AlertsResult["pairs"] = [];
  const latencies = { plain: [] as number[], rules: [] as number[] };
  let probesNon200 = 0;
  let probeProjects = 0;
  // One flood, with probes of a project of their own (a first-seen webhook rule) running
  // from its first send until it is counted.
  const probedFlood = async (label: string, tenant: Tenant, into: number[]) => {
    const probeTenant = await options.createTenant(`alerts-probe-${probeProjects}`);
    await insertProbeRule(pgc, probeTenant.projectId, receiver.url);
    const probes = new AlertProbes(
      receiver,
      { ingestUrl: options.ingestUrl, ...probeTenant },
      100_000 * ++probeProjects,
    );
    const flood = await options.flood(label, tenant, {
      onStart: () => probes.start(options.probeIntervalMs),
      isDone: (done) => done && probes.stop(),
    });
    probes.stop();
    await probes.settle(options.probeTimeoutMs);
    into.push(...probes.latencies());
    probesNon200 += probes.non200();
    return flood;
  };
  for (let i = 0; i < options.pairs; i++) {
    let plain: Flood | undefined;
    let rules: { flood: Flood; tenant: Tenant } | undefined;
    for (const withRules of i % 2 === 0 ? [false, true] : [true, false]) {
      const tenant = await options.createTenant(`alerts-${withRules ? "rules" : "plain"}-${i}`);
      if (!withRules) {
        plain = await probedFlood(`alerts-plain-${i}`, tenant, latencies.plain);
        continue;
      }
      await insertBusyProjectRules(pgc, tenant.projectId, receiver.url, options.rules);
      // Email goes only to verified addresses.
      await pgc.query(
        "update users set email_verified_at = now() where id in (select user_id from memberships where org_id = $1)",
        [tenant.orgId],
      );
      rules = { flood: await probedFlood(`alerts-rules-${i}`, tenant, latencies.rules), tenant };
    }
    const { flood, tenant } = rules!;
    const settled = await settleDeliveries(pgc, tenant.projectId, 60_000);
    const [{ issues, email }] = (
      await pgc.query<{ issues: number; email: string }>(
        `select (select count(*)::int from issues where project_id = $1) as issues,
                (select u.email from users u join memberships m on m.user_id = u.id where m.org_id = $2 limit 1) as email`,
        [tenant.projectId, tenant.orgId],
      )
    ).rows as [{ issues: number; email: string }];
    const pair = {
      plainRate: plain!.e2eRate,
      rulesRate: flood.e2eRate,
      ratio: flood.e2eRate / plain!.e2eRate,
      issues,
      webhooks: receiver.countOf(`/busy/${tenant.projectId}/webhook`),
      emails: smtp.received.filter((to) => to === email).length,
      slack: receiver.countOf(`/busy/${tenant.projectId}/slack`),
      floodsOk:
        settled && [plain!, flood].every((f) => f.completed && Object.values(f.checks).every(Boolean)),
    };
    log(
      `alerts pair ${i + 1}: ${pair.plainRate.toFixed(0)}/s without rules, ${pair.rulesRate.toFixed(0)}/s with (x${pair.ratio.toFixed(3)}); ` +
        `${pair.webhooks} webhooks, ${pair.emails} emails, ${pair.slack} Slack messages for ${issues} issues`,
    );
    pairs.push(pair);
  }
  const ratios = pairs.map((p) => p.ratio).sort((a, b) => a - b);
  const middle = Math.floor(ratios.length / 2);
  const medianRatio =
    ratios.length === 0 ? null : ratios.length % 2 === 1 ? ratios[middle]! : (ratios[middle - 1]! + ratios[middle]!) / 2;
  const latency = { plain: latencyStats(latencies.plain), rules: latencyStats(latencies.rules) };
  return {
    pairs,
    medianRatio,
    latency,
    probesNon200,
    // Every issue of a busy project got one webhook (every error, at most once per 5 minutes)
    // and one email (new issue), every probe's alert arrived.
    checksOk:
      probesNon200 === 0 &&
      latency.plain.lost + latency.rules.lost === 0 &&
      pairs.every(
        (p) =>
          p.floodsOk &&
          p.webhooks === (options.rules.includes("webhook") ? p.issues : 0) &&
          p.emails === (options.rules.includes("email") ? p.issues : 0),
      ),
  };
}

/** Waits until none of the project's deliveries is pending or retrying; false on timeout. */
async function settleDeliveries(pgc: pg.Client, projectId: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pgc.query<{ open: number }>(
      `select count(*)::int as open from alert_deliveries d join alert_rules r on r.id = d.rule_id
       where r.project_id = $1 and d.status in ('pending', 'retrying')`,
      [projectId],
    );
    if (rows[0]!.open === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function printAlerts(a: AlertsResult): void {
  const rows = [
    ["pair", "without rules /s", "with rules /s", "ratio", "issues", "webhooks", "emails", "slack", "ok"],
  ];
  for (const [i, p] of a.pairs.entries())
    rows.push([
      String(i + 1),
      p.plainRate.toFixed(0),
      p.rulesRate.toFixed(0),
      p.ratio.toFixed(3),
      String(p.issues),
      String(p.webhooks),
      String(p.emails),
      String(p.slack),
      p.floodsOk ? "yes" : "no",
    ]);
  printRows(rows);
  const ms = (v: number | null) => (v === null ? "-" : Number.isFinite(v) ? v.toFixed(0) : "lost");
  for (const [during, l] of [
    ["without rules", a.latency.plain],
    ["with rules", a.latency.rules],
  ] as const)
    console.log(
      `accepted -> webhook delivered, another project's new issues, during the floods ${during}: n ${l.n}, ` +
        `p50 ${ms(l.p50)} ms, p95 ${ms(l.p95)} ms, max ${ms(l.max)} ms, lost ${l.lost}`,
    );
  console.log(`probes answered other than 200: ${a.probesNon200}`);
  console.log(`median ratio of end-to-end rates with rules / without: ${a.medianRatio?.toFixed(3) ?? "-"}`);
}

export function alertsJson(a: AlertsResult) {
  const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : Math.round(v));
  return {
    scenario: "alerts",
    pairs: a.pairs.map((p) => ({
      ...p,
      plainRate: Math.round(p.plainRate),
      rulesRate: Math.round(p.rulesRate),
      ratio: Number(p.ratio.toFixed(4)),
    })),
    median_ratio: a.medianRatio === null ? null : Number(a.medianRatio.toFixed(4)),
    latency_ms: Object.fromEntries(
      Object.entries(a.latency).map(([during, l]) => [
        during,
        { n: l.n, p50: finite(l.p50), p95: finite(l.p95), max: finite(l.max), lost: l.lost },
      ]),
    ),
    probes_non200: a.probesNon200,
    checks_ok: a.checksOk,
  };
}
