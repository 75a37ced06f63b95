"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

/**
 * Re-renders the console's server components every few seconds (router.refresh(): a fetch of
 * the page's data, no inline script, so it works under the nonce CSP). Pausable, for reading a
 * long error without the list moving under it.
 */
export function AutoRefresh({ seconds = 3 }: { seconds?: number }) {
  const router = useRouter();
  const [live, setLive] = useState(true);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => router.refresh(), seconds * 1000);
    return () => clearInterval(timer);
  }, [live, router, seconds]);
  return (
    <label className="flex items-center gap-1 text-sm text-slate-600">
      <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} data-testid="live-toggle" />
      Live ({seconds} s)
    </label>
  );
}
