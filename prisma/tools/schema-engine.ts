// Prisma's schema engine, run as WebAssembly: the native engine the Prisma CLI
// spawns cannot be downloaded here, so db:diff and db:check drive this one directly.
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bindings from "@prisma/schema-engine-wasm/schema_engine_bg";
import pg from "pg";

type Engine = bindings.SchemaEngine;
type DiffTarget = bindings.DiffTarget;

export interface SchemaDiff {
  changed: boolean;
  upSql: string;
  downSql: string;
}

export interface DiffOptions {
  /** Any database on the server that will host the throwaway shadow database. */
  databaseUrl: string;
  migrationsDir: string;
  schemaPath: string;
}

const DEFAULT_SERVER_URL = "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const MIGRATION_FILE = /^\d+_[^/]*\.sql$/;
const UP_MARKER = /^--\s*migrate:up\b/m;
const DOWN_MARKER = /^--\s*migrate:down\b/m;
const TEXT_OID = 25;
// Postgres' internal one-byte "char" (pg_class.relkind, pg_constraint.contype, ...):
// the engine's catalog queries return it, adapter-pg 7.10.1 rejects it. (It already
// maps `name`, OID 19, to text.)
const CHAR_OID = 18;

/**
 * Compares what the committed dbmate migrations build with what schema.prisma
 * describes. upSql brings the former to the latter, downSql reverses it.
 */
export async function diffMigrationsToSchema(options: DiffOptions): Promise<SchemaDiff> {
  const files = [{ path: options.schemaPath, content: await readFile(options.schemaPath, "utf8") }];
  const migrations = await readUpScripts(options.migrationsDir);
  return withShadowDatabase(options.databaseUrl, async (shadowUrl) => {
    await applyUpScripts(shadowUrl, migrations);
    return withEngine(shadowUrl, async (engine) => {
      // A "schemaDatasource" target is whatever database the adapter is connected to: the shadow.
      const shadow: DiffTarget = {
        tag: "schemaDatasource",
        files,
        configDir: path.dirname(options.schemaPath),
      };
      const schema: DiffTarget = { tag: "schemaDatamodel", files };
      const upSql = await diffScript(engine, shadow, schema);
      if (upSql === null) return { changed: false, upSql: "", downSql: "" };
      return { changed: true, upSql, downSql: (await diffScript(engine, schema, shadow)) ?? "" };
    });
  });
}

interface UpScript {
  file: string;
  sql: string;
}

async function readUpScripts(migrationsDir: string): Promise<UpScript[]> {
  const names = (await readdir(migrationsDir).catch(emptyIfMissing)).filter((name) =>
    MIGRATION_FILE.test(name),
  );
  // Same order as dbmate: the version prefixes are fixed-width timestamps.
  names.sort();
  return Promise.all(
    names.map(async (file) => ({
      file,
      sql: upSection(file, await readFile(path.join(migrationsDir, file), "utf8")),
    })),
  );
}

function emptyIfMissing(error: NodeJS.ErrnoException): string[] {
  if (error.code === "ENOENT") return [];
  throw error;
}

function upSection(file: string, content: string): string {
  const up = content.search(UP_MARKER);
  if (up === -1) throw new Error(`${file} has no "-- migrate:up" section`);
  const down = content.search(DOWN_MARKER);
  return down > up ? content.slice(up, down) : content.slice(up);
}

async function withShadowDatabase<T>(serverUrl: string, use: (shadowUrl: string) => Promise<T>): Promise<T> {
  const name = `shadow_${randomBytes(6).toString("hex")}`;
  // Only the server matters: the URL's own database may not exist yet (say, CI before db:migrate).
  const admin = await connect(databaseUrlFor(serverUrl, "postgres"));
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      return await use(databaseUrlFor(serverUrl, name));
    } finally {
      // FORCE: a failed step may leave a connection behind, which would block a plain DROP.
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (error) {
    const server = new URL(url).host || "localhost";
    throw new Error(`cannot connect to PostgreSQL at ${server}: ${errorMessage(error)}`);
  }
  return client;
}

function databaseUrlFor(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.href;
}

// Each script goes over as one simple-protocol query, so Postgres runs it atomically
// like dbmate's per-file transaction, and $$ bodies are not split on ";" as
// adapter-pg's executeScript would.
async function applyUpScripts(shadowUrl: string, migrations: UpScript[]): Promise<void> {
  const client = await connect(shadowUrl);
  try {
    for (const { file, sql } of migrations) {
      await client.query(sql).catch((error: unknown) => {
        throw new Error(`${file} fails on a fresh database: ${errorMessage(error)}`);
      });
    }
  } finally {
    await client.end();
  }
}

async function withEngine<T>(databaseUrl: string, use: (engine: Engine) => Promise<T>): Promise<T> {
  const pool = reportCharAsText(new pg.Pool({ connectionString: databaseUrl }));
  // We create and drop the shadow ourselves: adapter-pg's connectToShadowDb drops it
  // while its pool is still open. The engine is never asked for one here.
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  try {
    // Logs are informational only; failures come back as rejected promises.
    const engine = await (await loadBindings()).SchemaEngine.new(
      { datamodels: undefined },
      () => {},
      adapter,
    );
    try {
      return await use(engine);
    } finally {
      engine.free();
    }
  } finally {
    await pool.end();
  }
}

// adapter-pg passes its own per-query type parsers, so the fix goes on the result
// metadata instead. It only covers pool.query, which is all the engine's
// introspection uses (no transactions).
function reportCharAsText(pool: pg.Pool): pg.Pool {
  const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>;
  const patched = async (config: pg.QueryConfig): Promise<pg.QueryResult> => {
    const result = await query(config);
    for (const field of result.fields) {
      if (field.dataTypeID === CHAR_OID) field.dataTypeID = TEXT_OID;
    }
    return result;
  };
  pool.query = patched as typeof pool.query;
  return pool;
}

// The package's entry point imports the .wasm as an ES module, which Node does not
// support, so instantiate it by hand and give its exports to the JS glue.
async function loadBindings(): Promise<typeof bindings> {
  const wasmUrl = new URL(
    "schema_engine_bg.wasm",
    import.meta.resolve("@prisma/schema-engine-wasm/schema_engine_bg"),
  );
  const { instance } = await WebAssembly.instantiate(await readFile(wasmUrl), {
    "./schema_engine_bg.js": bindings,
  });
  bindings.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return bindings;
}

/** The SQL that turns `from` into `to`, or null when they already agree. */
async function diffScript(engine: Engine, from: DiffTarget, to: DiffTarget): Promise<string | null> {
  const filters = { externalTables: [], externalEnums: [] };
  const result = await engine.diff({ from, to, script: true, exitCode: true, filters });
  // Only exitCode tells: with no changes stdout is still "-- This is an empty migration."
  return result.exitCode === 2 ? (result.stdout ?? "") : null;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---- shared by the db:diff and db:check commands ----

export interface ToolContext extends DiffOptions {
  args: string[];
}

/** Reads `--schema <path>` and positional args; paths default to this project's prisma/. */
export function toolContext(argv: string[]): ToolContext {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { schema: { type: "string" } },
    allowPositionals: true,
  });
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_SERVER_URL;
  if (!URL.canParse(databaseUrl)) throw new Error("DATABASE_URL is not a valid URL");
  const prismaDir = path.resolve(import.meta.dirname, "..");
  return {
    args: positionals,
    databaseUrl,
    migrationsDir: path.join(prismaDir, "migrations"),
    schemaPath: path.resolve(values.schema ?? path.join(prismaDir, "schema.prisma")),
  };
}

/** Runs a command, printing failures as one line rather than a stack trace. */
export function runTool(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`${name}: ${errorMessage(error)}`);
      process.exitCode = 1;
    },
  );
}
