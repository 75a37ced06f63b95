import { OrganizationList } from "@clerk/nextjs";
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { homePath } from "@/lib/marketing/funnel";
import { isPaidPlan } from "@/lib/marketing/pricing";
import { placeholderSetup, twoCommands } from "@/lib/marketing/sources";
import { orgsOfUser } from "@/lib/orgs";
import { listPlatforms } from "@/lib/projects/platforms";
import { type SessionUser, currentUser } from "../(auth)/session";
import { primaryButton, secondaryButton, textLink } from "./_components/buttons";
import { CodeBlock } from "./_components/code-block";
import { ExampleIssue } from "./_components/example-issue";

export const metadata: Metadata = {
  title: { absolute: "errorhub: error tracking for the Sentry SDKs you already use" },
};

type Props = { searchParams: Promise<{ plan?: string }> };

/** `/`: the landing page for visitors; the signed-in go on to their organization. */
export default async function Home({ searchParams }: Props) {
  const user = await currentUser();
  if (user) return <SignedIn user={user} plan={(await searchParams).plan} />;
  return <Landing />;
}

async function SignedIn({ user, plan }: { user: SessionUser; plan?: string }) {
  // A plan picked on the pricing page rides along through sign-up (Clerk's too) to checkout.
  const next = (slug: string) => homePath(slug, plan);
  // With Clerk, the org active in the session first (it is the one just chosen or created).
  if (user.activeOrgSlug) redirect(next(user.activeOrgSlug));
  const [first] = await orgsOfUser(user.id);
  if (first) redirect(next(first.org.slug));
  if (clerkSettings()) {
    // Choosing or creating one makes it active in the Clerk session; back here, it is mirrored.
    const back = plan && isPaidPlan(plan) ? `/?plan=${plan}` : "/";
    return (
      <main className="mx-auto mt-24 flex max-w-lg justify-center">
        <OrganizationList hidePersonal afterSelectOrganizationUrl={back} afterCreateOrganizationUrl={back} />
      </main>
    );
  }
  return (
    <main className="mx-auto mt-24 max-w-lg p-8">
      <h1 className="text-2xl font-semibold">You are not in any organization yet</h1>
      <p className="mt-2 text-slate-600">
        Ask an owner to invite you, or{" "}
        <Link href="/organizations/new" className={textLink}>
          create an organization
        </Link>
        .
      </p>
    </main>
  );
}

function Landing() {
  const node = placeholderSetup("node");
  const sdks = listPlatforms().filter((p) => p.id !== "other");
  return (
    <main>
      <section className="border-b border-slate-200 bg-gradient-to-b from-indigo-50 to-white">
        <div className="mx-auto max-w-6xl px-4 py-16 text-center sm:py-24">
          <h1 className="mx-auto max-w-3xl text-4xl font-bold tracking-tight text-slate-900 sm:text-5xl">
            Error tracking that works with the Sentry SDKs you already use
          </h1>
          <p className="mx-auto mt-6 max-w-2xl text-lg text-slate-700" data-testid="value-proposition">
            Change one line, the DSN, and every error your apps throw arrives grouped into issues your team
            can triage, on our servers or yours.
          </p>
          <div className="mt-8 flex flex-wrap justify-center gap-3">
            <Link href="/sign-up" className={`${primaryButton} px-6 py-3 text-base`}>
              Start free
            </Link>
            <a href="#self-host" className={`${secondaryButton} px-6 py-3 text-base`}>
              Self-host it
            </a>
          </div>
          <p className="mt-4 text-sm text-slate-600">
            Free plan, no credit card. Open source: self-hosted is free and unlimited.
          </p>
        </div>
      </section>

      <section
        aria-labelledby="sdks"
        className="mx-auto grid max-w-6xl gap-10 px-4 py-16 lg:grid-cols-2 lg:items-center"
      >
        <div className="space-y-4">
          <h2 id="sdks" className="text-3xl font-bold tracking-tight text-slate-900">
            Works with the Sentry SDKs you already use
          </h2>
          <p className="text-slate-700">
            errorhub speaks the Sentry ingest protocol. Keep the official, open-source SDK you have, or
            install it the way Sentry's own docs say: only the DSN points here. Nothing to fork, no agent to
            run.
          </p>
          <ul className="flex flex-wrap gap-2" aria-label="Quick starts">
            {sdks.map((p) => (
              <li key={p.id}>
                <Link
                  href={`/docs/quick-start/${p.id}`}
                  className="inline-block rounded-full border border-slate-300 px-3 py-1 text-sm text-slate-800 hover:border-indigo-600 hover:text-indigo-800"
                >
                  {p.name}
                </Link>
              </li>
            ))}
          </ul>
          <p className="text-sm text-slate-600">
            Coming from Sentry or GlitchTip?{" "}
            <Link href="/docs/migrating" className={textLink}>
              Bring your projects and keys along
            </Link>
            .
          </p>
        </div>
        <div className="space-y-3" data-testid="landing-snippet">
          <CodeBlock label={`${node.name}: install`} code={node.install} />
          <CodeBlock label="Configure" code={node.code} />
          <CodeBlock label="Send a first error" code={node.verify} />
        </div>
      </section>

      <section aria-labelledby="see" className="border-y border-slate-200 bg-slate-50">
        <div className="mx-auto grid max-w-6xl gap-10 px-4 py-16 lg:grid-cols-5">
          <div className="space-y-4 lg:col-span-2">
            <h2 id="see" className="text-3xl font-bold tracking-tight text-slate-900">
              See what broke, where, and for whom
            </h2>
            <ul className="space-y-3 text-slate-700">
              <li>
                <strong className="text-slate-900">Grouped into issues.</strong> A thousand events of one bug
                are one issue, by fingerprint, in-app stack frames, or the error's type and message.
              </li>
              <li>
                <strong className="text-slate-900">Your code first.</strong> Stack traces with in-app frames
                and source context, tags, breadcrumbs, request and user.
              </li>
              <li>
                <strong className="text-slate-900">Regressions noticed.</strong> A resolved issue that comes
                back reopens, and releases show which version brought it.
              </li>
              <li>
                <strong className="text-slate-900">Under control.</strong> Quotas, spike protection, inbound
                filters and scrubbing of secrets before anything is stored.
              </li>
              <li>
                <strong className="text-slate-900">Scriptable.</strong> A Sentry-shaped{" "}
                <Link href="/docs/api" className={textLink}>
                  REST API
                </Link>{" "}
                that sentry-cli and your scripts already know.
              </li>
            </ul>
          </div>
          <div className="lg:col-span-3">
            <ExampleIssue />
          </div>
        </div>
      </section>

      <section
        id="self-host"
        aria-labelledby="self-host-title"
        className="mx-auto grid max-w-6xl gap-10 px-4 py-16 lg:grid-cols-2 lg:items-center"
      >
        <div className="space-y-4">
          <h2 id="self-host-title" className="text-3xl font-bold tracking-tight text-slate-900">
            Or run it yourself, with two commands
          </h2>
          <p className="text-slate-700">
            The same code as the hosted service, free and without limits. Node.js and Redis are all it needs;
            without a PostgreSQL server it starts an embedded one.
          </p>
          <p>
            <Link href="/docs/self-hosting" className={textLink}>
              Self-hosting guide
            </Link>
          </p>
        </div>
        <CodeBlock label="Shell" code={twoCommands().join("\n")} testId="two-commands" />
      </section>

      <section aria-labelledby="start" className="bg-indigo-700">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-6 px-4 py-12">
          <div>
            <h2 id="start" className="text-2xl font-bold text-white">
              Your first error, in minutes
            </h2>
            <p className="mt-1 text-indigo-100">Create an account, pick your SDK, paste the DSN.</p>
          </div>
          <div className="flex flex-wrap gap-3">
            <Link
              href="/sign-up"
              className="rounded-md bg-white px-5 py-2.5 font-semibold text-indigo-800 hover:bg-indigo-50"
            >
              Create a free account
            </Link>
            <Link
              href="/pricing"
              className="rounded-md border border-indigo-200 px-5 py-2.5 font-semibold text-white hover:bg-indigo-800"
            >
              See pricing
            </Link>
          </div>
        </div>
      </section>
    </main>
  );
}
