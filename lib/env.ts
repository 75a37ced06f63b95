import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
  REDIS_URL: url("redis://host:6379").default("redis://127.0.0.1:6379"),
  // Unset: http://localhost:PORT and http://localhost:INGEST_PORT.
  APP_URL: url("public base URL of the web app").optional(),
  INGEST_URL: url("public base URL put in DSNs").optional(),
  PORT: port.default(3000),
  INGEST_PORT: port.default(3001),
  AUTH_SECRET: z.string().min(32, "must be at least 32 characters (try: openssl rand -hex 32)").optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  EMBEDDED_POSTGRES_PORT: port.default(5499),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, _ and - only")
    .default("eh"),
  // Ingest: quotas and protection (0 = off/unlimited).
  DEFAULT_MONTHLY_ERROR_QUOTA: z.coerce.number().int().min(0).default(0),
  SPIKE_PROTECTION_HOURLY_LIMIT: z.coerce.number().int().min(0).default(0),
  INGEST_MAX_BACKLOG: z.coerce.number().int().min(1).default(100_000),
  INGEST_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.01),
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  // Outgoing mail (invitations, verification, password reset). Unset: the links are logged.
  SMTP_URL: url("smtp://user:pass@host:587").optional(),
  SMTP_FROM: z.string().min(3).default("errorhub <noreply@localhost>"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  DEMO_ACCOUNT: z.enum(["on", "off"]).default("on"),
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
  return {
    ...parsed,
    APP_URL: parsed.APP_URL ?? `http://localhost:${parsed.PORT}`,
    INGEST_URL: parsed.INGEST_URL ?? `http://localhost:${parsed.INGEST_PORT}`,
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

// Self-hosters who never set AUTH_SECRET still get a stable, random secret: generated once
// and kept next to the embedded database, so sessions survive restarts.
function localAuthSecret(dataDir: string): string {
  const file = path.resolve(dataDir, "auth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
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
