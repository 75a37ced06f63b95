import type { Tx } from "../db";
import { AppError } from "../errors";
import { versionSchema } from "../releases/lookup";

/** A version a release may have (lib/releases' rule, Sentry's); a 400 names what is wrong. */
export function assertReleaseVersion(version: string): string {
  const parsed = versionSchema.safeParse(version);
  if (!parsed.success) {
    throw new AppError("bad_request", `Invalid release version ${JSON.stringify(version.slice(0, 210))}: ${parsed.error.issues[0]!.message}`);
  }
  return version;
}

/**
 * Makes the release exist in the org and in each project (first/last seen stay null until an
 * event of it arrives), so files uploaded for a release show it before any event does.
 * Concurrent calls are harmless: both statements do nothing on conflict.
 */
export async function unsafeEnsureRelease(tx: Tx, orgId: number, version: string, projectIds: readonly number[]): Promise<number> {
  await tx.$executeRaw`insert into releases (org_id, version) values (${orgId}, ${version}) on conflict (org_id, version) do nothing`;
  const [release] = await tx.$queryRaw<{ id: number }[]>`select id from releases where org_id = ${orgId} and version = ${version}`;
  if (projectIds.length > 0) {
    await tx.$executeRaw`
      insert into release_projects (release_id, project_id)
      select ${release!.id}, p.id from projects p where p.id = any(${[...projectIds]}::int[]) and p.org_id = ${orgId}
      on conflict (release_id, project_id) do nothing`;
  }
  return release!.id;
}
