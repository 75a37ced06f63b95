import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { listArtifactBundles } from "@/lib/artifacts/bundles";
import { can } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { projectBySlug } from "@/lib/projects/manage";
import { requireViewer } from "../../../../../(auth)/session";
import { ActionForm } from "../../../../../_components/action-form";
import { TimeAgo } from "../../../../../_components/issue-bits";
import { deleteBundleAction } from "./actions";

export const metadata: Metadata = { title: "Source maps" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; project: string }> };

/** "12.3 KiB": a bundle's size as people read it. */
function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export default async function SourceMapsPage({ params }: Props) {
  const { org, project: slug } = await params;
  const viewer = await requireViewer(org);
  const project = await projectBySlug(viewer, slug).catch((error) => {
    if (error instanceof AppError) notFound();
    throw error;
  });
  const bundles = await listArtifactBundles(viewer, project.id);
  const deletable = can(viewer.role, "releases:write");
  const commands = [
    `export SENTRY_URL=${env().APP_URL}`,
    "export SENTRY_AUTH_TOKEN=<an API token with project:releases>",
    `export SENTRY_ORG=${org} SENTRY_PROJECT=${project.slug}`,
    "npx @sentry/cli sourcemaps inject ./dist",
    "npx @sentry/cli sourcemaps upload --release <version> ./dist",
  ].join("\n");

  return (
    <main className="mx-auto max-w-4xl space-y-8 p-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">{project.name}: source maps</h1>
        <Link href={`/${org}/projects/${slug}/settings`} className="text-sm text-indigo-700 hover:underline">
          ← Project settings
        </Link>
      </div>
      <p className="text-sm text-slate-600">
        Artifact bundles uploaded with <code>sentry-cli sourcemaps upload</code>. Minified JavaScript stack traces are
        shown as the original code when a frame's file has a bundle here (matched by debug id, else by release and URL).
        Bundles no event has used for 90 days are removed.
      </p>

      {bundles.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 p-8 text-center text-slate-600" data-testid="no-bundles">
          No source maps uploaded for this project yet.
        </p>
      ) : (
        <ul className="space-y-3" aria-label="Artifact bundles">
          {bundles.map((bundle) => (
            <li key={bundle.id} className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm" data-testid="bundle-row">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <code className="break-all font-medium">{bundle.bundleId}</code>
                <span className="text-slate-600">
                  {bundle.fileCount} {bundle.fileCount === 1 ? "file" : "files"} · {formatBytes(bundle.size)}
                </span>
              </div>
              <dl className="grid grid-cols-[8rem_1fr] gap-x-2 gap-y-0.5">
                <dt className="text-slate-600">Release</dt>
                <dd className="break-all font-mono">{bundle.release ?? "none"}</dd>
                <dt className="text-slate-600">Dist</dt>
                <dd className="break-all font-mono">{bundle.dist ?? "none"}</dd>
                <dt className="text-slate-600">Uploaded</dt>
                <dd>
                  <TimeAgo date={bundle.createdAt} />
                </dd>
                <dt className="text-slate-600">Last used</dt>
                <dd>
                  <TimeAgo date={bundle.lastUsedAt} />
                </dd>
                <dt className="text-slate-600">Debug ids</dt>
                <dd className="break-all font-mono text-xs">
                  {bundle.debugIds.length === 0 ? "none (matched by release and URL)" : bundle.debugIds.join(", ")}
                </dd>
              </dl>
              {deletable ? (
                // A details element as the confirmation: a second, explicit click, with no client script.
                <details>
                  <summary className="cursor-pointer text-red-700">Delete…</summary>
                  <ActionForm
                    action={deleteBundleAction.bind(null, org, project.slug, project.id, bundle.id)}
                    className="mt-2 flex flex-wrap items-center gap-2"
                  >
                    <span>Events that need these maps will show minified frames.</span>
                    <button type="submit" className="rounded-md bg-red-700 px-3 py-1 text-sm font-medium text-white hover:bg-red-800">
                      Delete bundle {bundle.bundleId.slice(0, 8)}
                    </button>
                  </ActionForm>
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}

      <section className="space-y-2">
        <h2 className="text-lg font-medium">Upload source maps with sentry-cli</h2>
        <p className="text-sm text-slate-600">
          In your build, after bundling: inject debug ids into the files, then upload them. The release is optional with
          debug ids; set the same one in your SDK's init to see releases.{" "}
          <Link href={`/${org}/settings/tokens`} className="text-indigo-700 underline">
            Create an API token
          </Link>
          .
        </p>
        <pre className="overflow-x-auto rounded bg-slate-900 p-3 text-xs text-slate-100" data-testid="upload-commands">
          {commands}
        </pre>
      </section>
    </main>
  );
}
