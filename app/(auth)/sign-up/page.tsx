import { SignUp } from "@clerk/nextjs";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { PLANS } from "@/lib/billing/plans";
import { checkoutPlan } from "@/lib/marketing/funnel";
import { formatCount, formatDollars } from "@/lib/billing/plans";
import { ActionForm, Field } from "../../_components/action-form";
import { currentUser } from "../session";
import { signUpAction } from "./actions";

export const metadata: Metadata = { title: "Create an account" };
export const dynamic = "force-dynamic"; // Clerk or our form: decided per request

type Props = { searchParams: Promise<{ plan?: string }> };

export default async function SignUpPage({ searchParams }: Props) {
  // A paid plan picked on the pricing page (`?plan=team`) is carried through to checkout.
  const paid = checkoutPlan((await searchParams).plan);
  const plan = paid ? PLANS[paid] : null;
  const home = paid ? `/?plan=${paid}` : "/";
  if (await currentUser()) redirect(home);
  if (clerkSettings()) {
    return (
      <main className="mx-auto mt-16 flex max-w-md justify-center">
        <SignUp routing="hash" signInUrl="/sign-in" fallbackRedirectUrl={home} />
      </main>
    );
  }
  return (
    <main className="mx-auto mt-16 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">Create your account</h1>
      {plan ? (
        <p className="mb-6 rounded-md bg-indigo-50 p-3 text-sm text-indigo-950" data-testid="chosen-plan">
          You chose the <strong>{plan.name}</strong> plan: {formatDollars(plan.priceCents)} a month for{" "}
          {formatCount(plan.monthlyErrors)} errors. Create your account, then continue to payment.
        </p>
      ) : null}
      <ActionForm action={signUpAction} submit="Create account" className="space-y-4">
        {paid ? <input type="hidden" name="plan" value={paid} /> : null}
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
        <Link href={paid ? `/sign-in?next=${encodeURIComponent(home)}` : "/sign-in"} className="text-indigo-700 underline hover:text-indigo-900">
          Sign in
        </Link>
      </p>
    </main>
  );
}
