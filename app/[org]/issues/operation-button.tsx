import type { ReactNode } from "react";

export const BUTTON = "rounded border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-100";

/** A submit button of an issue form: its value names the operation updateIssuesAction applies. */
export function OperationButton({ operation, children }: { operation: string; children: ReactNode }) {
  return (
    <button type="submit" name="operation" value={operation} className={BUTTON}>
      {children}
    </button>
  );
}
