import { redirect } from "next/navigation";
import { orgsOfUser } from "@/lib/orgs";
import { requireUser } from "./(auth)/session";

export const dynamic = "force-dynamic";

export default async function Home() {
  const user = await requireUser();
  const [first] = await orgsOfUser(user.id);
  if (first) redirect(`/${first.org.slug}`);
  return (
    <main className="mx-auto mt-24 max-w-lg p-8">
      <h1 className="text-2xl font-semibold">You are not in any organization yet</h1>
      <p className="mt-2 text-slate-600">Ask an owner to invite you, or create one with `npm run admin -- create-user`.</p>
    </main>
  );
}
