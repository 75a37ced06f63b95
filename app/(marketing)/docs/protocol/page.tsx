import type { Metadata } from "next";
import Link from "next/link";
import { ACCEPTED_TYPES } from "@/lib/ingest/items";
import { METER, meterOf } from "@/lib/ingest/quota-policy";
import { LIMITS } from "@/lib/protocol/limits";
import { categoryOf } from "@/lib/protocol/rate-limits";
import { Code, CodeBlock } from "../../_components/code-block";
import { PROSE, Table } from "../_content";

export const metadata: Metadata = {
  title: "Ingest protocol",
  description:
    "The Sentry ingest protocol as errorhub supports it: endpoints, authentication, item types, limits and answers.",
};

const ITEM_NOTES: Record<string, string> = {
  event: "errors and messages, grouped into issues",
  security: "browser security reports (CSP)",
  transaction: "performance transactions, stored",
  session: "release health: one session",
  sessions: "release health: aggregated sessions",
  client_report: "what the SDK itself dropped, counted in usage",
  check_in: "cron monitor check-ins",
  feedback: "user feedback",
  user_report: "user feedback (older SDKs)",
  attachment: "files attached to an event",
};

/** "1 MiB", "64 KiB": a limit from lib/protocol/limits.ts as prose. */
function bytes(n: number): string {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  if (n % MiB === 0) return `${n / MiB} MiB`;
  return n % KiB === 0 ? `${n / KiB} KiB` : `${n.toLocaleString("en-US")} bytes`;
}

const METER_NOTES: Record<number, string> = {
  [METER.none]: "nothing",
  [METER.keyOnly]: "the key's rate limit",
  [METER.errors]: "the key's rate limit, the monthly error quota, spike protection",
  [METER.transactions]: "the key's rate limit, the monthly transaction quota, spike protection",
  [METER.attachments]: "the key's rate limit, the monthly attachment quota (bytes), spike protection",
};

export default function ProtocolPage() {
  return (
    <article className={PROSE}>
      <h1>Ingest protocol</h1>
      <p>
        errorhub's ingest server speaks the Sentry protocol the official SDKs use, so they need nothing but a
        DSN: <Code>{"{scheme}://{public key}@{host}/{project id}"}</Code>. This page lists what it accepts,
        for SDK authors, proxies and the curious.
      </p>

      <h2 id="endpoints">Endpoints</h2>
      <Table
        label="Ingest endpoints"
        testId="endpoints"
        head={["Endpoint", "Sent by"]}
        rows={[
          [
            <Code key="e">POST /api/&lt;project id&gt;/envelope/</Code>,
            "every current SDK: envelopes of one or more items",
          ],
          [<Code key="s">POST /api/&lt;project id&gt;/store/</Code>, "older SDKs: one event as JSON"],
          [
            <Code key="c">POST /api/&lt;project id&gt;/security/</Code>,
            "browsers: security reports (report-uri), with ?sentry_key=",
          ],
          [
            <Code key="r">POST /api/&lt;project id&gt;/csp-report/</Code>,
            "browsers: CSP violation reports, with ?sentry_key=",
          ],
          [
            <Code key="o">OPTIONS</Code>,
            "browsers: CORS preflight on each of the above; any origin is allowed",
          ],
          [
            <Code key="h">GET /_health/</Code>,
            "load balancers: 200 when PostgreSQL and Redis answer, else 503",
          ],
        ]}
      />
      <p>
        The trailing slash is optional. Authentication is the DSN's public key, from <Code>?sentry_key=</Code>
        , the <Code>X-Sentry-Auth</Code> header or an envelope header's <Code>dsn</Code> (SDK tunnels); when
        two are given they must agree. <Code>/store/</Code> and security reports need the key in the query or
        header. A key that is not 32 hex characters, or an unknown one, is refused with 401, a disabled key or
        another project's key with 403. Bodies may be compressed with <Code>gzip</Code>, <Code>deflate</Code> or <Code>br</Code>
        (two codings at most), sent chunked or sized, with any content type.
      </p>

      <h2 id="items">Item types</h2>
      <p>
        Envelope items of these types are accepted. Any other type is skipped (not an error) and counted as
        filtered under the category <Code>unknown</Code>, reason <Code>unsupported_item_type</Code>.
      </p>
      <Table
        label="Accepted envelope item types"
        testId="item-types"
        head={["Item type", "Data category", "Counts against", "What it is"]}
        rows={[...ACCEPTED_TYPES].map((type) => {
          const category = categoryOf(type);
          return [
            <Code key="t">{type}</Code>,
            <Code key="c">{category}</Code>,
            METER_NOTES[meterOf(category)],
            ITEM_NOTES[type] ?? "",
          ];
        })}
      />

      <h2 id="limits">Limits</h2>
      <Table
        label="Ingest limits"
        testId="limits"
        head={["Limit", "Value", "When exceeded"]}
        rows={[
          ["One event, transaction or other JSON item", bytes(LIMITS.eventItemBytes), "413"],
          [
            "Envelope as sent (compressed or not)",
            bytes(LIMITS.bodyBytes),
            "413, the upload cut off early",
          ],
          ["Envelope after decompression", bytes(LIMITS.decompressedBytes), "413"],
          ["Items in one envelope, security reports in one request", String(LIMITS.envelopeItems), "413"],
          ["/store/ or security report body after decompression", bytes(LIMITS.eventItemBytes), "413"],
          [
            "Read and decompressed before the key is known (a tunnel's envelope header must fit)",
            bytes(LIMITS.preAuthBytes),
            "413",
          ],
          ["JSON nesting depth", `${LIMITS.jsonDepth} levels`, "400"],
        ]}
      />
      <p>
        Beyond these, quotas apply per organization: a per-key rate limit you can set on each DSN key, the
        plan's monthly error, transaction and attachment quotas, per-project spike protection and a bound on
        each project's unprocessed backlog, in items and in bytes. Every item is checked on its own, so an
        envelope may be partly accepted: the answer is then 200 with <Code>X-Sentry-Rate-Limits</Code> for
        the rest.
      </p>

      <h2 id="answers">Answers</h2>
      <Table
        label="Ingest answers"
        head={["Status", "Meaning"]}
        rows={[
          [
            <Code key="1">200 {'{"id": "<event id>"}'}</Code>,
            "accepted (or {} when the envelope held no event)",
          ],
          [<Code key="2">400 {'{"detail": "..."}'}</Code>, "malformed: the detail says what"],
          [<Code key="3">401, 403</Code>, "unknown key; disabled or foreign key"],
          [<Code key="4">413</Code>, "too large (see the limits)"],
          [<Code key="5">429</Code>, "rate limited or over quota, with Retry-After and X-Sentry-Rate-Limits"],
          [<Code key="6">429</Code>, "the ingest process holds too many request bodies at once: Retry-After only"],
        ]}
      />
      <p>A 429 says what is limited, for how long and why, in the header SDKs read to back off:</p>
      <CodeBlock
        label="HTTP"
        code={`HTTP/1.1 429 Too Many Requests
Retry-After: 3600
X-Sentry-Rate-Limits: 3600:error;security:organization:usage_exceeded`}
      />
      <p>
        The format is <Code>{"<seconds>:<categories>:<scope>:<reason>"}</Code>; reasons include{" "}
        <Code>usage_exceeded</Code> (monthly quota), <Code>smart_rate_limit</Code> (spike protection),{" "}
        <Code>key_quota</Code> (the DSN key's own rate limit) and <Code>backlog_full</Code>. SDKs drop, never
        retry, what is refused, so errorhub never answers 5xx for bad input. Every decision is counted per
        project, category and outcome in your organization's usage and in the{" "}
        <Link href="/docs/api#stats">stats API</Link>.
      </p>
    </article>
  );
}
