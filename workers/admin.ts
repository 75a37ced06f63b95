import "@/lib/node-version"; // first: on a too old Node.js, one line before anything else loads
import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { unsafeBootstrap } from "@/lib/bootstrap";
import { closeDb } from "@/lib/db";
import { stopEmbeddedPostgres } from "@/lib/database-url";
import { AppError } from "@/lib/errors";
import { unsafeDiscardDeadLetter, unsafeListDeadLetters, unsafeRetryDeadLetter } from "@/lib/events/dead-letters";
import { unsafeImportFromSentry } from "@/lib/migration/sentry-import";
import { unsafeSetSuperuser, unsafeStatusReport, DEFAULT_MAX_AGE_SECONDS } from "@/lib/operator";
import { unsafeEnsureOrgOwnedBy, unsafeListOrgs } from "@/lib/orgs";
import { unsafeBackup } from "@/lib/ops/backup";
import { unsafeRestore } from "@/lib/ops/restore";
import { boot } from "@/lib/runtime";
import { setPassword, upsertUserWithPassword } from "@/lib/users";

const USAGE = `Usage: npm run admin -- <command> [options]

Commands:
  bootstrap --email E --password P --org SLUG --project SLUG [--platform P] [--json]
      Create (or find) a user, an org they own, a project with a DSN and an API token.
      Running it again returns the same result; a revoked bootstrap token stays revoked
      ("token": null) and is never granted again.
  create-user --email E --password P [--name N] [--org SLUG]
      Create a user (or set their password); with --org, make them the owner of that org.
  reset-password --email E --password P
      Set a user's password and sign them out everywhere.
  list-orgs [--json]
      Organizations with their members and projects.
  import-sentry --url URL --token T --org SLUG --into OURORG [--json]
      Copy the projects of organization SLUG on a Sentry or GlitchTip server (its REST API at
      URL, read with token T: scopes org:read, project:read) into our org OURORG, with the
      same public and secret keys, so only the DSN's host and project id change. Running it
      again skips what exists.
  dead-letters [--project ID] [--json]
      Items the worker could not store (newest first, at most 100): project, type, error.
  dead-letters --retry ID | --discard ID
      Put dead letter ID back on its project's stream, or remove it for good.
  migrate
      Apply pending database migrations.
  superuser --email E [--off]
      Make a user an install admin (sees the operator console at /_admin), or no longer one.
  status [--json] [--max-age SECONDS]
      Queues, per-project stream backlogs, live processes and dead letters; exits 2 when a
      stream's oldest entry is older than --max-age (default 300), else 0.
  backup --out FILE [--physical] [--json]
      One file (gzipped tar) with a pg_dump of the database and the filesystem blob store
      (an S3 bucket is not copied). Needs pg_dump of the server's major version or newer;
      the embedded PostgreSQL without one (or with --physical) gets an online physical copy
      of its cluster instead.
  restore --in FILE [--yes] [--json]
      Replace the database and blobs with a backup's, then migrate up. Stop the platform first;
      a database holding organizations or users is replaced only with --yes. A physical backup
      replaces the embedded cluster's folder (the old one is kept beside it).
`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    email: { type: "string" },
    password: { type: "string" },
    name: { type: "string" },
    org: { type: "string" },
    project: { type: "string" },
    platform: { type: "string" },
    url: { type: "string" },
    token: { type: "string" },
    into: { type: "string" },
    retry: { type: "string" },
    discard: { type: "string" },
    off: { type: "boolean", default: false },
    "max-age": { type: "string" },
    out: { type: "string" },
    in: { type: "string" },
    yes: { type: "boolean", default: false },
    physical: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new AppError("bad_request", `--${name} is required`);
  return value;
}

function idOption(name: "project" | "retry" | "discard"): bigint {
  const value = required(name);
  if (!/^\d{1,18}$/.test(value)) throw new AppError("bad_request", `--${name} must be a numeric id`);
  return BigInt(value);
}

function print(data: unknown, text: string): void {
  console.log(values.json ? JSON.stringify(data) : text);
}

async function run(command: string | undefined): Promise<void> {
  switch (command) {
    case "bootstrap": {
      const result = await unsafeBootstrap({
        email: required("email"),
        password: required("password"),
        org: required("org"),
        project: required("project"),
        platform: values.platform,
      });
      return print(result, `org ${result.org}, project ${result.project} (${result.projectId})\nDSN   ${result.dsn}\ntoken ${result.token ?? "(revoked: bootstrap grants no new token)"}`);
    }
    case "create-user": {
      const user = await upsertUserWithPassword({ email: required("email"), password: required("password"), name: values.name });
      if (values.org) await unsafeEnsureOrgOwnedBy(user.id, { slug: values.org });
      return print(user, `user ${user.email} (${user.id})${values.org ? `, owner of ${values.org}` : ""}`);
    }
    case "reset-password":
      await setPassword(required("email"), required("password"));
      return print({ ok: true }, "password changed; existing sessions signed out");
    case "list-orgs": {
      const orgs = await unsafeListOrgs();
      const text = orgs.map((o) => `${o.slug}\t${o.name}\tplan=${o.plan}\tmembers=${o._count.memberships}\tprojects=${o._count.projects}`);
      return print(orgs, text.join("\n") || "no organizations");
    }
    case "import-sentry": {
      const report = await unsafeImportFromSentry({
        url: required("url"),
        token: required("token"),
        org: required("org"),
        into: required("into"),
        // Line by line as it goes, unless the caller wants one JSON document at the end.
        log: values.json ? undefined : (line) => console.log(line),
      });
      if (values.json) console.log(JSON.stringify(report));
      return;
    }
    case "dead-letters": {
      if (values.retry) {
        await unsafeRetryDeadLetter(idOption("retry"));
        return print({ ok: true }, `dead letter ${values.retry} is back on its stream`);
      }
      if (values.discard) {
        await unsafeDiscardDeadLetter(idOption("discard"));
        return print({ ok: true }, `dead letter ${values.discard} discarded`);
      }
      const projectId = values.project === undefined ? undefined : Number(idOption("project"));
      const letters = await unsafeListDeadLetters({ projectId });
      const text = letters.map(
        (d) => `${d.id}\t${d.createdAt.toISOString()}\tproject=${d.projectId}\t${d.itemType}\t${d.payloadSize} bytes\t${d.error}`,
      );
      return print(letters, text.join("\n") || "no dead letters");
    }
    case "backup": {
      const result = await unsafeBackup(required("out"), { physical: values.physical });
      const note = result.blobsNote ? `\nnote: ${result.blobsNote}` : "";
      return print(result, `backup written to ${result.file} (${result.bytes} bytes, migration ${result.manifest.migration}, blobs: ${result.manifest.blobs})${note}`);
    }
    case "restore": {
      const result = await unsafeRestore(required("in"), { yes: values.yes });
      return print(result, `restored the backup of ${result.manifest.createdAt} (migration ${result.manifest.migration}, then migrated up); blobs: ${result.blobs}${result.previous ? `; the previous cluster is kept in ${result.previous}` : ""}`);
    }
    case "superuser": {
      const user = await unsafeSetSuperuser(required("email"), !values.off);
      return print(user, `${user.email} is ${user.isSuperuser ? "now" : "no longer"} a superuser`);
    }
    case "status": {
      const maxAge = values["max-age"] ?? String(DEFAULT_MAX_AGE_SECONDS);
      if (!/^\d{1,9}$/.test(maxAge)) throw new AppError("bad_request", "--max-age must be a number of seconds");
      const report = await unsafeStatusReport(Number(maxAge));
      print(report.json, report.text);
      if (report.late) process.exitCode = 2; // a stream waits longer than --max-age: for monitoring
      return;
    }
    case "migrate":
      return; // boot() has applied them, as it does before every command
    default:
      throw new AppError("bad_request", command ? `unknown command "${command}"\n\n${USAGE}` : USAGE);
  }
}

async function main() {
  const [command] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  await boot({ migrate: true });
  let code = 0;
  try {
    await run(command);
  } catch (error) {
    code = 1;
    if (error instanceof AppError) console.error(`error: ${error.message}`);
    else if (error instanceof ZodError) console.error(`error: ${error.issues.map((i) => i.message).join("; ")}`);
    else throw error;
  } finally {
    await closeDb();
    await stopEmbeddedPostgres();
  }
  process.exit(code || Number(process.exitCode ?? 0));
}

await main();
