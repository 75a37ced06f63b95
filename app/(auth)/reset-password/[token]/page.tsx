import type { Metadata } from "next";
import { ActionForm, Field } from "../../../_components/action-form";
import { resetPasswordAction } from "./actions";

export const metadata: Metadata = { title: "Choose a new password" };

export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">Choose a new password</h1>
      <ActionForm action={resetPasswordAction.bind(null, token)} submit="Set password">
        <Field label="New password" name="password" type="password" autoComplete="new-password" minLength={8} required />
      </ActionForm>
    </main>
  );
}
