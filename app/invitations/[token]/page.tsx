import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "../../(auth)/session";
import { ActionForm } from "../../_components/action-form";
import { acceptInvitationAction } from "./actions";

export const metadata: Metadata = { title: "Join an organization" };
export const dynamic = "force-dynamic";

// Accepting takes a click (a POST): mail scanners that open links must not accept for you.
export default async function InvitationPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const user = await currentUser();
  if (!user) redirect(`/sign-in?next=${encodeURIComponent(`/invitations/${token}`)}`);
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-2 text-2xl font-semibold">You are invited</h1>
      <p className="mb-6 text-slate-600">Join the organization as {user.email}.</p>
      <ActionForm action={acceptInvitationAction.bind(null, token)} submit="Accept invitation" />
    </main>
  );
}
