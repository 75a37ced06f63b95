import Link from "next/link";

/** Unknown pages, and anything of an organization the visitor is not a member of. */
export default function NotFound() {
  return (
    <main className="mx-auto mt-24 max-w-md p-6 text-center">
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="mt-2 text-slate-600">This page does not exist, or you do not have access to it.</p>
      <Link href="/" className="mt-4 inline-block text-indigo-700 hover:underline">
        Back to your dashboard
      </Link>
    </main>
  );
}
