import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppError } from "@/lib/errors";
import { getReleaseDetail, type ReleaseDeploy, type ReleaseIssue } from "@/lib/releases";
import { type ReleaseHealth, releasesHealth } from "@/lib/sessions";
import { requireViewer } from "../../../(auth)/session";
import { LevelBadge, TimeAgo } from "../../../_components/issue-bits";
import { HealthSparkline, percent } from "../health-bits";

export const metadata: Metadata = { title: "Release" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; version: string }> };

const h2 = "text-lg font-medium";
const card = "rounded-lg border border-slate-200 bg-white";

export default async function ReleasePage({ params }: Props) {
  const { org, version } = await params;
  const viewer = await requireViewer(org);
  // An unknown version, or another org's, is the same 404.
  const release = await getReleaseDetail(viewer, decodeVersion(version)).catch((error) => {
    if (error instanceof AppError && error.code === "not_found") notFound();
    throw error;
  });
  const environments = deploysByEnvironment(release.deploys);
  const health = (await releasesHealth(viewer, [release.version], { period: "14d" })).get(release.version)!;

  return (
    <main className="mx-auto max-w-6xl space-y-6 p-4 sm:p-6">
      <header className="space-y-2">
        <div className="text-sm text-slate-600">
          <Link href={`/${org}/releases`} className="text-indigo-700 underline">
            Releases
          </Link>{" "}
          / release
        </div>
        <h1 className="break-all font-mono text-2xl font-semibold" data-testid="release-version">
          {release.version}
        </h1>
        <p className="text-sm text-slate-600">
          {release.projects.length === 0 ? "No project" : release.projects.map((p) => p.name).join(", ")}
          {release.url ? (
            <>
              {" · "}
              <a href={release.url} className="break-all text-indigo-700 hover:underline" rel="noreferrer">
                {release.url}
              </a>
            </>
          ) : null}
          {release.ref ? <span className="font-mono"> · {release.ref}</span> : null}
        </p>
      </header>

      <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4" data-testid="release-facts">
        <Fact label="Created">
          <TimeAgo date={release.dateCreated} />
        </Fact>
        <Fact label="Started">{release.dateStarted ? <TimeAgo date={release.dateStarted} /> : "not set"}</Fact>
        <Fact label="Released">{release.dateReleased ? <TimeAgo date={release.dateReleased} /> : "not finalized"}</Fact>
        <Fact label="Last event">{release.lastEvent ? <TimeAgo date={release.lastEvent} /> : "none yet"}</Fact>
        <Fact label="New issues">{release.newIssues}</Fact>
        <Fact label="Events">{release.eventCount}</Fact>
        <Fact label="Users">{release.userCount}</Fact>
        <Fact label="Commits">{release.commitCount}</Fact>
      </dl>

      <HealthSection health={health} version={release.version} />

      <section className="space-y-2" aria-labelledby="deploys">
        <h2 id="deploys" className={h2}>
          Deploys
        </h2>
        {environments.length === 0 ? (
          <p className="text-sm text-slate-600">
            Not deployed yet: <code>sentry-cli deploys new --release {release.version} -e production</code> records one.
          </p>
        ) : (
          <ul className={`divide-y divide-slate-200 text-sm ${card}`} data-testid="deploys">
            {environments.map(([environment, deploys]) => (
              <li key={environment} className="px-3 py-2">
                <span className="font-medium">{environment}</span>{" "}
                <span className="text-slate-600">
                  {deploys.length === 1 ? "1 deploy" : `${deploys.length} deploys`}, last <TimeAgo date={deploys[0]!.dateFinished} />
                  {deploys[0]!.name ? ` (${deploys[0]!.name})` : ""}
                </span>
                {deploys[0]!.url ? (
                  <a href={deploys[0]!.url} className="ml-2 break-all text-indigo-700 hover:underline" rel="noreferrer">
                    {deploys[0]!.url}
                  </a>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        {release.deployCount > release.deploys.length ? (
          <p className="text-xs text-slate-600">The latest {release.deploys.length} of {release.deployCount} deploys.</p>
        ) : null}
      </section>

      <section className="space-y-2" aria-labelledby="commits">
        <h2 id="commits" className={h2}>
          Commits
        </h2>
        {release.commits.length === 0 ? (
          <p className="text-sm text-slate-600">
            No commits: <code>sentry-cli releases set-commits {release.version} --auto</code> (or <code>--local</code>) adds them.
          </p>
        ) : (
          <ul className={`divide-y divide-slate-200 text-sm ${card}`} data-testid="commits">
            {release.commits.map((commit) => (
              <li key={`${commit.repository}-${commit.id}`} className="flex flex-wrap items-baseline gap-x-3 px-3 py-2">
                <code className="text-xs text-slate-600" title={commit.id}>
                  {commit.id.slice(0, 7)}
                </code>
                <span className="min-w-0 flex-1 break-words">{firstLine(commit.message) || "(no message)"}</span>
                <span className="text-slate-600">
                  {commit.authorName || commit.authorEmail || "unknown author"}
                  {commit.timestamp ? (
                    <>
                      {" "}
                      <TimeAgo date={commit.timestamp} />
                    </>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        )}
        {release.commitCount > release.commits.length ? (
          <p className="text-xs text-slate-600">The first {release.commits.length} of {release.commitCount} commits.</p>
        ) : null}
      </section>

      <IssueList org={org} title="New issues in this release" testId="new-issues" issues={release.newIssueList} empty="No issue was first seen in this release." />
      <IssueList org={org} title="Issues with events in this release" testId="release-issues" issues={release.issues} empty="No events in this release yet." />
    </main>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className={`px-3 py-2 ${card}`}>
      <dt className="text-xs uppercase tracking-wide text-slate-600">{label}</dt>
      <dd className="font-medium tabular-nums">{children}</dd>
    </div>
  );
}

function IssueList({ org, title, testId, issues, empty }: { org: string; title: string; testId: string; issues: ReleaseIssue[]; empty: string }) {
  return (
    <section className="space-y-2" aria-labelledby={testId}>
      <h2 id={testId} className={h2}>
        {title}
      </h2>
      {issues.length === 0 ? (
        <p className="text-sm text-slate-600">{empty}</p>
      ) : (
        <ul className={`divide-y divide-slate-200 ${card}`} data-testid={testId}>
          {issues.map((issue) => (
            <li key={issue.id} className="flex items-center gap-3 px-3 py-2">
              <div className="min-w-0 flex-1">
                <Link href={`/${org}/issues/${issue.id}`} className="block truncate font-medium text-slate-900 hover:underline">
                  {issue.title}
                </Link>
                <div className="flex flex-wrap items-center gap-2 text-xs text-slate-600">
                  <LevelBadge level={issue.level} />
                  {issue.status === "unresolved" ? null : <span>{issue.status}</span>}
                  <span>{issue.shortId}</span>
                  <span className="truncate">{issue.culprit}</span>
                  <span>
                    in this release <TimeAgo date={issue.lastSeenInRelease} />
                  </span>
                </div>
              </div>
              <div className="text-right text-sm tabular-nums" title="events in this release">
                {issue.eventsInRelease}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** Deploys grouped by environment, each group newest first, environments by their latest deploy. */
function deploysByEnvironment(deploys: ReleaseDeploy[]): [string, ReleaseDeploy[]][] {
  const groups = new Map<string, ReleaseDeploy[]>();
  for (const deploy of deploys) groups.set(deploy.environment, [...(groups.get(deploy.environment) ?? []), deploy]);
  return [...groups.entries()];
}

/**
 * The version from its path segment. Next hands a page's dynamic segment over still
 * percent-encoded (measured: "50%25%20off" arrives as is), so it is decoded here, once; a
 * malformed escape is no release.
 */
function decodeVersion(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    notFound();
  }
}

const firstLine = (message: string | null) => (message ?? "").split("\n")[0]!.trim();

function HealthSection({ health, version }: { health: ReleaseHealth; version: string }) {
  return (
    <section className="space-y-2" aria-labelledby="health">
      <h2 id="health" className={h2}>
        Release health, last 14 days
      </h2>
      {health.sessions === 0 ? (
        <p className="text-sm text-slate-600" data-testid="release-health">
          No sessions: SDKs send them when release health is on (the default in most), with <code>release</code> set.
        </p>
      ) : (
        <dl className="flex flex-wrap items-end gap-3 text-sm" data-testid="release-health">
          <Fact label="Crash-free sessions">
            <span data-testid="crash-free-sessions">{percent(health.crashFreeSessions)}</span>
          </Fact>
          <Fact label="Crash-free users">
            <span data-testid="crash-free-users">{percent(health.crashFreeUsers)}</span>
          </Fact>
          <Fact label="Adoption, 24 h">
            <span data-testid="adoption">{percent(health.adoption)}</span>
          </Fact>
          <Fact label="Sessions">{health.sessions}</Fact>
          <Fact label="Users">{health.users}</Fact>
          <div className={`px-3 py-2 ${card}`}>
            <HealthSparkline
              health={health}
              width={280}
              height={48}
              label={`Sessions of ${version} per day over the last 14 days (red: under 99% crash-free)`}
            />
          </div>
        </dl>
      )}
    </section>
  );
}
