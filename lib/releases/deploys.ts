import { z } from "zod";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db } from "../db";
import type { ReleaseDeploy } from "./detail";
import { dateSchema, projectIdsOf, projectRefsSchema, releaseIn, storableText } from "./lookup";

// `sentry-cli deploys new -e ENV`: a release went out to an environment.

// Sentry's environment names: no slashes or line breaks, at most 64 characters.
export const deploySchema = z.object({
  environment: z
    .string({ error: "environment is required" })
    .min(1, "environment is required")
    .max(64)
    .refine((e) => !/[\r\n\f\t/\0]/.test(e) && e.trim() === e, "environment may not contain slashes, line breaks or NUL"),
  name: storableText(64).nullable().optional(),
  url: storableText(2000).nullable().optional(),
  dateStarted: dateSchema.nullable().optional(),
  dateFinished: dateSchema.nullable().optional(),
  // the projects the deploy concerns (of the org); they become the release's projects too
  projects: projectRefsSchema.optional(),
});

const deploySelect = { id: true, environment: true, name: true, url: true, dateStarted: true, dateFinished: true } as const;

/**
 * Records a deploy of a release of the viewer's org. The same deploy sent again (a retried
 * request: same environment, name, url and dates) is not recorded twice: `created` is false,
 * which the API answers with 208. The environment becomes known to the release's projects.
 */
export async function createDeploy(
  viewer: Viewer,
  version: string,
  body: unknown,
  now = new Date(),
): Promise<{ deploy: ReleaseDeploy; created: boolean }> {
  assertCan(viewer.role, "releases:write");
  return db().$transaction(async (tx) => {
    // The release first: an unknown (or another org's) version is a 404 whatever the body.
    const release = await releaseIn(tx, viewer.orgId, version);
    const input = deploySchema.parse(body);
    // Serializes deploys of one release, so two retries of one request make one row.
    await tx.$queryRaw`select id from releases where id = ${release.id} for no key update`;
    const fields = {
      environment: input.environment,
      name: input.name ?? null,
      url: input.url ?? null,
      dateStarted: input.dateStarted ?? null,
    };
    if (input.dateFinished) {
      const existing = await tx.deploy.findFirst({
        where: { orgId: viewer.orgId, releaseId: release.id, ...fields, dateFinished: input.dateFinished },
        select: deploySelect,
      });
      if (existing) return { deploy: existing, created: false };
    }
    const projectIds = input.projects ? await projectIdsOf(tx, viewer.orgId, input.projects) : [];
    if (projectIds.length > 0) {
      await tx.$executeRaw`
        insert into release_projects (release_id, project_id) select ${release.id}::int, unnest(${projectIds}::int[])
        on conflict (release_id, project_id) do nothing`;
    }
    await tx.$executeRaw`
      insert into environments (org_id, project_id, name)
      select ${viewer.orgId}::int, rp.project_id, ${input.environment} from release_projects rp
      where rp.release_id = ${release.id} order by rp.project_id
      on conflict (project_id, name) do nothing`;
    const deploy = await tx.deploy.create({
      data: { orgId: viewer.orgId, releaseId: release.id, ...fields, dateFinished: input.dateFinished ?? now },
      select: deploySelect,
    });
    return { deploy, created: true };
  });
}

/** The deploys of a release of the viewer's org, newest first. */
export async function listDeploys(viewer: Viewer, version: string): Promise<ReleaseDeploy[]> {
  assertCan(viewer.role, "releases:read");
  const release = await releaseIn(db(), viewer.orgId, version);
  return db().deploy.findMany({
    where: { orgId: viewer.orgId, releaseId: release.id },
    orderBy: [{ dateFinished: "desc" }, { id: "desc" }],
    take: 1000,
    select: deploySelect,
  });
}
