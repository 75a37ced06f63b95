import { SignIn } from "@clerk/nextjs";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { safeNext } from "@/lib/auth/safe-next";
import { currentUser } from "../session";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  const destination = safeNext(next);
  if (await currentUser()) redirect(destination);
  if (clerkSettings()) {
    // Hash routing keeps Clerk's steps (second factor, SSO callback) on this one route.
    return (
      <main className="mx-auto mt-24 flex max-w-md justify-center">
        <SignIn routing="hash" signUpUrl="/sign-up" fallbackRedirectUrl={destination} />
      </main>
    );
  }
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">Sign in to errorhub</h1>
      <SignInForm next={destination === "/" ? undefined : destination} />
      <p className="mt-6 flex justify-between text-sm">
        <Link href="/sign-up" className="text-indigo-700 hover:underline">
          Create an account
        </Link>
        <Link href="/forgot-password" className="text-indigo-700 hover:underline">
          Forgot your password?
        </Link>
      </p>
    </main>
  );
}
