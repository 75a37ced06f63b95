"use client";

import { type FormEvent, type ReactNode, startTransition, useActionState } from "react";

type State = { error?: string; message?: string };

/**
 * ActionForm for the long rule form, submitted from onSubmit: React resets a form after its
 * `action` runs, which would wipe a rule the user is fixing after lib/ refused it.
 */
export function RuleFormShell({
  action,
  submit,
  children,
}: {
  action: (previous: State, form: FormData) => Promise<State>;
  submit: string;
  children: ReactNode;
}) {
  const [state, dispatch, pending] = useActionState(action, {});
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    startTransition(() => dispatch(data));
  };
  return (
    <form action={dispatch} onSubmit={onSubmit} className="space-y-4">
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
      <button
        type="submit"
        disabled={pending}
        className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700 disabled:opacity-60"
      >
        {pending ? "Working…" : submit}
      </button>
    </form>
  );
}
