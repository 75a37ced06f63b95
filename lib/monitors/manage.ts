import { z } from "zod";
import { audit } from "../audit";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { AppError } from "../errors";
import { Prisma } from "../generated/prisma/client.ts";
import { type ProjectRef, monitorOfViewer, projectOfViewer } from "./api-lookup";
import { type MonitorView, loadMonitorView } from "./api-read";
import { type MonitorConfig, normalizeMonitorSlug, parseMonitorConfig } from "./config";
import { unsafeAssertMonitorAllowed } from "./quota";
import { nextScheduledTime, scheduleForApi } from "./schedule";

// Creating, editing, muting and deleting monitors from the REST API and the Crons pages.

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((t) => !t.includes("\0"), "may not contain NUL characters");

// Sentry's monitor slugs: lower-case letters, digits, "_" and "-", at most 50, not all digits
// (a number in the URL would read as an id).
const slugField = z
  .string()
  .max(50, "slug is longer than 50 characters")
  .regex(/^[a-z0-9_-]+$/, "slug: use lowercase letters, digits, dashes and underscores")
  .refine((s) => !/^\d+$/.test(s), "slug may not be only digits");

// is_muted (Sentry's older name) or isMuted
const mutedFields = { isMuted: z.boolean().optional(), is_muted: z.boolean().optional() };
const statusField = z.enum(["active", "disabled"]).optional();

const createMonitorSchema = z.object({
  project: z.union([text(100), z.number().int().positive()]),
  name: text(128),
  slug: slugField.optional(),
  // the API's config (snake_case, schedule_type), read by parseMonitorConfig
  config: z.record(z.string(), z.unknown()),
  status: statusField,
  ...mutedFields,
});

const updateMonitorSchema = z.object({
  name: text(128).optional(),
  slug: slugField.optional(),
  // merged over the monitor's config: a PUT may change only the margin
  config: z.record(z.string(), z.unknown()).optional(),
  status: statusField,
  ...mutedFields,
});

/** A refused config is the client's fault: 400 with parseMonitorConfig's reason. */
function configOrThrow(input: unknown): MonitorConfig {
  const parsed = parseMonitorConfig(input);
  if (!parsed.ok) throw new AppError("bad_request", `Invalid config: ${parsed.reason}`);
  return parsed.config;
}

/** The stored config in the API's shape, for a partial update to merge over. */
function apiConfigOf(monitor: MonitorView): Record<string, unknown> {
  return {
    schedule_type: monitor.scheduleType,
    schedule: scheduleForApi(monitor),
    checkin_margin: monitor.checkinMargin,
    max_runtime: monitor.maxRuntime,
    timezone: monitor.timezone,
    failure_issue_threshold: monitor.failureIssueThreshold,
    recovery_threshold: monitor.recoveryThreshold,
    owner: monitor.owner,
  };
}

const configColumns = (config: MonitorConfig) => ({
  scheduleType: config.scheduleType,
  schedule: config.schedule,
  checkinMargin: config.checkinMargin,
  maxRuntime: config.maxRuntime,
  timezone: config.timezone,
  failureIssueThreshold: config.failureIssueThreshold,
  recoveryThreshold: config.recoveryThreshold,
  owner: config.owner,
});

const duplicate = (slug: string) => new AppError("conflict", `A monitor with the slug "${slug}" already exists in this project`);
const isUniqueViolation = (error: unknown) => error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";

/**
 * POST .../monitors/: a new monitor in one of the viewer's org's projects; 409 on a taken slug,
 * 403 past the plan's number of monitors.
 */
export async function createMonitor(viewer: Viewer, body: unknown): Promise<MonitorView> {
  assertCan(viewer.role, "monitors:write");
  const input = createMonitorSchema.parse(body);
  const config = configOrThrow(input.config);
  const slug = input.slug ?? normalizeMonitorSlug(input.name);
  if (!slug || /^\d+$/.test(slug)) throw new AppError("bad_request", "slug: give one, the name makes none");
  try {
    return await db().$transaction(async (tx) => {
      const project = await projectOfViewer(tx, viewer, input.project).catch((error) => {
        // a project the body names is bad input, not a missing resource of the URL
        if (error instanceof AppError && error.code === "not_found") throw new AppError("bad_request", "Invalid project id or slug");
        throw error;
      });
      // the plan's number of monitors (403 past it; none with billing off), checked under the
      // org row's lock so two creations cannot both take the last one
      await unsafeAssertMonitorAllowed(tx, viewer.orgId);
      const created = await tx.monitor.create({
        data: {
          orgId: viewer.orgId,
          projectId: project.id,
          slug,
          name: input.name,
          status: input.status ?? "active",
          isMuted: input.isMuted ?? input.is_muted ?? false,
          ...configColumns(config),
        },
        select: { id: true },
      });
      await audit(viewer, { action: "monitor.create", targetType: "monitor", targetId: created.id, data: { slug, projectId: project.id } }, tx);
      return loadMonitorView(tx, viewer, created.id);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(slug);
    throw error;
  }
}

/**
 * PUT .../monitors/{slug}/: name, slug, status, mute and config, each only when given. A new
 * schedule moves every environment's next expected check-in, so the minute job follows it.
 */
export async function updateMonitor(viewer: Viewer, slug: string, project: ProjectRef | undefined, body: unknown): Promise<MonitorView> {
  assertCan(viewer.role, "monitors:write");
  try {
    return await db().$transaction(async (tx) => {
      // The monitor first: an unknown (or another org's) slug is a 404 whatever the body.
      const { id } = await monitorOfViewer(tx, viewer, slug, project);
      const input = updateMonitorSchema.parse(body);
      const current = await loadMonitorView(tx, viewer, id);
      const config = input.config === undefined ? undefined : configOrThrow({ ...apiConfigOf(current), ...input.config });
      const isMuted = input.isMuted ?? input.is_muted;
      await tx.monitor.updateMany({
        where: { id, orgId: viewer.orgId },
        data: {
          ...(input.name === undefined ? {} : { name: input.name }),
          ...(input.slug === undefined ? {} : { slug: input.slug }),
          ...(input.status === undefined ? {} : { status: input.status }),
          ...(isMuted === undefined ? {} : { isMuted }),
          ...(config === undefined ? {} : configColumns(config)),
          dateUpdated: new Date(),
        },
      });
      // A new schedule, or a monitor enabled again (its next check-ins went stale while the
      // minute job skipped it), counts from now.
      const reenabled = input.status === "active" && current.status === "disabled";
      if ((config && scheduleChanged(current, config)) || reenabled) await reschedule(tx, id, config ?? current, new Date());
      const changed = Object.keys(input).filter((key) => input[key as keyof typeof input] !== undefined);
      await audit(viewer, { action: "monitor.update", targetType: "monitor", targetId: id, data: { slug: current.slug, changed } }, tx);
      return loadMonitorView(tx, viewer, id);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw duplicate(String((body as { slug?: unknown })?.slug ?? slug));
    throw error;
  }
}

const scheduleChanged = (current: MonitorView, next: MonitorConfig) =>
  current.scheduleType !== next.scheduleType ||
  current.schedule !== next.schedule ||
  current.timezone !== next.timezone ||
  current.checkinMargin !== next.checkinMargin;

/**
 * The environments' next expected check-in under a new schedule, counted from the edit (not
 * the last check-in): the edit itself must not make a run "missed" that the old schedule
 * never asked for. Environments lock in id order, as the minute job and the check-in path
 * take them.
 */
async function reschedule(
  tx: Tx,
  monitorId: number,
  config: Pick<MonitorConfig, "scheduleType" | "schedule" | "timezone" | "checkinMargin">,
  now: Date,
): Promise<void> {
  const next = nextScheduledTime(config, now);
  const latest = new Date(next.getTime() + config.checkinMargin * 60_000);
  await tx.$queryRaw`select id from monitor_environments where monitor_id = ${monitorId} order by id for update`;
  await tx.monitorEnvironment.updateMany({ where: { monitorId }, data: { nextCheckIn: next, nextCheckInLatest: latest } });
}

/** DELETE .../monitors/{slug}/: the monitor with its environments and check-ins. */
export async function deleteMonitor(viewer: Viewer, slug: string, project?: ProjectRef): Promise<void> {
  assertCan(viewer.role, "monitors:write");
  await db().$transaction(async (tx) => {
    const monitor = await monitorOfViewer(tx, viewer, slug, project);
    await tx.monitor.deleteMany({ where: { id: monitor.id, orgId: viewer.orgId } });
    await audit(
      viewer,
      { action: "monitor.delete", targetType: "monitor", targetId: monitor.id, data: { slug, projectId: monitor.projectId } },
      tx,
    );
  });
}
