import type { Metadata } from "next";
import { can } from "@/lib/auth/permissions";
import { listPlatforms } from "@/lib/projects/platforms";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm, Field } from "../../../_components/action-form";
import { createProjectAction } from "../actions";

export const metadata: Metadata = { title: "New project" };
export const dynamic = "force-dynamic";

export default async function NewProjectPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const viewer = await requireViewer(org);
  if (!can(viewer.role, "projects:create")) {
    return (
      <main className="mx-auto max-w-3xl p-6">
        <h1 className="text-2xl font-semibold">New project</h1>
        <p className="mt-4 text-slate-600">Only owners and admins create projects. Ask one of them.</p>
      </main>
    );
  }
  return (
    <main className="mx-auto max-w-3xl p-6">
      <h1 className="mb-6 text-2xl font-semibold">Create your project</h1>
      <ActionForm action={createProjectAction.bind(null, org)} submit="Create project" className="space-y-6">
        <fieldset>
          <legend className="mb-2 text-sm font-medium">Platform</legend>
          <div className="grid grid-cols-2 gap-2 sm:grid-cols-3">
            {listPlatforms().map((p, i) => (
              <label
                key={p.id}
                className="flex cursor-pointer items-center gap-2 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm has-[:checked]:border-indigo-600 has-[:checked]:ring-1 has-[:checked]:ring-indigo-600"
              >
                <input type="radio" name="platform" value={p.id} defaultChecked={i === 1} />
                {p.name}
              </label>
            ))}
          </div>
        </fieldset>
        <Field label="Project name" name="name" required maxLength={100} placeholder="checkout-api" />
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" name="defaultAlertRule" defaultChecked className="h-4 w-4 rounded border-slate-300" />
          Alert me by email on every new issue
        </label>
      </ActionForm>
    </main>
  );
}
