import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { currentUser } from "../session";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage() {
  if (await currentUser()) redirect("/");
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">Sign in to errorhub</h1>
      <SignInForm />
    </main>
  );
}
