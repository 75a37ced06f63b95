import { OrganizationProfile } from "@clerk/nextjs";
import type { Metadata } from "next";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { can } from "@/lib/auth/permissions";
import { listMembers } from "@/lib/members";
import { requireViewer } from "../../../(auth)/session";
import { ActionForm, Field } from "../../../_components/action-form";
import { changeRoleAction, inviteAction, removeMemberAction } from "../actions";

export const metadata: Metadata = { title: "Members" };
export const dynamic = "force-dynamic";

const ROLES = ["owner", "admin", "member", "billing"] as const;

export default async function MembersPage({ params }: { params: Promise<{ org: string }> }) {
  const { org } = await params;
  const viewer = await requireViewer(org);
  if (clerkSettings()) {
    // Clerk owns memberships: its organization profile invites, changes roles and removes.
    return (
      <main className="mx-auto max-w-4xl p-6">
        <OrganizationProfile routing="hash" />
      </main>
    );
  }
  const members = await listMembers(viewer);
  const manage = can(viewer.role, "members:update");
  return (
    <main className="mx-auto max-w-3xl space-y-8 p-6">
      <h1 className="text-2xl font-semibold">Members</h1>
      <table className="w-full text-left text-sm">
        <thead>
          <tr className="border-b">
            <th className="py-2">Member</th>
            <th>Role</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.user.id} className="border-b align-top" data-testid={`member-${m.user.email}`}>
              <td className="py-2">{m.user.email}</td>
              <td className="py-2">
                {manage ? (
                  <ActionForm action={changeRoleAction.bind(null, org, m.user.id)} submit="Change role" className="flex gap-2">
                    <select name="role" defaultValue={m.role} aria-label={`Role of ${m.user.email}`} className="rounded border px-2">
                      {ROLES.map((r) => (
                        <option key={r}>{r}</option>
                      ))}
                    </select>
                  </ActionForm>
                ) : (
                  m.role
                )}
              </td>
              <td className="py-2">
                {manage || m.user.id === viewer.userId ? (
                  <ActionForm action={removeMemberAction.bind(null, org, m.user.id)} submit={m.user.id === viewer.userId ? "Leave" : "Remove"} />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {can(viewer.role, "members:invite") ? (
        <section>
          <h2 className="mb-3 text-lg font-medium">Invite someone</h2>
          <ActionForm action={inviteAction.bind(null, org)} submit="Send invitation">
            <Field label="Email" name="email" type="email" required />
            <label className="block">
              <span className="text-sm font-medium">Role</span>
              <select name="role" defaultValue="member" className="mt-1 block rounded border px-2 py-1">
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
          </ActionForm>
        </section>
      ) : null}
    </main>
  );
}
