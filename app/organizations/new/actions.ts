"use server";

import { redirect } from "next/navigation";
import { createOrganization } from "@/lib/orgs";
import { requireUser } from "../../(auth)/session";
import { type ActionState, formAction } from "../../_server/action-state";

export async function createOrgAction(_previous: ActionState, form: FormData): Promise<ActionState> {
  let slug = "";
  const state = await formAction(async () => {
    const user = await requireUser();
    ({ slug } = await createOrganization(user.id, { name: String(form.get("name") ?? ""), slug: String(form.get("slug") ?? "") }));
    return undefined;
  });
  // Outside formAction: redirect works by throwing.
  if (slug) redirect(`/${slug}`);
  return state;
}
