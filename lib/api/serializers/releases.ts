import type { Repository } from "../../releases/commits";
import type { ReleaseDeploy, ReleaseDetail } from "../../releases/detail";
import type { CommitRef, ReleaseSummary } from "../../releases/list";
import type { ProjectReleaseHealth } from "../../sessions/health";

const iso = (date: Date | null | undefined) => date?.toISOString() ?? null;

/** Sentry's versionInfo: `package@version+build` split, with semver parts when it is one. */
export function versionInfo(version: string) {
  const at = version.lastIndexOf("@");
  const pkg = at > 0 ? version.slice(0, at) : null;
  const raw = at > 0 ? version.slice(at + 1) : version;
  const semver = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(raw);
  const buildHash = /^[0-9a-f]{40}$/.test(raw) ? raw : null;
  return {
    package: pkg,
    version: semver
      ? {
          raw,
          major: Number(semver[1]),
          minor: Number(semver[2] ?? 0),
          patch: Number(semver[3] ?? 0),
          pre: semver[4] ?? null,
          buildCode: semver[5] ?? null,
          components: [semver[1], semver[2], semver[3]].filter((c) => c !== undefined).length,
        }
      : { raw },
    description: semver ? raw : buildHash ? buildHash.slice(0, 12) : raw,
    buildHash,
  };
}

/** Sentry's shortVersion: the version without its package, a sha cut to 12 characters. */
export function shortVersion(version: string): string {
  const info = versionInfo(version);
  return info.description;
}

export function serializeCommit(commit: CommitRef) {
  return {
    id: commit.id,
    message: commit.message,
    dateCreated: iso(commit.timestamp),
    author: commit.authorEmail ? { name: commit.authorName, email: commit.authorEmail } : null,
    repository: { name: commit.repository },
  };
}

/** Sentry's release shape, which sentry-cli reads (version, dateCreated, lastCommit ...). */
export function serializeRelease(release: ReleaseSummary | ReleaseDetail) {
  const detail = "deploys" in release ? release : null;
  return {
    version: release.version,
    shortVersion: shortVersion(release.version),
    ref: detail?.ref ?? null,
    url: detail?.url ?? null,
    dateCreated: release.dateCreated.toISOString(),
    dateReleased: iso(release.dateReleased),
    ...(detail ? { dateStarted: iso(detail.dateStarted) } : {}),
    newGroups: release.newIssues,
    commitCount: release.commitCount,
    deployCount: release.deployCount,
    lastDeploy: release.lastDeploy
      ? { environment: release.lastDeploy.environment, dateFinished: release.lastDeploy.dateFinished.toISOString() }
      : null,
    lastCommit: release.lastCommit ? serializeCommit(release.lastCommit) : null,
    authors: release.authors.map((a) => ({ name: a.name ?? a.email, email: a.email })),
    projects: release.projects.map((p) => ({
      id: p.id,
      slug: p.slug,
      name: p.name,
      newGroups: p.newIssues,
      platform: p.platform,
      platforms: [p.platform],
      // Without `?health=1` no session is read (Sentry checks; we answer false as before).
      hasHealthData: p.health?.hasHealthData ?? false,
      ...(p.health !== undefined ? { healthData: p.health && serializeHealth(p.health) } : {}),
    })),
    firstEvent: iso(release.firstEvent),
    lastEvent: iso(release.lastEvent),
    data: {},
    status: "open",
    versionInfo: versionInfo(release.version),
  };
}

/** Sentry's healthData of a release's project (rates and adoption in percent, stats [[ts, n]]). */
function serializeHealth(h: ProjectReleaseHealth) {
  return {
    durationP50: h.durationP50,
    durationP90: h.durationP90,
    crashFreeUsers: h.crashFreeUsers,
    crashFreeSessions: h.crashFreeSessions,
    sessionsCrashed: h.sessionsCrashed,
    sessionsErrored: h.sessionsErrored,
    totalUsers: h.totalUsers,
    totalUsers24h: h.totalUsers24h,
    totalProjectUsers24h: h.totalProjectUsers24h,
    totalSessions: h.totalSessions,
    totalSessions24h: h.totalSessions24h,
    totalProjectSessions24h: h.totalProjectSessions24h,
    adoption: h.adoption,
    sessionsAdoption: h.sessionsAdoption,
    stats: h.stats,
    hasHealthData: h.hasHealthData,
  };
}

export function serializeDeploy(deploy: ReleaseDeploy) {
  return {
    id: String(deploy.id),
    environment: deploy.environment,
    name: deploy.name,
    url: deploy.url,
    dateStarted: iso(deploy.dateStarted),
    dateFinished: deploy.dateFinished.toISOString(),
  };
}

/**
 * Sentry's repository shape. Ours have no provider integration: Sentry calls that provider
 * "unknown", and sentry-cli needs an object there (null fails its `repos list` and set-commits).
 */
export function serializeRepository(repo: Repository) {
  return {
    id: String(repo.id),
    name: repo.name,
    url: repo.url,
    provider: repo.provider ? { id: repo.provider, name: repo.provider } : { id: "unknown", name: "Unknown Provider" },
    status: "active",
    dateCreated: repo.createdAt.toISOString(),
    integrationId: null,
    externalSlug: null,
  };
}
