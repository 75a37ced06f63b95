import type { Job } from "bullmq";
import { z } from "zod";
import { unsafeAssembleBundle } from "@/lib/artifacts/assemble-bundle";
import { ASSEMBLE_BUNDLE_JOB, type AssembleJobData } from "@/lib/artifacts/assemble-queue";
import { MAX_CHUNKS_PER_BUNDLE } from "@/lib/artifacts/limits";
import type { JobDefinition } from "@/lib/queues";

const sha1 = z.string().regex(/^[0-9a-f]{40}$/);

/**
 * Assembles an artifact bundle from its uploaded chunks (what `artifactbundle/assemble`
 * queued). A bad bundle ends in the assembly's `error` state, not in a retry; a failure of the
 * database or blob store is retried, and the last attempt records an error for the CLI.
 */
export const assembleArtifactBundleJob: JobDefinition<AssembleJobData> = {
  name: ASSEMBLE_BUNDLE_JOB,
  queue: "artifacts",
  schema: z
    .object({
      orgId: z.number().int().positive(),
      checksum: sha1,
      chunks: z.array(sha1).min(1).max(MAX_CHUNKS_PER_BUNDLE),
      projectIds: z.array(z.number().int().positive()).max(100),
      version: z.string().max(250).nullable(),
      dist: z.string().max(64).nullable(),
    })
    .strict(),
  handle: (data, job: Job) => unsafeAssembleBundle(data, job.attemptsMade + 1 >= (job.opts.attempts ?? 1)),
};
