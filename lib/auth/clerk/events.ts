import type {
  OrganizationJSON,
  OrganizationMembershipJSON,
  UserJSON,
  WebhookEvent,
} from "@clerk/nextjs/server";
import { logger } from "../../logger";
import { lastClerkChange, recordClerkChange } from "./changes";
import {
  type ClerkOrgInput,
  deleteClerkOrg,
  deleteClerkUser,
  removeClerkMembership,
  syncClerkMembership,
  syncClerkOrg,
  syncClerkUser,
} from "./mirror";

/**
 * Applies one verified Clerk webhook event to the mirror. Every handler is idempotent (Clerk
 * retries, and may deliver out of order), so a replay changes nothing; a membership event older
 * than the last one applied is skipped. Returns false for event types the mirror does not
 * follow, and for stale ones; both are acknowledged and ignored.
 */
export async function applyClerkEvent(
  event: Pick<WebhookEvent, "type" | "data"> & { timestamp?: number },
): Promise<boolean> {
  // Clerk's time of the change (ms); it orders events and ages session tokens (see ./changes).
  const at = typeof event.timestamp === "number" ? event.timestamp : Date.now();
  switch (event.type) {
    case "user.created":
    case "user.updated": {
      const user = event.data as UserJSON;
      const email = primaryEmail(user);
      await syncClerkUser({
        clerkId: user.id,
        email: email.address,
        emailVerified: email.verified,
        name: fullName(user),
      });
      return true;
    }
    case "user.deleted":
      if (!event.data.id) return false;
      await recordClerkChange({ user: event.data.id }, at);
      await deleteClerkUser(event.data.id);
      return true;
    case "organization.created":
    case "organization.updated":
      await syncClerkOrg(orgInput(event.data as OrganizationJSON));
      return true;
    case "organization.deleted":
      if (!event.data.id) return false;
      await recordClerkChange({ org: event.data.id }, at);
      await deleteClerkOrg(event.data.id);
      return true;
    case "organizationMembership.created":
    case "organizationMembership.updated":
    case "organizationMembership.deleted": {
      const membership = event.data as OrganizationMembershipJSON;
      const member = membership.public_user_data;
      const subject = { org: membership.organization.id, user: member.user_id };
      if (at < (await lastClerkChange(subject))) return false;
      await recordClerkChange(subject, at);
      if (event.type === "organizationMembership.deleted") {
        await removeClerkMembership(subject.org, subject.user);
        return true;
      }
      await syncClerkMembership({
        org: orgInput(membership.organization),
        // The identifier may be an email, but nothing here says it is verified: it only fills
        // in for a user whose user.created has not arrived yet.
        user: {
          clerkId: member.user_id,
          email: member.identifier,
          emailVerified: false,
          name: fullName(member),
        },
        role: membership.role,
      });
      return true;
    }
    default:
      logger.debug({ type: event.type }, "clerk webhook: event type not mirrored");
      return false;
  }
}

function primaryEmail(user: UserJSON): { address: string | null; verified: boolean } {
  const emails = user.email_addresses ?? [];
  const primary = emails.find((e) => e.id === user.primary_email_address_id) ?? emails[0];
  if (!primary) return { address: null, verified: false };
  return { address: primary.email_address, verified: primary.verification?.status === "verified" };
}

function fullName(person: { first_name: string | null; last_name: string | null }): string | null {
  return [person.first_name, person.last_name].filter(Boolean).join(" ").trim() || null;
}

function orgInput(org: OrganizationJSON): ClerkOrgInput {
  return { clerkId: org.id, slug: org.slug || null, name: org.name || null };
}
