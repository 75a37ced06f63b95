import path from "node:path";
import { describe, expect, it } from "vitest";
import { orgFirstExports, orgFirstExportsUnder } from "../support/org-first-exports";

const LIB = path.resolve(import.meta.dirname, "../../lib");

// Exported functions that take an org id first yet neither read nor decide on tenant data, so
// neither a Viewer nor the `unsafe` prefix fits them. Keep this list short: each entry says why.
const EXEMPT: Record<string, string> = {
  // Appends the record of an action its caller was already allowed to take; the actor is null
  // for changes reported by Clerk's and Stripe's webhooks.
  "audit/index.ts:audit": "writes the audit trail of a permitted action",
  // Formats a Redis hash field name on ingest's accept path; touches no data.
  "usage/outcome-buckets.ts:outcomeFieldPrefix": "pure string formatting",
  // Blob keys of an org's chunks and artifact files: where bytes go, not who may read them.
  "artifacts/blob-keys.ts:chunkKey": "pure string formatting",
  "artifacts/blob-keys.ts:bundlePrefix": "pure string formatting",
  "artifacts/blob-keys.ts:bundleFileKey": "pure string formatting",
  "artifacts/blob-keys.ts:releaseFileKey": "pure string formatting",
  // An org's monthly quota counter's Redis key name, on ingest's accept path; touches no data.
  "ingest/counter-keys.ts:orgQuotaKey": "pure string formatting",
};

const keyOf = (violation: { file: string; name: string }) =>
  `${path.relative(LIB, violation.file).split(path.sep).join("/")}:${violation.name}`;

describe("lib/ is the one place permissions are checked", () => {
  it("has no exported function taking an org id first unless it is named unsafe...", () => {
    const found = orgFirstExportsUnder(LIB);
    const offending = found.filter((v) => !(keyOf(v) in EXEMPT)).map((v) => `${keyOf(v)} (line ${v.line})`);
    expect(offending, "take the Viewer and assertCan, or rename to unsafe... if only jobs and the CLI call it").toEqual([]);
    // An exemption whose function is gone or fixed must leave the list too.
    expect(Object.keys(EXEMPT).filter((key) => !found.some((v) => keyOf(v) === key))).toEqual([]);
  });

  it("catches each shape of an org-first export and passes the allowed ones", () => {
    const source = `
      export async function listThings(orgId: number) {}
      export const countThings = async (orgId: number, day: string) => 0;
      export function byScope({ orgId, projectId }: { orgId: number; projectId: number }) {}
      export const byInput = function (input: { orgId: number; name: string }) {};
      export function byRenamed({ orgId: id }: Scope) {}
      export const wrapped = ((orgId: number) => orgId) satisfies (n: number) => number;
      export function unsafeListThings(orgId: number) {}
      export const unsafeCount = (orgId: number) => 0;
      export function listForViewer(viewer: Viewer, orgId: number) {}
      export function listByViewer(viewer: Viewer) {}
      function privateHelper(orgId: number) {}
      const privateArrow = (orgId: number) => 0;
      export const LIMIT = 5;
    `;
    expect(orgFirstExports("fixture.ts", source).map((v) => v.name)).toEqual([
      "listThings",
      "countThings",
      "byScope",
      "byInput",
      "byRenamed",
      "wrapped",
    ]);
  });
});
