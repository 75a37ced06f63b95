import { audit } from "../audit";
import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { db, type Tx } from "../db";
import { AppError } from "../errors";
import type { Prisma } from "../generated/prisma/client.ts";
import { ACTION_IDS, type Action, type AlertRuleSpec, CONDITION_IDS, type Condition, type Filter, type Match } from "./catalog";
import { parseRuleInput, type RuleInput } from "./rule-schema";

// Issue alert rules of a project, for the REST API and the settings pages. Every function
// checks the viewer's role and finds the project and rule within the viewer's org, so a foreign
// id is "not found". The webhook secret never leaves this file: views say only whether one is set.

export type AlertRuleView = AlertRuleSpec & {
  hasSecret: boolean;
  owner: { id: number; email: string; name: string } | null;
  createdAt: Date;
  updatedAt: Date;
};

const ruleSelect = {
  id: true,
  projectId: true,
  name: true,
  actionMatch: true,
  filterMatch: true,
  frequency: true,
  environment: true,
  conditions: true,
  filters: true,
  actions: true,
  secret: true,
  owner: { select: { id: true, email: true, name: true } },
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.AlertRuleSelect;

type RuleRow = Prisma.AlertRuleGetPayload<{ select: typeof ruleSelect }>;

function toView({ secret, ...row }: RuleRow): AlertRuleView {
  return {
    ...row,
    actionMatch: row.actionMatch as Match,
    filterMatch: row.filterMatch as Match,
    conditions: row.conditions as Condition[],
    filters: row.filters as Filter[],
    actions: row.actions as Action[],
    hasSecret: secret !== null,
  };
}

/** The project's rules, oldest first. */
export async function listAlertRules(viewer: Viewer, projectId: number): Promise<AlertRuleView[]> {
  assertCan(viewer.role, "alerts:read");
  const project = await projectInOrg(db(), viewer, projectId);
  const rows = await db().alertRule.findMany({
    where: { projectId: project.id, project: { orgId: viewer.orgId } },
    orderBy: { id: "asc" },
    select: ruleSelect,
  });
  return rows.map(toView);
}

export async function getAlertRule(
  viewer: Viewer,
  projectId: number,
  ruleId: number,
): Promise<AlertRuleView> {
  assertCan(viewer.role, "alerts:read");
  return toView(await ruleInOrg(db(), viewer, projectId, ruleId));
}

/** A new rule from Sentry's body; the owner defaults to the viewer. */
export async function createAlertRule(
  viewer: Viewer,
  projectId: number,
  input: unknown,
): Promise<AlertRuleView> {
  assertCan(viewer.role, "alerts:write");
  return db().$transaction(async (tx) => {
    // Found first: another org's project id is "not found" whatever the body says.
    const project = await projectInOrg(tx, viewer, projectId);
    const rule = parseRuleInput(input);
    const ownerId = rule.owner === undefined ? viewer.userId : rule.owner;
    await assertMembers(tx, viewer, rule);
    const created = await tx.alertRule.create({
      data: { projectId: project.id, ...ruleFields(rule), ownerId, secret: rule.secret ?? null },
      select: ruleSelect,
    });
    await audit(
      viewer,
      {
        action: "alert_rule.created",
        targetType: "alert_rule",
        targetId: created.id,
        data: { project: project.slug, name: created.name },
      },
      tx,
    );
    return toView(created);
  });
}

/**
 * Replaces every field of a rule, as Sentry's PUT does; `owner` and `secret` left out of the
 * body stay as they were (the secret is write-only, so clients cannot send it back).
 */
export async function updateAlertRule(
  viewer: Viewer,
  projectId: number,
  ruleId: number,
  input: unknown,
): Promise<AlertRuleView> {
  assertCan(viewer.role, "alerts:write");
  return db().$transaction(async (tx) => {
    // Found first: another org's rule id is "not found" whatever the body says.
    const before = await ruleInOrg(tx, viewer, projectId, ruleId);
    const rule = parseRuleInput(input);
    const ownerId = rule.owner === undefined ? (before.owner?.id ?? null) : rule.owner;
    await assertMembers(tx, viewer, rule);
    const updated = await tx.alertRule.update({
      where: { id: before.id },
      data: { ...ruleFields(rule), ownerId, ...(rule.secret === undefined ? {} : { secret: rule.secret }) },
      select: ruleSelect,
    });
    await audit(
      viewer,
      {
        action: "alert_rule.updated",
        targetType: "alert_rule",
        targetId: updated.id,
        data: { name: updated.name },
      },
      tx,
    );
    return toView(updated);
  });
}

/** Deletes a rule; its pending deliveries go with it (a delivery job then finds nothing to send). */
export async function deleteAlertRule(viewer: Viewer, projectId: number, ruleId: number): Promise<void> {
  assertCan(viewer.role, "alerts:write");
  await db().$transaction(async (tx) => {
    const rule = await ruleInOrg(tx, viewer, projectId, ruleId);
    await tx.alertRule.delete({ where: { id: rule.id } });
    await audit(
      viewer,
      {
        action: "alert_rule.deleted",
        targetType: "alert_rule",
        targetId: rule.id,
        data: { name: rule.name },
      },
      tx,
    );
  });
}

/** Sentry's classic default rule: email the issue owners (else the active members) about new issues. */
export const DEFAULT_ALERT_RULE = {
  name: "Send a notification for new issues",
  actionMatch: "all",
  filterMatch: "all",
  frequency: 5,
  conditions: [{ id: CONDITION_IDS.firstSeen }],
  filters: [],
  actions: [{ id: ACTION_IDS.email, targetType: "IssueOwners", fallthroughType: "ActiveMembers" }],
} as const;

/** Gives a new project the default rule, in the caller's transaction. System context: no checks. */
export async function unsafeCreateDefaultAlertRule(tx: Tx, projectId: number): Promise<{ id: number }> {
  return tx.alertRule.create({
    data: {
      projectId,
      ...DEFAULT_ALERT_RULE,
      conditions: [...DEFAULT_ALERT_RULE.conditions],
      actions: [...DEFAULT_ALERT_RULE.actions],
      filters: [],
    },
    select: { id: true },
  });
}

function ruleFields(rule: RuleInput) {
  return {
    name: rule.name,
    actionMatch: rule.actionMatch,
    filterMatch: rule.filterMatch,
    frequency: rule.frequency,
    environment: rule.environment,
    conditions: rule.conditions as Prisma.InputJsonArray,
    filters: rule.filters as Prisma.InputJsonArray,
    actions: rule.actions as Prisma.InputJsonArray,
  };
}

/**
 * An owner the body names and every Member email target must belong to the viewer's org. An
 * owner kept from before is not checked: a rule whose owner left stays editable.
 */
async function assertMembers(tx: Tx, viewer: Viewer, rule: RuleInput): Promise<void> {
  const ownerId = rule.owner ?? null;
  const targets = rule.actions.flatMap((a) =>
    a.id === ACTION_IDS.email && a.targetType === "Member" ? [Number(a.targetIdentifier)] : [],
  );
  const wanted = [...new Set([...targets, ...(ownerId === null ? [] : [ownerId])])];
  if (wanted.length === 0) return;
  const found = await tx.membership.findMany({
    where: { orgId: viewer.orgId, userId: { in: wanted } },
    select: { userId: true },
  });
  const members = new Set(found.map((m) => m.userId));
  if (ownerId !== null && !members.has(ownerId))
    throw new AppError("bad_request", `owner: user:${ownerId} is not a member of this organization`);
  const stranger = targets.find((id) => !members.has(id));
  if (stranger !== undefined)
    throw new AppError(
      "bad_request",
      `actions: targetIdentifier ${stranger} is not a member of this organization`,
    );
}

async function projectInOrg(tx: Tx, viewer: Viewer, projectId: number) {
  const project = await tx.project.findFirst({
    where: { id: projectId, orgId: viewer.orgId },
    select: { id: true, slug: true },
  });
  if (!project) throw new AppError("not_found", "no such project");
  return project;
}

async function ruleInOrg(tx: Tx, viewer: Viewer, projectId: number, ruleId: number) {
  const rule = await tx.alertRule.findFirst({
    where: { id: ruleId, projectId, project: { orgId: viewer.orgId } },
    select: ruleSelect,
  });
  if (!rule) throw new AppError("not_found", "no such alert rule");
  return rule;
}
