import { randomBytes } from "node:crypto";
import type { Role } from "@/lib/generated/prisma/enums.ts";
import type { Viewer } from "@/lib/auth/viewer";
import { db } from "@/lib/db";

/** A user with a role in an org, and their viewer. */
export async function addMember(orgId: number, role: Role) {
  const user = await db().user.create({ data: { email: `${role}-${randomBytes(4).toString("hex")}@example.com` } });
  await db().membership.create({ data: { orgId, userId: user.id, role } });
  return { user, viewer: { userId: user.id, orgId, role } satisfies Viewer };
}
