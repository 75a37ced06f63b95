"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { changeRole, inviteMember, removeMember, roleSchema } from "@/lib/members";
import { updateOrganization } from "@/lib/orgs";
import { SCOPES, createApiTokenFor, expiryFromChoice, revokeApiToken, type Scope } from "@/lib/tokens";
import { requireViewer } from "../../(auth)/session";
import { type ActionState, formAction } from "../../_server/action-state";

// Every action resolves the viewer from the session and the org slug in the URL; the org id
// never comes from the client, and lib/ checks the role and scopes each query to the org.

export async function inviteAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    const viewer = await requireViewer(org);
    const role = roleSchema.parse(form.get("role"));
    const { url } = await inviteMember(viewer, { email: String(form.get("email") ?? ""), role });
    revalidatePath(`/${org}/settings/members`);
    return { message: "Invitation sent. The link, if you want to pass it on yourself:", secret: url };
  });
}

export async function changeRoleAction(org: string, userId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await changeRole(await requireViewer(org), userId, roleSchema.parse(form.get("role")));
    revalidatePath(`/${org}/settings/members`);
    return { message: "Role changed." };
  });
}

export async function removeMemberAction(org: string, userId: number, _previous: ActionState): Promise<ActionState> {
  return formAction(async () => {
    await removeMember(await requireViewer(org), userId);
    revalidatePath(`/${org}/settings/members`);
    return { message: "Removed." };
  });
}

export async function createTokenAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    const scopes = form.getAll("scopes").map(String).filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
    const { token } = await createApiTokenFor(await requireViewer(org), {
      name: String(form.get("name") ?? ""),
      scopes,
      expiresAt: expiryFromChoice(String(form.get("expires") ?? "never")),
    });
    revalidatePath(`/${org}/settings/tokens`);
    return { message: "Copy your token now: it is shown only once.", secret: token };
  });
}

export async function revokeTokenAction(org: string, tokenId: number, _previous: ActionState): Promise<ActionState> {
  return formAction(async () => {
    await revokeApiToken(await requireViewer(org), tokenId);
    revalidatePath(`/${org}/settings/tokens`);
    return { message: "Revoked." };
  });
}

export async function updateOrgAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  let slug = org;
  const state = await formAction(async () => {
    const viewer = await requireViewer(org);
    ({ slug } = await updateOrganization(viewer, { name: String(form.get("name") ?? ""), slug: String(form.get("slug") ?? "") }));
    revalidatePath(`/${slug}`, "layout");
    return { message: "Saved." };
  });
  // A new address: the page's own URL is gone. Outside formAction: redirect works by throwing.
  if (slug !== org) redirect(`/${slug}/settings/general`);
  return state;
}
