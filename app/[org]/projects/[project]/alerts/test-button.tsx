"use client";

import { useActionState } from "react";
import type { TestState } from "./actions";

/** "Send test notification" and, once sent, how each of the rule's actions went. */
export function TestNotification({ action }: { action: (previous: TestState) => Promise<TestState> }) {
  const [state, formAction, pending] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-2">
      <button
        type="submit"
        disabled={pending}
        className="rounded-md border border-indigo-600 px-4 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50 disabled:opacity-60"
      >
        {pending ? "Sending…" : "Send test notification"}
      </button>
      {state.error ? (
        <p role="alert" className="text-sm text-red-700">
          {state.error}
        </p>
      ) : null}
      {state.results ? (
        <ul role="status" aria-label="Test results" className="space-y-1 text-sm" data-testid="test-results">
          {state.results.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: one result per action, in the rule's order
            <li key={i} className={r.ok ? "text-green-700" : "text-red-700"}>
              {r.target}: {r.ok ? "delivered" : "failed"}
              {r.status !== null ? ` (HTTP ${r.status})` : ""}
              {r.error ? `: ${r.error}` : ""}
            </li>
          ))}
          {state.results.length === 0 ? <li>The rule has no actions to test.</li> : null}
        </ul>
      ) : null}
    </form>
  );
}
