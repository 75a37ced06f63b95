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
 * Queues the assembly of one bundle_assemblies row. No job id of our own: the row is the
 * deduplication (only the request that creates it, or that takes over a lost job, queues), and a
 * fixed id would make BullMQ ignore a later assembly of the same bundle while it keeps the
 * finished job under that id.
 */
export async function enqueueAssembly(data: AssembleJobData): Promise<void> {
  await queue("artifacts").add(ASSEMBLE_BUNDLE_JOB, data, {
    attempts: 3,
    backoff: { type: "exponential", delay: 2000 },
  });
}
