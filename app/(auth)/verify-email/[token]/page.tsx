import type { Metadata } from "next";
import Link from "next/link";
import { verifyEmail } from "@/lib/auth/accounts";
import { AppError } from "@/lib/errors";

export const metadata: Metadata = { title: "Verify your email" };
export const dynamic = "force-dynamic";

export default async function VerifyEmailPage({ params }: { params: Promise<{ token: string }> }) {
  let error: string | null = null;
  try {
    await verifyEmail((await params).token);
  } catch (e) {
    if (!(e instanceof AppError)) throw e;
    error = e.message;
  }
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-4 text-2xl font-semibold">{error ? "This link does not work" : "Email verified"}</h1>
      <p className="text-slate-600">{error ?? "Thank you: your address is confirmed."}</p>
      <Link href="/" className="mt-6 inline-block text-indigo-700 hover:underline">
        Continue
      </Link>
    </main>
  );
}
