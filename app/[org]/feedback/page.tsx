import type { Metadata } from "next";
import Link from "next/link";
import { AppError } from "@/lib/errors";
import { listOrgFeedback, listProjectFeedback } from "@/lib/feedback/list";
import { listProjects } from "@/lib/projects/listing";
import { requireViewer } from "../../(auth)/session";
import { TimeAgo } from "../../_components/issue-bits";
import { Pager } from "../../_components/pager";
import { ListProblem, ProjectSelect, SubmitFilter } from "../../_components/list-filters";

export const metadata: Metadata = { title: "Feedback" };
export const dynamic = "force-dynamic";

type Props = {
  params: Promise<{ org: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** User feedback of the org's projects, newest first, filtered by project (by slug, as alert links have it). */
export default async function FeedbackPage({ params, searchParams }: Props) {
  const { org } = await params;
  const search = await searchParams;
  const viewer = await requireViewer(org);
  const projects = await listProjects(viewer);
  const projectSlug = one(search.project) ?? "";
  const project = projects.find((p) => p.slug === projectSlug);

  let result: Awaited<ReturnType<typeof listOrgFeedback>> | null = null;
  let problem: string | null = null;
  try {
    const options = { cursor: one(search.cursor), limit: 25 };
    if (projectSlug && !project) throw new AppError("not_found", `No project ${projectSlug} in this organization.`);
    result = project ? await listProjectFeedback(viewer, project.id, options) : await listOrgFeedback(viewer, options);
  } catch (error) {
    // A malformed cursor or an unknown project from a hand-edited URL: say so instead of failing the page.
    if (!(error instanceof AppError)) throw error;
    problem = error.message;
  }
  const pageUrl = (cursor: string) => {
    const next = new URLSearchParams();
    if (project) next.set("project", project.slug);
    next.set("cursor", cursor);
    return `/${org}/feedback?${next}`;
  };

  return (
    <main className="mx-auto max-w-6xl space-y-4 p-4 sm:p-6">
      <h1 className="text-2xl font-semibold">User feedback</h1>
      <form method="get" className="flex flex-wrap items-end gap-2">
        <ProjectSelect projects={projects} selected={project?.slug ?? ""} by="slug" />
        <SubmitFilter />
      </form>

      <ListProblem problem={problem} />

      {result && result.feedback.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600" data-testid="no-feedback">
          No feedback yet. Add the feedback widget of Sentry's browser SDK (<code>feedbackIntegration()</code>), or call{" "}
          <code>Sentry.captureFeedback(&#123; message &#125;)</code> from your app.
        </p>
      ) : null}

      {result && result.feedback.length > 0 ? (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="w-full text-left text-sm">
            <thead>
              <tr className="border-b border-slate-200 text-slate-600">
                <th className="px-3 py-2">From</th>
                <th className="px-2">Message</th>
                <th className="px-2">Page</th>
                <th className="px-2">Project</th>
                <th className="px-2">Issue</th>
                <th className="px-3">Received</th>
              </tr>
            </thead>
            <tbody>
              {result.feedback.map((f) => (
                <tr key={f.id} className="border-b border-slate-200 align-top last:border-b-0" data-testid="feedback-row">
                  <td className="px-3 py-2">
                    <div className="font-medium">{f.name || "Anonymous"}</div>
                    {f.email ? <div className="text-slate-600">{f.email}</div> : null}
                  </td>
                  <td className="max-w-md whitespace-pre-wrap break-words px-2 py-2">{f.comments}</td>
                  <td className="max-w-56 break-all px-2 py-2 text-slate-600">{f.url ?? "—"}</td>
                  <td className="px-2 py-2">{f.project.slug}</td>
                  <td className="px-2 py-2">
                    {f.issue ? (
                      <Link
                        href={`/${org}/issues/${f.issue.id}${f.associatedEventId ? `?event=${f.associatedEventId}` : ""}`}
                        className="text-indigo-700 hover:underline"
                        title={f.issue.title}
                      >
                        {f.issue.shortId}
                      </Link>
                    ) : f.associatedEventId ? (
                      // Linked to an event not stored (yet, or dropped): the id helps searching the SDK's logs.
                      <span className="font-mono text-slate-500" title="event not stored">
                        {f.associatedEventId.slice(0, 12)}
                      </span>
                    ) : (
                      <span className="text-slate-500">none</span>
                    )}
                  </td>
                  <td className="whitespace-nowrap px-3 py-2">
                    <TimeAgo date={f.dateCreated} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}

      {result ? <Pager links={result.links} href={pageUrl} /> : null}
    </main>
  );
}
