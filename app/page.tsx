import { OrganizationList } from "@clerk/nextjs";
import { redirect } from "next/navigation";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { orgsOfUser } from "@/lib/orgs";
import { requireUser } from "./(auth)/session";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await requireUser();
  // With Clerk, the org active in the session first (it is the one just chosen or created).
  if (user.activeOrgSlug) redirect(`/${user.activeOrgSlug}`);
  const [first] = await orgsOfUser(user.id);
  if (first) redirect(`/${first.org.slug}`);
  if (clerkSettings()) {
    // Choosing or creating one makes it active in the Clerk session; back here, it is mirrored.
    return (
      <main className="mx-auto mt-24 flex max-w-lg justify-center">
        <OrganizationList hidePersonal afterSelectOrganizationUrl="/" afterCreateOrganizationUrl="/" />
      </main>
    );
  }
  return (
    <main className="mx-auto mt-24 max-w-lg p-8">
      <h1 className="text-2xl font-semibold">You are not in any organization yet</h1>
      <p className="mt-2 text-slate-600">
        Ask an owner to invite you, or create one with `npm run admin -- create-user`.
      </p>
    </main>
  );
}
