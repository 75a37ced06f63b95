import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isFailedStatus, SKETCH_RELATIVE_ACCURACY } from "@/lib/performance/sketch";
import { listTransactionGroups, parseTransactionGroupQuery } from "@/lib/performance/summaries";
import { type Scope, unsafeCreateApiToken } from "@/lib/tokens";
import { callApi } from "../support/api";
import { drainAll } from "../support/drain";
import { createOrgWithProject } from "../support/factories";
import { startIngest } from "../support/ingest";
import { run } from "../support/processes";

// The transactions list from what the official @sentry/node 11 SDK sends with tracing on
// (tracesSampleRate 1, an HTTP server it instruments, nested startSpan, a failing request that
// captures an error), through the real ingest and the worker's drain: each group's figures
// against the exact values of the transactions the SDK printed as it sent them
// (tests/support/sentry-summaries.mjs), and the API's answer for that org and another.

type Tenant = Awaited<ReturnType<typeof createOrgWithProject>>;
type Sent = { name: string; op: string; status: string; ms: number; spans: number };

const HOUR = 3_600_000;
const APDEX_T = 300;
let A: Tenant;
let B: Tenant;
let ingest: Awaited<ReturnType<typeof startIngest>>;
let sent: Sent[] = [];
let errors: string[] = [];
let started = 0;
const tokens = {} as Record<"a" | "b", string>;

const token = async (t: Tenant, scopes: Scope[]) =>
  (await unsafeCreateApiToken({ userId: t.user.id, orgId: t.org.id, name: "test", scopes })).token;
const nearestRank = (sorted: number[], q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
const within = (actual: number | null, expected: number) =>
  expect(Math.abs(actual! - expected) / expected).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY);

beforeAll(async () => {
  A = await createOrgWithProject();
  B = await createOrgWithProject();
  tokens.a = await token(A, ["event:read"]);
  tokens.b = await token(B, ["event:read"]);
  ingest = await startIngest();
  started = Date.now();
  const dsn = `${ingest.base.replace("//", `//${A.key.publicKey}@`)}/${A.project.id}`;
  const child = await run(process.execPath, ["tests/support/sentry-summaries.mjs"], { SENTRY_DSN: dsn });
  expect(child.code, child.output).toBe(0);
  expect(child.output).toContain("flushed true");
  sent = [...child.output.matchAll(/^sent (.+)$/gm)].map((m) => JSON.parse(m[1]!) as Sent);
  errors = [...child.output.matchAll(/^exception (\S+)$/gm)].map((m) => m[1]!);
  expect(sent.length).toBe(28);
  expect(errors.length).toBe(4);
  await drainAll(A.project.id);
}, 90_000);

afterAll(() => ingest.close());

/** What the SDK sent, per transaction name and op. */
function sentGroups(): Map<string, Sent[]> {
  const out = new Map<string, Sent[]>();
  for (const s of sent) out.set(`${s.name}\n${s.op}`, [...(out.get(`${s.name}\n${s.op}`) ?? []), s]);
  return out;
}

describe("transaction groups from @sentry/node 11", () => {
  it("have the exact counts, failure rate, throughput and Apdex of what was sent, percentiles within 1%", async () => {
    const now = Date.now();
    const query = parseTransactionGroupQuery(
      new URLSearchParams({
        start: new Date(started - 60_000).toISOString(),
        end: new Date(now).toISOString(),
      }),
      now,
    );
    const { groups } = await listTransactionGroups(
      { userId: A.user.id, orgId: A.org.id, role: "member" },
      query,
      now,
    );
    const expected = sentGroups();
    expect(groups).toHaveLength(expected.size);
    const minutes = (now - Math.floor((started - 60_000) / HOUR) * HOUR) / 60_000;
    for (const [key, list] of expected) {
      const [name, op] = key.split("\n");
      const row = groups.find((g) => g.transaction === name && g.op === op);
      expect(row, key).toBeDefined();
      const durations = list.map((s) => s.ms).sort((a, b) => a - b);
      expect(row!.method).toBe("GET");
      expect(row!.count).toBe(list.length);
      expect(row!.throughput).toBeCloseTo(list.length / minutes, 9);
      expect(row!.avgDuration).toBeCloseTo(durations.reduce((a, b) => a + b, 0) / list.length, 3);
      for (const [q, field] of [
        [0.5, "p50"],
        [0.75, "p75"],
        [0.95, "p95"],
        [0.99, "p99"],
      ] as const)
        within(row![field], nearestRank(durations, q));
      expect(row!.failureRate).toBe(list.filter((s) => isFailedStatus(s.status)).length / list.length);
      // Apdex exactly, unless a duration is within the sketch's accuracy of T or 4T
      if (!durations.some((d) => [APDEX_T, 4 * APDEX_T].some((b) => Math.abs(d - b) / b <= 0.011))) {
        const satisfied = durations.filter((d) => d <= APDEX_T).length;
        const tolerating = durations.filter((d) => d > APDEX_T && d <= 4 * APDEX_T).length;
        expect(row!.apdex).toBeCloseTo((satisfied + tolerating / 2) / list.length, 12);
      }
    }
    const orders = groups.find((g) => g.transaction === "GET /orders")!;
    expect(orders).toMatchObject({ op: "http.server", count: 24, failureRate: 0, errorCount: 0 });
    // the four /fail requests answered 500 after capturing an error each
    const fail = groups.find((g) => g.transaction === "GET /fail")!;
    expect(fail).toMatchObject({ op: "http.server", count: 4, failureRate: 1, errorCount: 4 });
    expect(sent.every((s) => s.spans >= 2)).toBe(true);
  });

  it("serves them through the API, slowest first by p95; another org sees none and gets a 404 for this org", async () => {
    const url = (t: Tenant, query: string) =>
      `/api/0/organizations/${t.org.slug}/transaction-groups/?${query}`;
    const reply = await callApi("GET", url(A, `project=${A.project.id}&statsPeriod=1h&sort=-p95`), {
      token: tokens.a,
    });
    expect(reply.status, reply.body).toBe(200);
    const rows = reply.json();
    expect(rows.map((r: { transaction: string }) => r.transaction)).toEqual(["GET /orders", "GET /fail"]);
    expect(rows[0]).toMatchObject({
      project: { id: String(A.project.id), slug: A.project.slug },
      method: "GET",
      count: 24,
    });
    expect((await callApi("GET", url(A, "statsPeriod=1h"), { token: tokens.b })).status).toBe(404);
    expect((await callApi("GET", url(B, `project=${A.project.id}`), { token: tokens.b })).status).toBe(404);
    const theirs = await callApi("GET", url(B, "statsPeriod=1h"), { token: tokens.b });
    expect(theirs.status).toBe(200);
    expect(theirs.json()).toEqual([]);
  });
});
