/**
 * A block of code or shell lines. Focusable, so a keyboard can scroll a long line into view.
 * `label` names it for screen readers and is shown above it.
 */
export function CodeBlock({ code, label, testId }: { code: string; label?: string; testId?: string }) {
  return (
    <figure className="min-w-0 space-y-1">
      {label ? (
        <figcaption className="text-xs font-medium uppercase tracking-wide text-slate-600">
          {label}
        </figcaption>
      ) : null}
      <pre
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
        tabIndex={0}
        data-testid={testId}
        className="overflow-x-auto rounded-lg bg-slate-900 p-4 text-sm leading-relaxed text-slate-100 focus:outline-2 focus:outline-offset-2 focus:outline-indigo-600"
      >
        <code>{code}</code>
      </pre>
    </figure>
  );
}

/** Inline code in prose. */
export function Code({ children }: { children: React.ReactNode }) {
  return (
    <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.9em] text-slate-800">{children}</code>
  );
}
