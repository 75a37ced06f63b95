import { assertCan } from "../auth/permissions";
import type { Viewer } from "../auth/viewer";
import { dbRead, type Tx } from "../db";
import type { Prisma } from "../generated/prisma/client.ts";
import { type ProjectRef, monitorOfViewer } from "./api-lookup";

// A monitor as the API and the pages read it: its config and its state per environment.

/** The name an environment is shown with: check-ins without one count as production (Sentry's word). */
export const environmentName = (environment: string | null | undefined) => environment || "production";

export type MonitorEnvironmentView = {
  id: number;
  /** as shown: "" is production */
  name: string;
  /** active (no check-in yet) | ok | error | missed_checkin | timeout */
  status: string;
  lastCheckIn: Date | null;
  nextCheckIn: Date | null;
  nextCheckInLatest: Date | null;
  /** the open failure issue, if any (made in the monitor's project by lib/monitors/incidents) */
  issueId: number | null;
  issue: { id: number; title: string; status: string } | null;
  dateCreated: Date;
};

export type MonitorView = {
  id: number;
  slug: string;
  name: string;
  /** active | disabled */
  status: string;
  isMuted: boolean;
  project: { id: number; slug: string; name: string };
  dateCreated: Date;
  scheduleType: "crontab" | "interval";
  /** the crontab, or "<n> <unit>" for intervals */
  schedule: string;
  checkinMargin: number;
  maxRuntime: number;
  timezone: string;
  failureIssueThreshold: number;
  recoveryThreshold: number;
  owner: string | null;
  environments: MonitorEnvironmentView[];
};

/** The Prisma select that reads a MonitorView. */
export const monitorViewSelect = {
  id: true,
  slug: true,
  name: true,
  status: true,
  isMuted: true,
  dateCreated: true,
  scheduleType: true,
  schedule: true,
  checkinMargin: true,
  maxRuntime: true,
  timezone: true,
  failureIssueThreshold: true,
  recoveryThreshold: true,
  owner: true,
  project: { select: { id: true, slug: true, name: true } },
  environments: {
    select: {
      id: true,
      environment: true,
      status: true,
      lastCheckIn: true,
      nextCheckIn: true,
      nextCheckInLatest: true,
      issueId: true,
      issue: { select: { id: true, title: true, status: true } },
      dateCreated: true,
    },
    orderBy: [{ environment: "asc" as const }, { id: "asc" as const }],
  },
} satisfies Prisma.MonitorSelect;

type MonitorRow = Prisma.MonitorGetPayload<{ select: typeof monitorViewSelect }>;

export function toMonitorView(row: MonitorRow): MonitorView {
  const { environments, scheduleType, ...rest } = row;
  return {
    ...rest,
    scheduleType: scheduleType === "interval" ? "interval" : "crontab",
    environments: environments.map(({ environment, ...env }) => ({ ...env, name: environmentName(environment) })),
  };
}

/** A monitor by id, which the caller found within the viewer's org. */
export async function loadMonitorView(tx: Tx, viewer: Viewer, monitorId: number): Promise<MonitorView> {
  const row = await tx.monitor.findFirstOrThrow({ where: { id: monitorId, orgId: viewer.orgId }, select: monitorViewSelect });
  return toMonitorView(row);
}

/** GET .../monitors/{slug}/: the viewer's org's monitor with this slug (and project, when given). */
export async function getMonitor(viewer: Viewer, slug: string, project?: ProjectRef): Promise<MonitorView> {
  assertCan(viewer.role, "monitors:read");
  const tx = await dbRead(viewer);
  const { id } = await monitorOfViewer(tx, viewer, slug, project);
  return loadMonitorView(tx, viewer, id);
}
