"use client";

import { type FormEvent, type ReactNode, startTransition, useActionState } from "react";

type State = { error?: string; message?: string; secret?: string };

/**
 * A form bound to a server action, showing its error, message or once-only secret.
 * `keepInput`: submitted from onSubmit instead, because React resets a form after its `action`
 * runs, which would wipe a long form (an alert rule) the user is fixing after lib/ refused it.
 */
export function ActionForm({
  action,
  submit,
  children,
  className = "space-y-3",
  keepInput = false,
}: {
  action: (previous: State, form: FormData) => Promise<State>;
  /** the submit button's label; without one, the children bring their own buttons */
  submit?: string;
  children?: ReactNode;
  className?: string;
  keepInput?: boolean;
}) {
  const [state, formAction, pending] = useActionState(action, {});
  const onSubmit = keepInput
    ? (event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        const data = new FormData(event.currentTarget);
        startTransition(() => formAction(data));
      }
    : undefined;
  return (
    <form action={formAction} onSubmit={onSubmit} className={className}>
      {children}
      {state.error ? (
        <p role="alert" className="text-sm text-red-700">
          {state.error}
        </p>
      ) : null}
      {state.message ? (
        <p role="status" className="text-sm text-green-700">
          {state.message}
        </p>
      ) : null}
      {state.secret ? (
        <code data-testid="secret" className="block break-all rounded bg-amber-50 px-2 py-1 text-sm">
          {state.secret}
        </code>
      ) : null}
      {submit === undefined ? null : (
        <button
          type="submit"
          disabled={pending}
          className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
        >
          {pending ? "Working…" : submit}
        </button>
      )}
    </form>
  );
}

export function Field({ label, ...input }: { label: string } & React.InputHTMLAttributes<HTMLInputElement>) {
  return (
    <label className="block">
      <span className="text-sm font-medium">{label}</span>
      <input {...input} className="mt-1 block w-full rounded-md border border-slate-300 px-3 py-2" />
    </label>
  );
}
