import type { Metadata } from "next";
import { EXPIRY_DAYS, SCOPES, listApiTokens } from "@/lib/tokens";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm, Field } from "../../../_components/action-form";
import { createTokenAction, revokeTokenAction } from "../actions";

export const metadata: Metadata = { title: "API tokens" };
export const dynamic = "force-dynamic";

const day = (date: Date) => date.toISOString().slice(0, 10);

export default async function TokensPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  // Owners and admins get every member's tokens here, members only their own (lib decides).
  const tokens = await listApiTokens(await requireViewer(org));
  const now = Date.now();
  return (
    <main className="mx-auto max-w-3xl space-y-8 p-6">
      <h1 className="text-2xl font-semibold">API tokens</h1>
      {tokens.length === 0 ? <p className="text-slate-600">No tokens yet.</p> : null}
      <ul className="space-y-2">
        {tokens.map((t) => {
          const expired = t.expiresAt !== null && t.expiresAt.getTime() <= now;
          return (
            <li key={t.id} className="flex items-center justify-between gap-3 rounded border bg-white p-3 text-sm">
              <span>
                <strong>{t.name}</strong> <code>{t.tokenPrefix}…</code> {t.scopes.join(", ")}
                <br />
                <span className="text-slate-600">
                  {t.user.name || t.user.email} · created {day(t.createdAt)} · last used{" "}
                  {t.lastUsedAt ? t.lastUsedAt.toISOString() : "never"} ·{" "}
                  {t.expiresAt === null ? (
                    "never expires"
                  ) : expired ? (
                    <strong className="text-red-700">expired {day(t.expiresAt)}</strong>
                  ) : (
                    `expires ${day(t.expiresAt)}`
                  )}
                </span>
              </span>
              <ActionForm action={revokeTokenAction.bind(null, org, t.id)} submit="Revoke" />
            </li>
          );
        })}
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
          <label className="flex items-center gap-2 text-sm">
            <span className="font-medium">Expires</span>
            <select name="expires" defaultValue="90" className="rounded border px-2 py-1">
              <option value="never">never</option>
              {EXPIRY_DAYS.map((days) => (
                <option key={days} value={days}>
                  in {days} days
                </option>
              ))}
            </select>
          </label>
        </ActionForm>
      </section>
    </main>
  );
}
