import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { can } from "@/lib/auth/permissions";
import { env } from "@/lib/env";
import { AppError } from "@/lib/errors";
import { parseFilterConfig } from "@/lib/ingest/filters";
import { formatDsn } from "@/lib/projects/dsn";
import { listProjectKeys } from "@/lib/projects/listing";
import { projectBySlug } from "@/lib/projects/manage";
import { listPlatforms } from "@/lib/projects/platforms";
import { requireViewer } from "../../../../(auth)/session";
import { ActionForm, Field } from "../../../../_components/action-form";
import {
  createKeyAction,
  deleteKeyAction,
  deleteProjectAction,
  rotateKeyAction,
  updateKeyAction,
  updateProjectAction,
} from "../../actions";

export const metadata: Metadata = { title: "Project settings" };
export const dynamic = "force-dynamic";

type Props = { params: Promise<{ org: string; project: string }> };

const checkbox = "h-4 w-4 rounded border-slate-300";

export default async function ProjectSettingsPage({ params }: Props) {
  const { org, project: slug } = await params;
  const viewer = await requireViewer(org);
  const project = await projectBySlug(viewer, slug).catch((error) => {
    if (error instanceof AppError) notFound();
    throw error;
  });
  const keys = await listProjectKeys(viewer, project.id);
  const filters = parseFilterConfig(project.filters);
  const editable = can(viewer.role, "projects:update");
  const manageKeys = can(viewer.role, "keys:manage");
  return (
    <main className="mx-auto max-w-3xl space-y-10 p-6">
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h1 className="text-2xl font-semibold">{project.name}: settings</h1>
        <nav className="flex flex-col items-end gap-1 text-sm" aria-label="Project pages">
          <Link href={`/${org}/projects/${slug}/alerts`} className="text-indigo-700 hover:underline">
            Alerts: who is told when something breaks
          </Link>
          <Link href={`/${org}/projects/${slug}/settings/source-maps`} className="text-indigo-700 hover:underline">
            Source maps: readable JavaScript stack traces
          </Link>
        </nav>
      </div>

      <section className="space-y-3">
        <h2 className="text-lg font-medium">Client keys (DSN)</h2>
        {keys.length === 0 ? <p className="text-slate-600">No keys: events cannot be sent until you create one.</p> : null}
        <ul className="space-y-4">
          {keys.map((key) => (
            <li key={key.id} className="space-y-2 rounded-lg border border-slate-200 bg-white p-4" data-testid={`key-${key.id}`}>
              <div className="flex items-baseline justify-between text-sm">
                <strong>{key.label}</strong>
                <span className={key.active ? "text-green-700" : "text-slate-500"}>{key.active ? "active" : "disabled"}</span>
              </div>
              <code className="block break-all rounded bg-slate-100 px-2 py-1 text-sm">
                {formatDsn(env().INGEST_URL, key.publicKey, project.id)}
              </code>
              {manageKeys ? (
                <div className="flex flex-wrap items-end gap-4">
                  <ActionForm action={updateKeyAction.bind(null, org, key.id)} submit="Save key" className="flex flex-wrap items-end gap-2 text-sm">
                    <Field label="Label" name="label" defaultValue={key.label} required maxLength={64} />
                    <Field label="Rate limit: events" name="rateLimitCount" type="number" min={1} defaultValue={key.rateLimitCount ?? ""} />
                    <Field label="per seconds" name="rateLimitWindow" type="number" min={1} max={86400} defaultValue={key.rateLimitWindow ?? ""} />
                    <label className="flex items-center gap-1">
                      <input type="checkbox" name="active" defaultChecked={key.active} className={checkbox} /> Active
                    </label>
                  </ActionForm>
                  <ActionForm action={rotateKeyAction.bind(null, org, key.id)} submit="Rotate" />
                  <ActionForm action={deleteKeyAction.bind(null, org, key.id)} submit="Delete key" />
                </div>
              ) : null}
            </li>
          ))}
        </ul>
        {manageKeys ? (
          <ActionForm action={createKeyAction.bind(null, org, project.id)} submit="Create key" className="flex items-end gap-2">
            <Field label="New key label" name="label" placeholder="Default" maxLength={64} />
          </ActionForm>
        ) : null}
      </section>

      {editable ? (
        <section className="space-y-3">
          <h2 className="text-lg font-medium">General, scrubbing and inbound filters</h2>
          <ActionForm action={updateProjectAction.bind(null, org, project.id)} submit="Save settings" className="space-y-4">
            <input type="hidden" name="currentSlug" value={project.slug} />
            <Field label="Name" name="name" defaultValue={project.name} required maxLength={100} />
            <Field label="Short name" name="slug" defaultValue={project.slug} required pattern="[a-z0-9\-]+" maxLength={50} />
            <label className="block">
              <span className="text-sm font-medium">Platform</span>
              <select name="platform" defaultValue={project.platform} className="mt-1 block rounded-md border border-slate-300 px-3 py-2">
                {listPlatforms().map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" name="scrubData" defaultChecked={project.scrubData} className={checkbox} />
              Scrub passwords, tokens, cookies and card numbers from events on the server
            </label>
            <label className="block">
              <span className="text-sm font-medium">Apdex threshold (ms)</span>
              <input
                name="apdexThresholdMs"
                type="number"
                required
                min={1}
                max={60000}
                step={1}
                defaultValue={project.apdexThresholdMs}
                aria-describedby="apdex-help"
                className="mt-1 block w-40 rounded-md border border-slate-300 px-3 py-2"
              />
              <span id="apdex-help" className="mt-1 block text-xs text-slate-600">
                Performance counts a transaction up to this long as satisfied, up to four times as long as tolerated.
              </span>
            </label>
            <fieldset className="space-y-2 text-sm">
              <legend className="font-medium">Inbound filters: drop events</legend>
              <label className="flex items-center gap-2">
                <input type="checkbox" name="browserExtensions" defaultChecked={filters.browserExtensions} className={checkbox} />
                from browser extensions
              </label>
              <label className="flex items-center gap-2">
                <input type="checkbox" name="localhost" defaultChecked={filters.localhost} className={checkbox} />
                from localhost
              </label>
              <label className="flex items-center gap-2">
                <input type="checkbox" name="webCrawlers" defaultChecked={filters.webCrawlers} className={checkbox} />
                from web crawlers
              </label>
              <label className="block">
                <span>with error messages matching (one glob per line, * wildcard)</span>
                <textarea name="errorMessages" rows={3} defaultValue={(filters.errorMessages ?? []).join("\n")} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2" />
              </label>
              <label className="block">
                <span>from releases matching (one glob per line)</span>
                <textarea name="releases" rows={2} defaultValue={(filters.releases ?? []).join("\n")} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2" />
              </label>
            </fieldset>
          </ActionForm>
        </section>
      ) : null}

      {can(viewer.role, "projects:delete") ? (
        <section className="space-y-3 rounded-lg border border-red-200 bg-red-50 p-4">
          <h2 className="text-lg font-medium text-red-800">Delete this project</h2>
          <p className="text-sm">Its issues and events are deleted with it. This cannot be undone.</p>
          <ActionForm action={deleteProjectAction.bind(null, org, project.id)} submit="Delete project" className="flex items-end gap-2">
            <Field label={`Type ${project.slug} to confirm`} name="confirm" required autoComplete="off" />
          </ActionForm>
        </section>
      ) : null}
    </main>
  );
}
