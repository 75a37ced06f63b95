import type { Metadata } from "next";
import { listAuditLog } from "@/lib/audit";
import { canExportAuditLog } from "@/lib/audit/export";
import { can } from "@/lib/auth/permissions";
import { requireViewer } from "../../../(auth)/session";

export const metadata: Metadata = { title: "Audit log" };
export const dynamic = "force-dynamic";

export default async function AuditPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const viewer = await requireViewer(org);
  if (!can(viewer.role, "audit:read")) {
    return <main className="p-6 text-slate-600">Only owners and admins can see the audit log.</main>;
  }
  const [entries, exportable] = await Promise.all([listAuditLog(viewer), canExportAuditLog(viewer)]);
  return (
    <main className="mx-auto max-w-4xl p-6">
      <div className="mb-6 flex items-baseline justify-between">
        <h1 className="text-2xl font-semibold">Audit log</h1>
        {exportable ? (
          <a href={`/${org}/settings/audit/export`} className="text-sm font-medium text-indigo-700 hover:underline">
            Export CSV
          </a>
        ) : null}
      </div>
      <table className="w-full text-left text-sm">
        <thead>
          <tr className="border-b">
            <th className="py-2">When</th>
            <th>Action</th>
            <th>Target</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr key={String(e.id)} className="border-b">
              <td className="py-2">{e.createdAt.toISOString()}</td>
              <td>{e.action}</td>
              <td>
                {e.targetType} {e.targetId}
              </td>
              <td>
                <code>{JSON.stringify(e.data)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
