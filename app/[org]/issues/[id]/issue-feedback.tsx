import Link from "next/link";
import { can } from "@/lib/auth/permissions";
import type { Viewer } from "@/lib/auth/viewer";
import { listIssueFeedback } from "@/lib/feedback/list";
import { TimeAgo } from "../../../_components/issue-bits";

/** What users said about this issue's events (user feedback linked through its associated event). */
export async function IssueFeedback({ viewer, org, issueId }: { viewer: Viewer; org: string; issueId: number }) {
  if (!can(viewer.role, "feedback:read")) return null;
  const { feedback, links } = await listIssueFeedback(viewer, issueId, { limit: 20 });
  return (
    <section className="space-y-2" data-testid="issue-feedback">
      <h2 className="text-lg font-medium">User feedback</h2>
      {feedback.length === 0 ? (
        <p className="text-sm text-slate-500">No feedback on this issue's events.</p>
      ) : (
        <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white text-sm">
          {feedback.map((f) => (
            <li key={f.id} className="space-y-1 px-3 py-2">
              <div className="flex flex-wrap items-baseline gap-2">
                <span className="font-medium">{f.name || "Anonymous"}</span>
                {f.email ? <span className="text-slate-600">{f.email}</span> : null}
                <span className="text-slate-500">
                  <TimeAgo date={f.dateCreated} />
                </span>
                {f.associatedEventId ? (
                  <Link href={`/${org}/issues/${issueId}?event=${f.associatedEventId}`} className="font-mono text-indigo-700 hover:underline">
                    event {f.associatedEventId.slice(0, 12)}
                  </Link>
                ) : null}
              </div>
              <p className="whitespace-pre-wrap break-words">{f.comments}</p>
            </li>
          ))}
        </ul>
      )}
      {links.next.results ? (
        <Link href={`/${org}/feedback?project=${encodeURIComponent(feedback[0]!.project.slug)}`} className="text-sm text-indigo-700 hover:underline">
          All feedback of the project →
        </Link>
      ) : null}
    </section>
  );
}
