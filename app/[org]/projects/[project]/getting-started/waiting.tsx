"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Re-renders the page every two seconds until the first event has arrived. */
export function RefreshWhileWaiting({ intervalMs = 2000 }: { intervalMs?: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => router.refresh(), intervalMs);
    return () => clearInterval(timer);
  }, [router, intervalMs]);
  return (
    <p role="status" className="flex items-center gap-2 text-sm text-slate-600" data-testid="waiting-for-event">
      <span className="inline-block h-2 w-2 animate-pulse rounded-full bg-amber-500" />
      Waiting for the first event…
    </p>
  );
}
