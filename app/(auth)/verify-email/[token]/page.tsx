import type { Metadata } from "next";
import Link from "next/link";
import { ActionForm } from "../../../_components/action-form";
import { verifyEmailAction } from "./actions";

export const metadata: Metadata = { title: "Verify your email" };
export const dynamic = "force-dynamic";

// Confirming takes a click (a POST): it signs out every other session of the account, which a
// mail scanner opening the link must not do on its own.
export default async function VerifyEmailPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-4 text-2xl font-semibold">Verify your email</h1>
      <p className="mb-6 text-slate-600">Confirm this address is yours. Sessions of this account elsewhere will be signed out.</p>
      <ActionForm action={verifyEmailAction.bind(null, token)} submit="Confirm my address" />
      <Link href="/" className="mt-6 inline-block text-indigo-700 hover:underline">
        Continue
      </Link>
    </main>
  );
}
