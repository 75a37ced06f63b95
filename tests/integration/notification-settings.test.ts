import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import type { Viewer } from "@/lib/auth/viewer";
import { db } from "@/lib/db";
import { getAlertEmailSetting, setAlertEmailSetting } from "@/lib/users";
import { createOrgWithProject } from "../support/factories";

// The alert-email setting is the signed-in user's own: whoever sets it, in whichever org, only
// their own row changes, and it follows them into every org they belong to.
describe("alert email settings", () => {
  it("changes only the viewer's own setting, across tenants, and refuses unknown values", async () => {
    const a = await createOrgWithProject();
    const b = await createOrgWithProject();
    const ownerA: Viewer = { userId: a.user.id, orgId: a.org.id, role: "owner" };
    const ownerB: Viewer = { userId: b.user.id, orgId: b.org.id, role: "owner" };
    const member = await db().user.create({ data: { email: `member-${Date.now()}@example.com`, emailVerifiedAt: new Date() } });
    await db().membership.create({ data: { orgId: a.org.id, userId: member.id, role: "member" } });
    const memberA: Viewer = { userId: member.id, orgId: a.org.id, role: "member" };

    expect(await getAlertEmailSetting(ownerA)).toBe("all");
    expect(await setAlertEmailSetting(memberA, "assigned")).toBe("assigned");
    expect(await setAlertEmailSetting(ownerA, "none")).toBe("none");

    expect(await getAlertEmailSetting(memberA)).toBe("assigned");
    expect(await getAlertEmailSetting(ownerA)).toBe("none");
    // The other tenant's owner is untouched.
    expect(await getAlertEmailSetting(ownerB)).toBe("all");

    // One setting per person: the member joins org B and finds it there too.
    await db().membership.create({ data: { orgId: b.org.id, userId: member.id, role: "admin" } });
    expect(await getAlertEmailSetting({ userId: member.id, orgId: b.org.id, role: "admin" })).toBe("assigned");

    await expect(setAlertEmailSetting(ownerA, "weekly")).rejects.toThrow(ZodError);
    await expect(setAlertEmailSetting(ownerA, "weekly")).rejects.toThrow("choose all, assigned or none");
    expect(await getAlertEmailSetting(ownerA)).toBe("none");
  });
});
