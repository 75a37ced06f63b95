"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { createMonitor, deleteMonitor, updateMonitor } from "@/lib/monitors/manage";
import { requireViewer } from "../../(auth)/session";
import { type ActionState, formAction } from "../../_server/action-state";
import { monitorHref } from "./monitor-href";

// As in settings/actions.ts: the viewer comes from the session and the URL's org slug; lib/
// checks the role and finds the project and monitor only within that org. The form becomes
// the API's body, so the page and the API refuse the same things with the same words.

const text = (form: FormData, name: string) => String(form.get(name) ?? "").trim();
/** A number field: absent when empty (the config's default), else what was typed (lib refuses non-integers). */
const number = (form: FormData, name: string) => (text(form, name) === "" ? undefined : Number(text(form, name)));

export async function createMonitorAction(org: string, _previous: ActionState, form: FormData): Promise<ActionState> {
  let href = "";
  const state = await formAction(async () => {
    const viewer = await requireViewer(org);
    const interval = text(form, "scheduleType") === "interval";
    const monitor = await createMonitor(viewer, {
      project: text(form, "project"),
      name: text(form, "name"),
      slug: text(form, "slug") || undefined,
      config: {
        schedule_type: interval ? "interval" : "crontab",
        schedule: interval ? [number(form, "intervalValue"), text(form, "intervalUnit")] : text(form, "crontab"),
        checkin_margin: number(form, "checkinMargin"),
        max_runtime: number(form, "maxRuntime"),
        timezone: text(form, "timezone") || undefined,
        failure_issue_threshold: number(form, "failureIssueThreshold"),
        recovery_threshold: number(form, "recoveryThreshold"),
      },
    });
    href = monitorHref(org, monitor.slug, monitor.project.id);
    return undefined;
  });
  // Outside formAction: redirect works by throwing.
  if (href) redirect(href);
  return state;
}

export async function setMonitorMutedAction(
  org: string,
  slug: string,
  projectId: number,
  muted: boolean,
  _previous: ActionState,
  _form: FormData,
): Promise<ActionState> {
  return formAction(async () => {
    await updateMonitor(await requireViewer(org), slug, projectId, { isMuted: muted });
    revalidatePath(`/${org}/crons`, "layout");
    return { message: muted ? "Muted: no failure issues are opened." : "Unmuted." };
  });
}

export async function deleteMonitorAction(org: string, slug: string, projectId: number, _previous: ActionState, _form: FormData): Promise<ActionState> {
  let deleted = false;
  const state = await formAction(async () => {
    await deleteMonitor(await requireViewer(org), slug, projectId);
    deleted = true;
    return undefined;
  });
  if (deleted) {
    revalidatePath(`/${org}/crons`);
    redirect(`/${org}/crons`);
  }
  return state;
}
