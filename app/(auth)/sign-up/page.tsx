import { SignUp } from "@clerk/nextjs";
import type { Metadata } from "next";
import Link from "next/link";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { ActionForm, Field } from "../../_components/action-form";
import { signUpAction } from "./actions";

export const metadata: Metadata = { title: "Create an account" };
export const dynamic = "force-dynamic"; // Clerk or our form: decided per request

export default function SignUpPage() {
  if (clerkSettings()) {
    return (
      <main className="mx-auto mt-16 flex max-w-md justify-center">
        <SignUp routing="hash" signInUrl="/sign-in" fallbackRedirectUrl="/" />
      </main>
    );
  }
  return (
    <main className="mx-auto mt-16 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">Create your account</h1>
      <ActionForm action={signUpAction} submit="Create account" className="space-y-4">
        <Field label="Your name" name="name" autoComplete="name" />
        <Field label="Email" name="email" type="email" autoComplete="email" required />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={8}
          required
        />
        <Field label="Organization" name="organization" autoComplete="organization" required />
      </ActionForm>
      <p className="mt-6 text-sm">
        Have an account?{" "}
        <Link href="/sign-in" className="text-indigo-700 hover:underline">
          Sign in
        </Link>
      </p>
    </main>
  );
}
