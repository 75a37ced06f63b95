"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import type { PlatformId } from "@/lib/projects/platforms";
import { createKey, createProject, deleteKey, deleteProject, rotateKey, updateKey, updateProject } from "@/lib/projects/manage";
import { requireViewer } from "../../(auth)/session";
import { type ActionState, formAction } from "../../_server/action-state";

// As in settings/actions.ts: the viewer comes from the session and the URL's org slug; lib/
// checks the role and finds projects and keys only within that org.

const text = (form: FormData, name: string) => String(form.get(name) ?? "");
const lines = (form: FormData, name: string) =>
  text(form, name)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
const optionalInt = (form: FormData, name: string) => (text(form, name).trim() ? Number(text(form, name)) : null);

export async function createProjectAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  let slug = "";
  const state = await formAction(async () => {
    const viewer = await requireViewer(org);
    ({ slug } = await createProject(viewer, {
      name: text(form, "name"),
      platform: text(form, "platform") as PlatformId,
      // Unchecked boxes are absent from the form: absence is the opt-out.
      defaultAlertRule: form.get("defaultAlertRule") === "on",
    }));
    return undefined;
  });
  // Outside formAction: redirect works by throwing.
  if (slug) redirect(`/${org}/projects/${slug}/getting-started`);
  return state;
}

export async function updateProjectAction(org: string, projectId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  let slug = "";
  const state = await formAction(async () => {
    ({ slug } = await updateProject(await requireViewer(org), projectId, {
      name: text(form, "name"),
      slug: text(form, "slug"),
      platform: text(form, "platform") as PlatformId,
      scrubData: form.get("scrubData") === "on",
      // absent (a form without the field): unchanged
      apdexThresholdMs: form.has("apdexThresholdMs") ? Number(text(form, "apdexThresholdMs")) : undefined,
      filters: {
        browserExtensions: form.get("browserExtensions") === "on",
        localhost: form.get("localhost") === "on",
        webCrawlers: form.get("webCrawlers") === "on",
        errorMessages: lines(form, "errorMessages"),
        releases: lines(form, "releases"),
      },
    }));
    revalidatePath(`/${org}`, "layout");
    return { message: "Saved." };
  });
  if (slug && slug !== text(form, "currentSlug")) redirect(`/${org}/projects/${slug}/settings`);
  return state;
}

export async function deleteProjectAction(org: string, projectId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  let deleted = false;
  const state = await formAction(async () => {
    await deleteProject(await requireViewer(org), projectId, text(form, "confirm"));
    deleted = true;
    return undefined;
  });
  if (deleted) redirect(`/${org}`);
  return state;
}

export async function createKeyAction(org: string, projectId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await createKey(await requireViewer(org), projectId, { label: text(form, "label") || "Default" });
    revalidatePath(`/${org}`, "layout");
    return { message: "Key created." };
  });
}

export async function updateKeyAction(org: string, keyId: number, _previous: ActionState, form: FormData): Promise<ActionState> {
  return formAction(async () => {
    await updateKey(await requireViewer(org), keyId, {
      label: text(form, "label"),
      active: form.get("active") === "on",
      rateLimitCount: optionalInt(form, "rateLimitCount"),
      rateLimitWindow: optionalInt(form, "rateLimitWindow"),
    });
    revalidatePath(`/${org}`, "layout");
    return { message: "Key saved." };
  });
}

export async function rotateKeyAction(org: string, keyId: number, _previous: ActionState): Promise<ActionState> {
  return formAction(async () => {
    await rotateKey(await requireViewer(org), keyId);
    revalidatePath(`/${org}`, "layout");
    return { message: "Rotated: the old key is disabled, update your DSN." };
  });
}

export async function deleteKeyAction(org: string, keyId: number, _previous: ActionState): Promise<ActionState> {
  return formAction(async () => {
    await deleteKey(await requireViewer(org), keyId);
    revalidatePath(`/${org}`, "layout");
    return { message: "Key deleted." };
  });
}
