import { db } from "./db";
import { unsafeEnsureOrgOwnedBy } from "./orgs";
import { unsafeEnsureProject, unsafeProjectDsn } from "./projects";
import { unsafeEnsureBootstrapToken } from "./tokens";
import { upsertUserWithPassword } from "./users";

/** token is null when the bootstrap token was revoked: it is never granted again. */
export type BootstrapResult = { dsn: string; token: string | null; org: string; project: string; projectId: number };

/**
 * Creates (or finds) a user, an org owned by them, a project with a DSN key and an API token.
 * Idempotent: running it again with the same input returns the same result, except that a
 * revoked bootstrap token stays revoked (token null). System context
 * only (the launcher's demo account and the admin CLI): it checks no permission.
 */
export async function unsafeBootstrap(input: {
  email: string;
  password: string;
  org: string;
  project: string;
  platform?: string;
}): Promise<BootstrapResult> {
  const user = await upsertUserWithPassword({ email: input.email, password: input.password });
  const org = await unsafeEnsureOrgOwnedBy(user.id, { slug: input.org });
  const project = await unsafeEnsureProject(org.id, { slug: input.project, platform: input.platform });
  return {
    dsn: await unsafeProjectDsn(org.id, project.id),
    token: await unsafeEnsureBootstrapToken(user.id, org.id),
    org: org.slug,
    project: input.project,
    projectId: project.id,
  };
}

/**
 * The launcher's demo account, made only on a database without any user (a newcomer's first
 * run); null otherwise, so a later start never re-grants a login or token someone removed.
 */
export async function unsafeCreateDemoAccount(login: { email: string; password: string }): Promise<BootstrapResult | null> {
  if ((await db().user.count()) > 0) return null;
  return unsafeBootstrap({ ...login, org: "demo", project: "demo", platform: "node" });
}
