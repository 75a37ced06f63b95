"use server";

import { verifyEmail } from "@/lib/auth/accounts";
import { type ActionState, formAction } from "../../../_server/action-state";
import { sessionToken } from "../../cookie";

export async function verifyEmailAction(token: string, _previous: ActionState): Promise<ActionState> {
  return formAction(async () => {
    // The session confirming stays; any other (perhaps not the owner's) ends.
    await verifyEmail(token, await sessionToken());
    return { message: "Thank you: your address is confirmed." };
  });
}
