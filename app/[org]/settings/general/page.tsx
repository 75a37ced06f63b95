import { OrganizationProfile } from "@clerk/nextjs";
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { can } from "@/lib/auth/permissions";
import { AppError } from "@/lib/errors";
import { orgForViewer } from "@/lib/orgs";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm, Field } from "../../../_components/action-form";
import { updateOrgAction } from "../actions";

export const metadata: Metadata = { title: "Organization settings" };
export const dynamic = "force-dynamic";

export default async function GeneralSettingsPage({ params }: { params: Promise<{ org: string }> }) {
  const { org: slug } = await params;
  const viewer = await requireViewer(slug);
  const org = await orgForViewer(viewer, slug).catch((error) => {
    if (error instanceof AppError) notFound();
    throw error;
  });
  if (clerkSettings()) {
    // Clerk owns the organization's name and address; ours follow it through the mirror.
    return (
      <main className="mx-auto max-w-4xl p-6">
        <OrganizationProfile routing="hash" />
      </main>
    );
  }
  const editable = can(viewer.role, "org:update");
  return (
    <main className="mx-auto max-w-3xl space-y-8 p-6">
      <h1 className="text-2xl font-semibold">Organization settings</h1>
      {editable ? (
        <ActionForm action={updateOrgAction.bind(null, slug)} submit="Save" className="max-w-md space-y-4">
          <Field label="Name" name="name" defaultValue={org.name} required maxLength={100} />
          <Field label="Address" name="slug" defaultValue={org.slug} required pattern="[a-z0-9\-]+" maxLength={50} />
          <p className="text-sm text-slate-600">
            Changing the address changes every dashboard link; DSNs and API tokens keep working.
          </p>
        </ActionForm>
      ) : (
        <dl className="text-sm">
          <dt className="font-medium">Name</dt>
          <dd className="mb-3">{org.name}</dd>
          <dt className="font-medium">Address</dt>
          <dd>{org.slug}</dd>
        </dl>
      )}
    </main>
  );
}
