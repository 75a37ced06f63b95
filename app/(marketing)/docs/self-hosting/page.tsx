import type { Metadata } from "next";
import Link from "next/link";
import { LIMITS } from "@/lib/protocol/limits";
import { envVariables, twoCommands } from "@/lib/marketing/sources";
import { Code, CodeBlock } from "../../_components/code-block";
import { PROSE, Table } from "../_content";

export const metadata: Metadata = {
  title: "Self-hosting",
  description: "Run errorhub on your own servers with two commands: configuration, TLS, backups and scaling.",
};

const MiB = 1024 * 1024;

export default function SelfHostingPage() {
  const bodyLimit = `${Math.ceil(LIMITS.bodyBytes / MiB)}m`;
  return (
    <article className={PROSE}>
      <h1>Self-hosting</h1>
      <p>
        The hosted service and a self-hosted installation run the same code. Self-hosted, billing is off and
        no plan limits apply: errors, members, projects and retention are yours to decide.
      </p>

      <h2 id="two-commands">Two commands</h2>
      <p>
        You need Node.js 20.19 or newer and a Redis server (<Code>redis-server --daemonize yes</Code> on most
        systems). PostgreSQL is optional for a trial: without <Code>DATABASE_URL</Code> an embedded PostgreSQL
        starts with its data in <Code>./.data/postgres</Code>. Run as root from a checkout the{" "}
        <Code>postgres</Code> user cannot enter (such as <Code>/root/errorhub</Code>), it lives in{" "}
        <Code>/var/lib/errorhub/&lt;hash of the data folder path&gt;/</Code> instead (or{" "}
        <Code>EMBEDDED_POSTGRES_DIR</Code>); its start line names the folder.
      </p>
      <CodeBlock label="Shell" code={twoCommands().join("\n")} testId="two-commands" />
      <p>
        <Code>npm start</Code> builds on its first run, applies the database migrations and starts the three
        processes: the web app, the ingest server SDKs send to, and the worker that turns events into issues.
        On the first run (a database without users) it makes a demo account and prints its login, the demo
        project's DSN and an API token once, keeping them in <Code>.data/demo-login.json</Code>; later starts
        grant nothing and say where that file is. A process that dies is started again after 1 second,
        doubling up to 30, while the others keep running. <Code>Ctrl-C</Code> or SIGTERM stops all three
        cleanly.
      </p>

      <h2 id="configuration">Configuration</h2>
      <p>
        Every variable is optional for a trial and checked at start-up: a bad value stops the process with a
        line naming it. Set them in the environment or copy <Code>.env.example</Code>, which lists them all:
      </p>
      <Table
        label="Environment variables"
        testId="env-vars"
        head={["Variable", "Example", "Meaning"]}
        rows={envVariables().map((v) => [
          <code key="n" className="font-mono text-xs font-semibold text-slate-900">
            {v.name}
          </code>,
          v.example ? (
            <code key="e" className="break-all font-mono text-xs">
              {v.example}
            </code>
          ) : (
            <span key="e" className="text-slate-600">
              (unset)
            </span>
          ),
          v.description,
        ])}
      />

      <h2 id="production">Production</h2>
      <h3>A reverse proxy for TLS</h3>
      <p>
        Put nginx, Caddy or your load balancer in front, terminating TLS. Send the ingest paths to the ingest
        server (<Code>INGEST_PORT</Code>) and everything else to the web app (<Code>PORT</Code>); set{" "}
        <Code>APP_URL</Code> and <Code>INGEST_URL</Code> to the public https addresses (both may be the same
        host), and <Code>TRUST_PROXY=true</Code> so rate limits see the client's address. Request bodies may
        be up to {Math.ceil(LIMITS.bodyBytes / MiB)} MiB.
      </p>
      <CodeBlock
        label="nginx"
        code={`server {
    listen 443 ssl;
    server_name errors.example.com;
    ssl_certificate     /etc/ssl/errors.example.com.pem;
    ssl_certificate_key /etc/ssl/errors.example.com.key;
    client_max_body_size ${bodyLimit};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;

    # The Sentry ingest protocol: SDKs post here
    location ~ ^/api/[0-9]+/(envelope|store|security|csp-report)/?$ {
        proxy_pass http://127.0.0.1:3001;
        proxy_request_buffering off;
    }

    # Everything else: the web app and its REST API
    location / {
        proxy_pass http://127.0.0.1:3000;
    }
}`}
      />

      <h3>Backups</h3>
      <ul>
        <li>
          PostgreSQL holds everything of record: accounts, projects, keys, issues and events. Back it up as
          you would any database (<Code>pg_dump</Code> nightly, or continuous archiving), and use a managed or
          dedicated PostgreSQL 15+ via <Code>DATABASE_URL</Code> rather than the embedded one. The embedded
          one keeps its data in the folder its start line names (
          <Code>embedded PostgreSQL started, data in ...</Code>): <Code>npm run admin -- backup</Code> copies it
          while the platform runs (see below), or copy that folder while the platform is stopped.
        </li>
        <li>
          Redis carries queues, the per-project event streams not yet processed and rate-limit counters. Turn
          on AOF (<Code>appendonly yes</Code>, <Code>appendfsync everysec</Code>) and set{" "}
          <Code>maxmemory-policy noeviction</Code>: a lost Redis loses at most the events still waiting, never
          stored ones.
        </li>
        <li>
          Keep <Code>AUTH_SECRET</Code> with your backups: sessions and derived tokens are signed with it.
        </li>
      </ul>

      <h3 id="backup-upgrade-containers">Backup, upgrade, containers</h3>
      <CodeBlock
        label="shell"
        code={`npm run admin -- backup --out errorhub-backup.tar.gz          # while running is fine
npm run admin -- restore --in errorhub-backup.tar.gz [--yes]   # stop the platform first`}
      />
      <ul>
        <li>
          One gzipped tar: a manifest (version, date, migration level), a <Code>pg_dump</Code> in custom format
          and the filesystem blob store. An S3 bucket is not copied (it has its own versioning); the command
          says so. <Code>pg_dump</Code>/<Code>pg_restore</Code> must be the server&apos;s major version or newer. The
          embedded PostgreSQL package ships the server only: without a pg_dump 18, its backup is an online
          physical copy instead (what <Code>pg_basebackup</Code> does, over SQL: the cluster&apos;s folder and the
          WAL written meanwhile), restorable only into the embedded PostgreSQL 18 with the platform stopped; the
          old cluster folder is kept beside the new one.
        </li>
        <li>
          Restore checks the file first, refuses while other connections use the database and, without{" "}
          <Code>--yes</Code>, a database with accounts; then replaces the schema and the blobs and migrates up
          when the backup is older.
        </li>
        <li>
          Upgrade with <Code>git pull &amp;&amp; npm ci &amp;&amp; npm start</Code>: start applies the pending
          migrations and keeps the data. <Code>npm start</Code> prints where the data lives and sends no
          telemetry (Next.js and Clerk are turned off unless you set their variables).
        </li>
        <li>
          <Code>Dockerfile</Code> (non-root, <Code>npm start</Code>, ports 3000 and 3001, <Code>/data</Code>{" "}
          volume; external or embedded PostgreSQL, external Redis) and <Code>compose.yaml</Code> (PostgreSQL 15,
          Redis 7, health checks on <Code>/_health/</Code>): <Code>docker compose up -d --build</Code>. They are
          not built by our tests, only checked.
        </li>
      </ul>

      <h3>Scaling</h3>
      <p>
        Run <Code>npm run db:migrate</Code> once per deploy, then run the processes apart and as many of each
        as you need:
      </p>
      <CodeBlock
        label="Shell"
        code={`npm run build
npm run start:web      # stateless: as many as you like behind the proxy (same AUTH_SECRET)
npm run start:ingest   # stateless: scale with the events per second you receive
npm run start:worker   # BullMQ workers: add more when the backlog grows`}
      />
      <p>
        Each process stops cleanly on SIGTERM within 10 seconds, and answers <Code>GET /_health/</Code> with
        200 when PostgreSQL and Redis answer (503 otherwise, saying which is down but no host names), for your
        load balancer or orchestrator; the answer is reused for a second and probes no new connections. Workers
        share the queue: one project's flood is one job at a time, so other projects keep flowing. Two
        installations can share a Redis server with different <Code>REDIS_PREFIX</Code> values. Run one
        process per service under a supervisor that restarts it when it dies: systemd{" "}
        <Code>Restart=always</Code>, or <Code>restart: unless-stopped</Code> in compose. A process whose port
        is taken says so in one line and exits with code 78, which no restart fixes (systemd:{" "}
        <Code>RestartPreventExitStatus=78</Code>).
      </p>

      <h3>Operator console</h3>
      <p>
        Install admins (superusers) see the operator console at <Code>/_admin</Code>: BullMQ queues with failed
        jobs (their error, retry, delete), each project's stream backlog and its oldest entry, events processed
        per minute over the last hour, the web, ingest and worker processes alive (host, pid, version, uptime,
        memory), dead letters (retry, discard), Redis memory and the database's size by table. Everyone else
        gets a 404. The first account created on an install is a superuser;{" "}
        <Code>npm run admin -- superuser --email E [--off]</Code> changes who is.
      </p>

      <h3>Metrics and status</h3>
      <p>
        Set <Code>METRICS_TOKEN</Code> (at least 16 characters) to turn on <Code>GET /_metrics</Code> in
        Prometheus&apos; text format on the web port, the ingest port and the worker&apos;s{" "}
        <Code>WORKER_METRICS_PORT</Code> (default 3002); scrape it with <Code>metrics_path: /_metrics</Code> and
        the token as a bearer credential. Without the token it is a 404 and the worker opens no port. For
        scripts and monitoring, <Code>npm run admin -- status --json</Code> prints the queues, each
        project&apos;s stream backlog, the processes alive and the dead-letter count, and exits with code 2
        when a stream&apos;s oldest entry is older than <Code>--max-age</Code> seconds.
      </p>

      <h3>Administration</h3>
      <CodeBlock
        label="Admin commands"
        code={`npm run admin -- bootstrap --email you@example.com --password '...' --org acme --project backend --json
npm run admin -- create-user --email a@example.com --password '...' [--org acme]
npm run admin -- reset-password --email a@example.com --password '...'
npm run admin -- list-orgs [--json]
npm run admin -- import-sentry --url https://sentry.example.com --token T --org SLUG --into OURORG
npm run admin -- dead-letters [--project ID] [--json]
npm run admin -- dead-letters --retry ID | --discard ID
npm run admin -- migrate`}
      />
      <p>
        <Code>dead-letters</Code> lists the items the worker could not store even after sanitizing them (each is
        taken out of its batch so the rest is stored, and counted as <Code>invalid</Code>), with the error; a
        project keeps its newest 1,000. Retry one once the cause is fixed, or discard it.
      </p>
      <p>
        <Code>import-sentry</Code> is explained in{" "}
        <Link href="/docs/migrating">migrating from Sentry or GlitchTip</Link>.
      </p>
    </article>
  );
}
