import { queue } from "../queues";

export const ASSEMBLE_BUNDLE_JOB = "assemble-artifact-bundle";

/** What the assembly job needs: ids, checksums, release and dist; never the bytes. */
export type AssembleJobData = {
  orgId: number;
  checksum: string;
  chunks: string[];
  projectIds: number[];
  version: string | null;
  dist: string | null;
};

/**
 * Queues the assembly of one bundle_assemblies row. The job id names the row and the minute,
 * so a retry of a lost job (see requestAssembly) is not swallowed by the finished job BullMQ
 * still keeps under the same id.
 */
export async function enqueueAssembly(data: AssembleJobData): Promise<void> {
  const minute = Math.floor(Date.now() / 60_000);
  await queue("maintenance").add(ASSEMBLE_BUNDLE_JOB, data, {
    jobId: `assemble-${data.orgId}-${data.checksum}-${minute}`,
    attempts: 3,
    backoff: { type: "exponential", delay: 2000 },
  });
}
