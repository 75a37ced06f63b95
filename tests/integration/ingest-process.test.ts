import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { NODE, WITH_TSX, freePort, start, waitForHttp, type Running } from "../support/processes";

describe("ingest process", () => {
  let ingest: Running;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port) });
    await ingest.waitFor(/ingest listening/);
  });

  afterAll(async () => {
    await ingest?.stop("SIGKILL");
  });

  it("answers /_health/ with 200 and JSON when Postgres and Redis answer", async () => {
    const res = await fetch(`${base}/_health/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, postgres: "ok", redis: "ok" });
  });

  it("answers unknown paths with a JSON 404", async () => {
    const res = await fetch(`${base}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: "not found" });
  });

  it("stops on SIGTERM with exit code 0 well within 10 s", async () => {
    const { code, ms } = await ingest.stop("SIGTERM");
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(ingest.output()).toMatch(/ingest stopped/);
  });
});

describe("ingest health when Postgres goes away", () => {
  it("answers 503 saying what is down, and logs the reason with the database's name", async () => {
    const server = inject("databaseServer");
    const name = `errorhub_gone_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    const port = await freePort();
    const ingest = start(NODE, [...WITH_TSX, "workers/ingest.ts"], { INGEST_PORT: String(port), DATABASE_URL: url.toString() });
    try {
      await ingest.waitFor(/ingest listening/);
      await admin.query(`drop database "${name}" with (force)`);
      const res = await waitForHttp(`http://127.0.0.1:${port}/_health/`);
      expect(res.status).toBe(503);
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ ok: false, postgres: "down", redis: "ok" });
      // The public answer names no server or database; the log does, for the operator.
      expect(body).not.toContain(name);
      await ingest.waitFor(/health check: a dependency is down/);
      expect(ingest.output()).toContain(name);
    } finally {
      await ingest.stop("SIGKILL");
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
