import { formatDsn } from "../../projects/dsn";
import type { listProjectKeys, listProjects } from "../../projects/listing";
import { env } from "../../env";
import type { ApiOrg } from "../tenancy";
import type { ApiViewer } from "../auth";

const appUrl = () => env().APP_URL.replace(/\/+$/, "");

/** Sentry's organization summary. */
export function serializeOrg(org: ApiOrg) {
  return {
    id: String(org.id),
    slug: org.slug,
    name: org.name,
    dateCreated: org.createdAt.toISOString(),
    status: { id: "active", name: "active" },
    avatar: { avatarType: "letter_avatar", avatarUuid: null },
    isEarlyAdopter: false,
    require2FA: false,
    features: [],
    links: { organizationUrl: `${appUrl()}/${org.slug}`, regionUrl: appUrl() },
    hasAuthProvider: false,
  };
}

/** The organization details add what the token may do there. */
export function serializeOrgDetail(org: ApiOrg, viewer: ApiViewer, projects: Project[]) {
  return {
    ...serializeOrg(org),
    orgRole: viewer.role,
    role: viewer.role,
    access: viewer.scopes,
    plan: org.plan,
    projects: projects.map((p) => serializeProject(p)),
  };
}

type Project = Awaited<ReturnType<typeof listProjects>>[number];

/** Sentry's project summary; with the org, the project details shape. */
export function serializeProject(project: Project, org?: ApiOrg) {
  return {
    id: String(project.id),
    slug: project.slug,
    name: project.name,
    platform: project.platform,
    dateCreated: project.createdAt.toISOString(),
    isBookmarked: false,
    isMember: true,
    hasAccess: true,
    features: [],
    firstEvent: project.firstEventAt?.toISOString() ?? null,
    firstTransactionEvent: false,
    status: "active",
    ...(org ? { organization: serializeOrg(org) } : {}),
  };
}

type Key = Awaited<ReturnType<typeof listProjectKeys>>[number];

/** Sentry's client key (DSN) shape; the key's id is its public key, as in Sentry. */
export function serializeKey(key: Key) {
  const ingest = new URL(env().INGEST_URL);
  const base = `${ingest.origin}${ingest.pathname.replace(/\/+$/, "")}/api/${key.projectId}`;
  const publicDsn = formatDsn(env().INGEST_URL, key.publicKey, key.projectId);
  const secretDsn = publicDsn.replace(`//${key.publicKey}@`, `//${key.publicKey}:${key.secretKey}@`);
  return {
    id: key.publicKey,
    name: key.label,
    label: key.label,
    public: key.publicKey,
    secret: key.secretKey,
    projectId: key.projectId,
    isActive: key.active,
    rateLimit:
      key.rateLimitCount !== null && key.rateLimitWindow !== null
        ? { count: key.rateLimitCount, window: key.rateLimitWindow }
        : null,
    dsn: {
      public: publicDsn,
      secret: secretDsn,
      csp: `${base}/csp-report/?sentry_key=${key.publicKey}`,
      security: `${base}/security/?sentry_key=${key.publicKey}`,
      minidump: `${base}/minidump/?sentry_key=${key.publicKey}`,
      nel: `${base}/nel/?sentry_key=${key.publicKey}`,
      unreal: `${base}/unreal/${key.publicKey}/`,
      cdn: null,
      crons: `${base}/cron/___MONITOR_SLUG___/${key.publicKey}/`,
    },
    browserSdkVersion: "latest",
    dateCreated: key.createdAt.toISOString(),
  };
}
