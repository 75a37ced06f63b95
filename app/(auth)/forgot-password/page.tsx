import type { Metadata } from "next";
import { ActionForm, Field } from "../../_components/action-form";
import { forgotPasswordAction } from "./actions";

export const metadata: Metadata = { title: "Reset your password" };

export default function ForgotPasswordPage() {
  return (
    <main className="mx-auto mt-24 max-w-sm rounded-lg border border-slate-200 bg-white p-8 shadow-sm">
      <h1 className="mb-6 text-2xl font-semibold">Reset your password</h1>
      <ActionForm action={forgotPasswordAction} submit="Email me a link">
        <Field label="Email" name="email" type="email" autoComplete="email" required />
      </ActionForm>
    </main>
  );
}
