import type { Metadata } from "next";
import Link from "next/link";
import { listReleases } from "@/lib/releases";
import { requireViewer } from "../../(auth)/session";
import { TimeAgo } from "../../_components/issue-bits";

export const metadata: Metadata = { title: "Releases" };
export const dynamic = "force-dynamic";

export default async function ReleasesPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const releases = await listReleases(await requireViewer(org));
  return (
    <main className="mx-auto max-w-4xl space-y-4 p-4 sm:p-6">
      <h1 className="text-2xl font-semibold">Releases</h1>
      {releases.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600">
          No releases yet: set <code>release</code> in your SDK's init and they appear with their first event.
        </p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b text-slate-500">
                <th className="py-2">Version</th>
                <th>Projects</th>
                <th>New issues</th>
                <th>First seen</th>
                <th>Last seen</th>
              </tr>
            </thead>
            <tbody>
              {releases.map((r) => (
                <tr key={r.version} className="border-b" data-testid="release-row">
                  <td className="py-2 font-mono">
                    <Link href={`/${org}/issues?query=${encodeURIComponent(`release:"${r.version}"`)}&statsPeriod=90d`} className="text-indigo-700 hover:underline">
                      {r.version}
                    </Link>
                  </td>
                  <td>{r.projects.join(", ")}</td>
                  <td className="tabular-nums">{r.newIssues}</td>
                  <td>
                    <TimeAgo date={r.firstSeen} />
                  </td>
                  <td>
                    <TimeAgo date={r.lastSeen} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
