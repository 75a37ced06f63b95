import { z } from "zod";
import { unsafeCreateDefaultAlertRule } from "../alerts/rules";
import { audit } from "../audit";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client.ts";
import { freeSlug, slugSchema, slugify } from "../slug";
import { newProjectKey } from "./index";
import { projectKeySelect } from "./listing";
import { PLATFORM_IDS } from "./platforms";

// Project and DSN key management for the dashboard and the API. Every function takes the
// Viewer, checks the role, and finds the project or key within the viewer's org, so a foreign
// id is "not found" and never touched.

export const projectInputSchema = z.object({
  name: z.string().trim().min(1, "name the project").max(100),
  slug: z.string().trim().toLowerCase().pipe(slugSchema).optional(),
  platform: z.enum(PLATFORM_IDS).default("other"),
  // Sentry's default alert rule (email on new issues); the creation form can opt out.
  defaultAlertRule: z.boolean().default(true),
});

/** A new project in the viewer's org, with its first DSN key and, unless opted out, the default alert rule. */
export async function createProject(viewer: Viewer, input: z.input<typeof projectInputSchema>) {
  assertCan(viewer.role, "projects:create");
  const { name, slug: wanted, platform, defaultAlertRule } = projectInputSchema.parse(input);
  return db().$transaction(async (tx) => {
    const slug = wanted ?? (await freeProjectSlug(tx, viewer.orgId, name));
    if (wanted && (await findProjectBySlug(tx, viewer.orgId, wanted))) {
      throw new AppError("conflict", `a project ${wanted} exists already: choose another short name`);
    }
    const project = await tx.project.create({
      data: { orgId: viewer.orgId, slug, name, platform, keys: { create: { publicKey: newProjectKey(), secretKey: newProjectKey() } } },
      select: { id: true, slug: true, name: true, platform: true },
    });
    if (defaultAlertRule) await unsafeCreateDefaultAlertRule(tx, project.id);
    await audit(viewer, { action: "project.created", targetType: "project", targetId: project.id, data: { slug } }, tx);
    return project;
  });
}

/** The viewer's org's project with this slug, with what its settings page shows; else 404. */
export async function projectBySlug(viewer: Viewer, slug: string) {
  assertCan(viewer.role, "projects:read");
  const project = await db().project.findFirst({
    where: { orgId: viewer.orgId, slug },
    select: { id: true, slug: true, name: true, platform: true, scrubData: true, filters: true, apdexThresholdMs: true, firstEventAt: true, createdAt: true },
  });
  if (!project) throw new AppError("not_found", "no such project");
  return project;
}

const filtersSchema = z.object({
  browserExtensions: z.boolean().default(false),
  localhost: z.boolean().default(false),
  webCrawlers: z.boolean().default(false),
  errorMessages: z.array(z.string().trim().min(1).max(500)).max(100).default([]),
  releases: z.array(z.string().trim().min(1).max(500)).max(100).default([]),
});

export const projectSettingsSchema = z.object({
  name: z.string().trim().min(1).max(100),
  slug: z.string().trim().toLowerCase().pipe(slugSchema),
  platform: z.enum(PLATFORM_IDS),
  scrubData: z.boolean(),
  filters: filtersSchema,
  // Apdex's T: a transaction up to it is satisfied, up to 4T tolerated. Absent: unchanged.
  apdexThresholdMs: z
    .number({ error: "the Apdex threshold is a whole number of milliseconds" })
    .int("the Apdex threshold is a whole number of milliseconds")
    .min(1, "the Apdex threshold is at least 1 ms")
    .max(60_000, "the Apdex threshold is at most 60000 ms")
    .optional(),
});

/** Saves a project's settings: name, short name, platform, scrubbing, inbound filters and Apdex threshold. */
export async function updateProject(viewer: Viewer, projectId: number, input: z.input<typeof projectSettingsSchema>) {
  assertCan(viewer.role, "projects:update");
  const settings = projectSettingsSchema.parse(input);
  return db().$transaction(async (tx) => {
    const before = await projectInOrg(tx, viewer, projectId);
    if (settings.slug !== before.slug && (await findProjectBySlug(tx, viewer.orgId, settings.slug))) {
      throw new AppError("conflict", `a project ${settings.slug} exists already: choose another short name`);
    }
    const project = await tx.project.update({
      where: { id: before.id },
      data: { ...settings, filters: settings.filters as Prisma.InputJsonObject },
      select: { id: true, slug: true, name: true },
    });
    if (before.scrubData !== settings.scrubData) {
      await audit(viewer, { action: "project.scrubbing_changed", targetType: "project", targetId: project.id, data: { scrubData: settings.scrubData } }, tx);
    }
    if (settings.apdexThresholdMs !== undefined && before.apdexThresholdMs !== settings.apdexThresholdMs) {
      await audit(
        viewer,
        { action: "project.apdex_changed", targetType: "project", targetId: project.id, data: { from: before.apdexThresholdMs, to: settings.apdexThresholdMs } },
        tx,
      );
    }
    return project;
  });
}

/** Deletes a project with all its events and issues; `confirm` must repeat its short name. */
export async function deleteProject(viewer: Viewer, projectId: number, confirm: string): Promise<void> {
  assertCan(viewer.role, "projects:delete");
  await db().$transaction(async (tx) => {
    const project = await projectInOrg(tx, viewer, projectId);
    if (confirm.trim() !== project.slug) throw new AppError("bad_request", `type ${project.slug} to confirm`);
    await tx.project.delete({ where: { id: project.id } });
    await audit(viewer, { action: "project.deleted", targetType: "project", targetId: project.id, data: { slug: project.slug } }, tx);
  });
}

export const keyInputSchema = z
  .object({
    label: z.string().trim().min(1).max(64).default("Default"),
    rateLimitCount: z.number().int().positive().max(1_000_000_000).nullable().default(null),
    rateLimitWindow: z.number().int().positive().max(86_400).nullable().default(null),
  })
  .refine((k) => (k.rateLimitCount === null) === (k.rateLimitWindow === null), "a rate limit needs both a count and a window");


/** A new DSN key for the project. */
export async function createKey(viewer: Viewer, projectId: number, input: z.input<typeof keyInputSchema> = {}) {
  assertCan(viewer.role, "keys:manage");
  const settings = keyInputSchema.parse(input);
  return db().$transaction(async (tx) => {
    const project = await projectInOrg(tx, viewer, projectId);
    const key = await tx.projectKey.create({
      data: { projectId: project.id, ...settings, publicKey: newProjectKey(), secretKey: newProjectKey() },
      select: projectKeySelect,
    });
    await audit(viewer, { action: "key.created", targetType: "project_key", targetId: key.id, data: { project: project.slug, label: key.label } }, tx);
    return key;
  });
}

/** Relabels a key, enables or disables it, or sets its rate limit. Ingest sees it within seconds. */
export async function updateKey(
  viewer: Viewer,
  keyId: number,
  input: z.input<typeof keyInputSchema> & { active: boolean },
) {
  assertCan(viewer.role, "keys:manage");
  const settings = keyInputSchema.parse(input);
  return db().$transaction(async (tx) => {
    const before = await keyInOrg(tx, viewer, keyId);
    const key = await tx.projectKey.update({ where: { id: before.id }, data: { ...settings, active: input.active }, select: projectKeySelect });
    if (before.active !== key.active) {
      await audit(viewer, { action: key.active ? "key.enabled" : "key.disabled", targetType: "project_key", targetId: key.id }, tx);
    }
    if (before.rateLimitCount !== key.rateLimitCount || before.rateLimitWindow !== key.rateLimitWindow) {
      await audit(viewer, { action: "key.rate_limit_changed", targetType: "project_key", targetId: key.id, data: { count: key.rateLimitCount, window: key.rateLimitWindow } }, tx);
    }
    return key;
  });
}

/**
 * Replaces a key: a new key with the same label and rate limit, the old one disabled (SDKs
 * still using it get 401 once ingest's key cache expires, a few seconds).
 */
export async function rotateKey(viewer: Viewer, keyId: number) {
  assertCan(viewer.role, "keys:manage");
  return db().$transaction(async (tx) => {
    const old = await keyInOrg(tx, viewer, keyId);
    await tx.projectKey.update({ where: { id: old.id }, data: { active: false } });
    const key = await tx.projectKey.create({
      data: {
        projectId: old.projectId,
        label: old.label,
        rateLimitCount: old.rateLimitCount,
        rateLimitWindow: old.rateLimitWindow,
        publicKey: newProjectKey(),
        secretKey: newProjectKey(),
      },
      select: projectKeySelect,
    });
    await audit(viewer, { action: "key.rotated", targetType: "project_key", targetId: key.id, data: { replaced: old.id } }, tx);
    return key;
  });
}

/** Deletes a key for good. */
export async function deleteKey(viewer: Viewer, keyId: number): Promise<void> {
  assertCan(viewer.role, "keys:manage");
  await db().$transaction(async (tx) => {
    const key = await keyInOrg(tx, viewer, keyId);
    await tx.projectKey.delete({ where: { id: key.id } });
    await audit(viewer, { action: "key.deleted", targetType: "project_key", targetId: key.id }, tx);
  });
}

async function projectInOrg(tx: Tx, viewer: Viewer, projectId: number) {
  const project = await tx.project.findFirst({
    where: { id: projectId, orgId: viewer.orgId },
    select: { id: true, slug: true, scrubData: true, apdexThresholdMs: true },
  });
  if (!project) throw new AppError("not_found", "no such project");
  return project;
}

async function keyInOrg(tx: Tx, viewer: Viewer, keyId: number) {
  const key = await tx.projectKey.findFirst({
    where: { id: keyId, project: { orgId: viewer.orgId } },
    select: { id: true, projectId: true, label: true, active: true, rateLimitCount: true, rateLimitWindow: true },
  });
  if (!key) throw new AppError("not_found", "no such key");
  return key;
}

const findProjectBySlug = (tx: Tx, orgId: number, slug: string) =>
  tx.project.findUnique({ where: { orgId_slug: { orgId, slug } }, select: { id: true } });

const freeProjectSlug = (tx: Tx, orgId: number, name: string) =>
  freeSlug(slugify(name, "project"), async (slug) => Boolean(await findProjectBySlug(tx, orgId, slug)));
