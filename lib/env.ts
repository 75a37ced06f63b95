import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

// Every environment variable the platform reads is declared here and nowhere else reads
// process.env for configuration. `.env.example` documents each one.

const url = (what: string) =>
  z.string().refine((v) => URL.canParse(v), { message: `must be a URL (${what})` });

const port = z.coerce.number().int().min(1).max(65535);

const schema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  DATABASE_URL: url("postgresql://user@host:5432/db").optional(),
  // A streaming replica of DATABASE_URL: the dashboard's and the API's main reads go there
  // (lib/db-read.ts, README "Read replica"). Unset: every read on DATABASE_URL.
  DATABASE_REPLICA_URL: url("postgresql://user@replica-host:5432/db").optional(),
  REDIS_URL: url("redis://host:6379").default("redis://127.0.0.1:6379"),
  // Unset: http://localhost:PORT and http://localhost:INGEST_PORT.
  APP_URL: url("public base URL of the web app").optional(),
  INGEST_URL: url("public base URL put in DSNs").optional(),
  PORT: port.default(3000),
  INGEST_PORT: port.default(3001),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (try: openssl rand -hex 32)").optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  EMBEDDED_POSTGRES_PORT: port.default(5499),
  // Unset: DATA_DIR/postgres, or as root when the postgres user cannot enter the checkout,
  // /var/lib/errorhub/<hash of the data folder path>.
  EMBEDDED_POSTGRES_DIR: z.string().min(1).optional(),
  // host:port,host:port,...: every Redis connection is a Redis Cluster client seeded with
  // these nodes (README, Redis Cluster). Unset: the one server at REDIS_URL.
  REDIS_CLUSTER_NODES: z
    .string()
    .regex(/^\s*[^\s,:]+:\d{1,5}\s*(,\s*[^\s,:]+:\d{1,5}\s*)*$/, "host:port,host:port,... (at least one seed node)")
    .optional(),
  // In a cluster, how long ingest waits for a replica to hold accepted items before it answers
  // 503 instead of 200 (lib/ingest/accept-cluster.ts).
  REDIS_REPLICA_WAIT_MS: z.coerce.number().int().min(1).max(10_000).default(250),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only")
    .default("eh"),
  // Ingest: quotas and protection (0 = off/unlimited).
  DEFAULT_MONTHLY_ERROR_QUOTA: z.coerce.number().int().min(0).default(0),
  SPIKE_PROTECTION_HOURLY_LIMIT: z.coerce.number().int().min(0).default(0),
  DEFAULT_MONTHLY_TRANSACTION_QUOTA: z.coerce.number().int().min(0).default(0),
  DEFAULT_MONTHLY_ATTACHMENT_MB: z.coerce.number().int().min(0).default(0),
  // Unset: 100,000 entries and 256 MiB, or with SMALL_SERVER 20,000 and 48 MiB (see parseEnv).
  INGEST_MAX_BACKLOG: z.coerce.number().int().min(1).optional(),
  // Bytes (item headers and payloads) a project may have waiting in Redis, besides entries.
  INGEST_MAX_BACKLOG_MB: z.coerce.number().int().min(1).optional(),
  INGEST_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.01),
  // Request bodies (as sent and decompressed) one ingest process holds at once; past it, 429.
  INGEST_BODY_MEMORY_MB: z.coerce.number().int().min(1).default(256),
  // Niceness ingest gives itself at start (0 = the default priority); see workers/ingest.ts.
  INGEST_NICENESS: z.coerce.number().int().min(0).max(19).default(5),
  // How many ingest processes (sharing INGEST_PORT through Node's cluster module) and worker
  // processes `npm start` runs; README, "More processes", says when more than one pays.
  INGEST_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  WORKER_PROCESSES: z.coerce.number().int().min(1).max(64).default(1),
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  // Outgoing mail (invitations, verification, password reset). Unset: not sent, and the links
  // are not logged either (lib/mail.ts).
  SMTP_URL: url("smtp://user:pass@host:587").optional(),
  SMTP_FROM: z.string().min(3).default("errorhub <noreply@localhost>"),
  // Alert webhooks (Slack, Discord, plain) may reach loopback, private and link-local addresses
  // only when this is true: a hosted service must not be a way into its own network.
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .transform((v) => v === "true"),
  // Sized for a server of about 1 GB that runs everything: the embedded PostgreSQL's memory
  // settings, fewer database connections per process and fewer jobs at once (README, Small servers).
  SMALL_SERVER: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .transform((v) => v === "true"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DEMO_ACCOUNT: z.enum(["on", "off"]).default("on"),
  // Clerk as the identity provider (the hosted service). Both keys set: Clerk signs people in
  // and our users, orgs and memberships mirror Clerk's; neither: built-in accounts.
  CLERK_SECRET_KEY: z
    .string()
    .regex(/^sk_(test|live)_\S+$/, "must be a Clerk secret key (sk_live_... or sk_test_...)")
    .optional(),
  NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: z
    .string()
    // The part after the prefix is base64 of the instance's Frontend API host followed by "$".
    .refine(
      (v) =>
        /^pk_(test|live)_[A-Za-z0-9+/]+=*$/.test(v) &&
        Buffer.from(v.slice(8), "base64").toString().endsWith("$"),
      {
        message: "must be a Clerk publishable key (pk_live_... or pk_test_...)",
      },
    )
    .optional(),
  // PEM public key of the instance: session tokens are verified without calling Clerk. Unset:
  // the signing keys are fetched from Clerk's Backend API (and cached).
  CLERK_JWT_KEY: z
    .string()
    .transform((v) => v.replace(/\\n/g, "\n").trim())
    .refine(
      (v) => /^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----$/.test(v),
      "must be a PEM public key (-----BEGIN PUBLIC KEY----- ...)",
    )
    .optional(),
  CLERK_WEBHOOK_SIGNING_SECRET: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]+$/, "must be a webhook signing secret (whsec_...)")
    .optional(),
  // Origins allowed in a session token's azp claim (comma-separated). Unset: APP_URL's origin.
  CLERK_AUTHORIZED_PARTIES: z
    .string()
    .transform((v) =>
      v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((o) => URL.canParse(o) && new URL(o).origin === o),
      "must be comma-separated origins like https://app.example.com",
    )
    .optional(),
  // Stripe billing (the hosted service). STRIPE_SECRET_KEY set turns billing on: plans, quotas
  // by plan, checkout and the customer portal; unset (self-hosted), nothing is limited by plan.
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\S+$/, "must be a Stripe secret or restricted key (sk_live_..., sk_test_..., rk_...)")
    .optional(),
  STRIPE_WEBHOOK_SECRET: z.string().regex(/^whsec_\S+$/, "must be a webhook signing secret (whsec_...)").optional(),
  STRIPE_PRICE_TEAM: z.string().regex(/^price_\w+$/, "must be a Stripe price id (price_...)").optional(),
  STRIPE_PRICE_BUSINESS: z.string().regex(/^price_\w+$/, "must be a Stripe price id (price_...)").optional(),
  // Pay-as-you-go: the Billing Meter's event name that overage is reported under, and the
  // metered price (attached to that meter) that checkout adds to new subscriptions.
  STRIPE_METER_EVENT_NAME: z.string().regex(/^[\w.:-]{1,100}$/, "must be a meter event name (letters, digits, _ . : -)").optional(),
  STRIPE_PRICE_OVERAGE: z.string().regex(/^price_\w+$/, "must be a Stripe price id (price_...)").optional(),
  // Only to point the Stripe client at a local stand-in (tests); production leaves it unset.
  STRIPE_API_BASE: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { message: "must be an http(s) URL (e.g. http://127.0.0.1:12111)" })
    .optional(),
  BILLING_PAST_DUE_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(7),
  // Where source-map chunks and artifact files are kept: the filesystem under DATA_DIR, or an
  // S3-compatible bucket (needed once web and worker run on more than one machine).
  BLOB_STORE: z.enum(["filesystem", "s3"], { message: "must be filesystem or s3" }).default("filesystem"),
  S3_ENDPOINT: z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), { message: "must be an http(s) URL (e.g. https://s3.eu-central-1.amazonaws.com or http://minio:9000)" })
    .optional(),
  S3_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a bucket name (3-63 lowercase letters, digits, dots and hyphens)").optional(),
  S3_REGION: z.string().regex(/^[a-z0-9-]{1,40}$/, "must be a region name such as us-east-1").default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  // Most self-hosted S3 servers (MinIO, Ceph, Garage) want http://host/bucket/key, not bucket.host.
  S3_FORCE_PATH_STYLE: z
    .enum(["true", "false"], { message: "must be true or false" })
    .default("false")
    .transform((v) => v === "true"),
  // Prometheus metrics: GET /_metrics on web, ingest and the worker's own port, answered only
  // with `Authorization: Bearer <METRICS_TOKEN>`; unset, /_metrics is a 404 everywhere.
  METRICS_TOKEN: z.string().min(16, "must be at least 16 characters (try: openssl rand -hex 32)").optional(),
  // The worker has no other HTTP server: it listens here for /_metrics when METRICS_TOKEN is set.
  WORKER_METRICS_PORT: port.default(3002),
});

export type Env = ReturnType<typeof parseEnv> & { AUTH_SECRET: string };

export class EnvError extends Error {}

/** Parses and validates an environment; throws EnvError naming each bad variable. */
export function parseEnv(source: Record<string, string | undefined>) {
  // Empty strings in .env files mean "unset", as they do for most tools.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const parsed = result.data;
  // Half a Clerk configuration would silently fall back to built-in accounts: refuse it.
  if (!parsed.CLERK_SECRET_KEY !== !parsed.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY) {
    const missing = parsed.CLERK_SECRET_KEY ? "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY" : "CLERK_SECRET_KEY";
    throw new EnvError(
      `Invalid configuration:\n  ${missing}: must be set too (Clerk needs both keys, or neither)`,
    );
  }
  // A secret key without the webhook secret or prices would take money without ever
  // granting the plan: refuse half a Stripe configuration too.
  if (parsed.STRIPE_SECRET_KEY) {
    const missing = (["STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_TEAM", "STRIPE_PRICE_BUSINESS"] as const).filter((name) => !parsed[name]);
    if (missing.length > 0) {
      throw new EnvError(`Invalid configuration:\n  ${missing.map((name) => `${name}: must be set too (billing is on: STRIPE_SECRET_KEY is set)`).join("\n  ")}`);
    }
  }
  // An S3 store without a bucket, or half a key pair, would fail at the first upload instead.
  if (parsed.BLOB_STORE === "s3" && !parsed.S3_BUCKET) {
    throw new EnvError("Invalid configuration:\n  S3_BUCKET: must be set too (BLOB_STORE is s3)");
  }
  if (!parsed.S3_ACCESS_KEY_ID !== !parsed.S3_SECRET_ACCESS_KEY) {
    const missing = parsed.S3_ACCESS_KEY_ID ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID";
    throw new EnvError(`Invalid configuration:\n  ${missing}: must be set too (both S3 keys, or neither for the AWS default credentials)`);
  }
  const APP_URL = parsed.APP_URL ?? `http://localhost:${parsed.PORT}`;
  return {
    ...parsed,
    // A flood's backlog waits in Redis, in memory: a small server answers 429 sooner rather than
    // let Redis (and its AOF rewrite's copy-on-write fork) outgrow the machine.
    INGEST_MAX_BACKLOG: parsed.INGEST_MAX_BACKLOG ?? (parsed.SMALL_SERVER ? 20_000 : 100_000),
    INGEST_MAX_BACKLOG_MB: parsed.INGEST_MAX_BACKLOG_MB ?? (parsed.SMALL_SERVER ? 48 : 256),
    APP_URL,
    INGEST_URL: parsed.INGEST_URL ?? `http://localhost:${parsed.INGEST_PORT}`,
    CLERK_AUTHORIZED_PARTIES: parsed.CLERK_AUTHORIZED_PARTIES ?? [new URL(APP_URL).origin],
  };
}

let cached: Env | undefined;

export function env(): Env {
  if (!cached) {
    const parsed = parseEnv(process.env);
    cached = { ...parsed, AUTH_SECRET: parsed.AUTH_SECRET ?? localAuthSecret(parsed.DATA_DIR) };
  }
  return cached;
}

/**
 * Records the database URL once it is known (it may point at the embedded PostgreSQL started
 * by this process); child processes inherit it through process.env.
 */
export function setDatabaseUrl(databaseUrl: string): void {
  process.env.DATABASE_URL = databaseUrl;
  env().DATABASE_URL = databaseUrl;
}

/** Absolute path of a file under DATA_DIR. */
export function dataPath(...parts: string[]): string {
  return path.resolve(env().DATA_DIR, ...parts);
}

/**
 * Creates DATA_DIR when missing. A path that cannot hold files (a file, a path under a file, a
 * read-only filesystem, a directory we may not write) is a configuration error: an EnvError
 * that says so in one line, rather than a stack trace from whatever writes there first.
 */
export function ensureDataDir(dataDir = env().DATA_DIR): void {
  const dir = path.resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    let code = (error as NodeJS.ErrnoException).code ?? String(error);
    // mkdir of a path that is a file says EEXIST; what is wrong is that it is not a directory.
    if (code === "EEXIST" && !statSync(dir).isDirectory()) code = "ENOTDIR";
    throw new EnvError(`DATA_DIR ${dir} cannot be written (${code}): set DATA_DIR to a writable directory`);
  }
}

// Self-hosters who never set AUTH_SECRET still get a stable, random secret: generated once
// and kept next to the embedded database, so sessions survive restarts.
function localAuthSecret(dataDir: string): string {
  const file = path.resolve(dataDir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  ensureDataDir(dataDir);
  const secret = randomBytes(32).toString("hex");
  try {
    writeFileSync(file, secret, { flag: "wx", mode: 0o600 });
  } catch (error) {
    // Another process started at the same moment and wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return readFileSync(file, "utf8").trim();
    throw error;
  }
  return secret;
}
