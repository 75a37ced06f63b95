"use server";

import { redirect } from "next/navigation";
import { acceptInvitation } from "@/lib/members";
import { requireUser } from "../../(auth)/session";
import { type ActionState, formAction } from "../../_server/action-state";

export async function acceptInvitationAction(token: string, _previous: ActionState): Promise<ActionState> {
  const user = await requireUser();
  let slug = "";
  const state = await formAction(async () => {
    slug = (await acceptInvitation(user.id, token)).slug;
    return undefined;
  });
  if (state.error) return state;
  redirect(`/${slug}`);
}
