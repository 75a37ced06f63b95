import { CreateOrganization } from "@clerk/nextjs";
import type { Metadata } from "next";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { requireUser } from "../../(auth)/session";
import { ActionForm, Field } from "../../_components/action-form";
import { createOrgAction } from "./actions";

export const metadata: Metadata = { title: "New organization" };
export const dynamic = "force-dynamic";

export default async function NewOrganizationPage() {
  await requireUser();
  if (clerkSettings()) {
    // Created in Clerk, the organization becomes the session's active one and is mirrored on "/".
    return (
      <main className="mx-auto mt-16 flex max-w-lg justify-center">
        <CreateOrganization routing="hash" afterCreateOrganizationUrl="/" />
      </main>
    );
  }
  return (
    <main className="mx-auto mt-16 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">New organization</h1>
      <ActionForm action={createOrgAction} submit="Create organization" className="space-y-4">
        <Field label="Name" name="name" autoComplete="organization" required maxLength={100} />
        <Field label="Address (optional; derived from the name when blank)" name="slug" pattern="[a-z0-9\-]*" maxLength={50} />
      </ActionForm>
    </main>
  );
}
