/** Shown while an org page's server work runs (Next streams it in place of the page). */
export default function Loading() {
  return (
    <main className="mx-auto max-w-6xl space-y-3 p-4 sm:p-6" aria-busy="true" aria-label="Loading">
      <div className="h-7 w-48 animate-pulse rounded bg-slate-200" />
      {[0, 1, 2, 3, 4].map((row) => (
        <div key={row} className="h-12 animate-pulse rounded-lg bg-slate-100" />
      ))}
    </main>
  );
}
