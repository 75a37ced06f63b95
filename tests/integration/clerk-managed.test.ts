import { beforeAll, describe, expect, it } from "vitest";
import type { Viewer } from "@/lib/auth/viewer";
import { createOrganization, updateOrganization } from "@/lib/orgs";
import { createOrgWithProject } from "../support/factories";
import { PUBLISHABLE_KEY, SECRET_KEY } from "../support/clerk";

// With Clerk configured, organizations are Clerk's: our own screens' changes would be undone by
// the next mirrored session, so lib refuses them (the pages show Clerk's components instead).
describe("with Clerk configured", () => {
  beforeAll(() => {
    // Before the first env() of this file's module registry (each test file has its own).
    process.env.CLERK_SECRET_KEY = SECRET_KEY;
    process.env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY = PUBLISHABLE_KEY;
  });

  it("refuses to create, rename or re-slug an organization here", async () => {
    const { org, user } = await createOrgWithProject();
    const owner: Viewer = { userId: user.id, orgId: org.id, role: "owner" };
    await expect(createOrganization(user.id, { name: "Elsewhere" })).rejects.toThrow(/managed in Clerk/);
    await expect(updateOrganization(owner, { name: "Renamed", slug: "renamed-here" })).rejects.toThrow(/managed in Clerk/);
  });
});
