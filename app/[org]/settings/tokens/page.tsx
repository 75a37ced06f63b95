import type { Metadata } from "next";
import { SCOPES, listApiTokens } from "@/lib/tokens";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm, Field } from "../../../_components/action-form";
import { createTokenAction, revokeTokenAction } from "../actions";

export const metadata: Metadata = { title: "API tokens" };
export const dynamic = "force-dynamic";

export default async function TokensPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const tokens = await listApiTokens(await requireViewer(org));
  return (
    <main className="mx-auto max-w-3xl space-y-8 p-6">
      <h1 className="text-2xl font-semibold">API tokens</h1>
      {tokens.length === 0 ? <p className="text-slate-600">No tokens yet.</p> : null}
      <ul className="space-y-2">
        {tokens.map((t) => (
          <li key={t.id} className="flex items-center justify-between rounded border bg-white p-3 text-sm">
            <span>
              <strong>{t.name}</strong> <code>{t.tokenPrefix}…</code> {t.scopes.join(", ")} · last used{" "}
              {t.lastUsedAt ? t.lastUsedAt.toISOString() : "never"}
            </span>
            <ActionForm action={revokeTokenAction.bind(null, org, t.id)} submit="Revoke" />
          </li>
        ))}
      </ul>
      <section>
        <h2 className="mb-3 text-lg font-medium">New token</h2>
        <ActionForm action={createTokenAction.bind(null, org)} submit="Create token">
          <Field label="Name" name="name" required />
          <fieldset className="flex flex-wrap gap-3 text-sm">
            <legend className="mb-1 font-medium">Scopes</legend>
            {SCOPES.map((scope) => (
              <label key={scope} className="flex items-center gap-1">
                <input type="checkbox" name="scopes" value={scope} defaultChecked={scope.endsWith(":read")} /> {scope}
              </label>
            ))}
          </fieldset>
        </ActionForm>
      </section>
    </main>
  );
}
