"use server";

import { revalidatePath } from "next/cache";
import { deleteArtifactBundle } from "@/lib/artifacts/bundles";
import { requireViewer } from "../../../../../(auth)/session";
import { type ActionState, formAction } from "../../../../../_server/action-state";

// The project and bundle ids are bound by the page; lib/artifacts finds both only within the
// viewer's org (another org's or another project's bundle is not found) and checks the role.

export async function deleteBundleAction(
  org: string,
  slug: string,
  projectId: number,
  bundleId: number,
  _previous: ActionState,
  _form: FormData,
): Promise<ActionState> {
  return formAction(async () => {
    await deleteArtifactBundle(await requireViewer(org), projectId, bundleId);
    revalidatePath(`/${org}/projects/${slug}/settings/source-maps`);
    return { message: "Bundle deleted." };
  });
}
