import { verifyWebhook } from "@clerk/nextjs/webhooks";
import type { NextRequest } from "next/server";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { applyClerkEvent } from "@/lib/auth/clerk/events";
import { logger } from "@/lib/logger";

export const dynamic = "force-dynamic";

// Clerk's webhooks (delivered by Svix) keep the mirror of users, orgs and memberships in step
// with changes made in Clerk. The signature is the only authentication: anything unsigned, or
// signed with another secret, is refused before the body is looked at. A failure to apply
// answers 500, so Svix retries; applying is idempotent.
export async function POST(request: NextRequest) {
  const signingSecret = clerkSettings()?.webhookSigningSecret;
  if (!signingSecret) return Response.json({ detail: "Clerk webhooks are not configured" }, { status: 404 });
  let event: Awaited<ReturnType<typeof verifyWebhook>>;
  try {
    event = await verifyWebhook(request, { signingSecret });
  } catch (error) {
    logger.warn({ err: (error as Error).message }, "clerk webhook refused");
    return Response.json({ detail: "invalid webhook signature" }, { status: 400 });
  }
  const applied = await applyClerkEvent(event);
  return Response.json({ type: event.type, applied });
}
