import { ensureOrgOwnedBy } from "./orgs";
import { ensureProject, projectDsn } from "./projects";
import { ensureBootstrapToken } from "./tokens";
import { upsertUserWithPassword } from "./users";

export type BootstrapResult = { dsn: string; token: string; org: string; project: string; projectId: number };

/**
 * Creates (or finds) a user, an org owned by them, a project with a DSN key and an API token.
 * Idempotent: running it again with the same input returns the same result.
 */
export async function bootstrap(input: {
  email: string;
  password: string;
  org: string;
  project: string;
  platform?: string;
}): Promise<BootstrapResult> {
  const user = await upsertUserWithPassword({ email: input.email, password: input.password });
  const org = await ensureOrgOwnedBy(user.id, { slug: input.org });
  const project = await ensureProject(org.id, { slug: input.project, platform: input.platform });
  return {
    dsn: await projectDsn(org.id, project.id),
    token: await ensureBootstrapToken(user.id, org.id),
    org: org.slug,
    project: input.project,
    projectId: project.id,
  };
}
