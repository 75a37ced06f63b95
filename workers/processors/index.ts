import type { JobDefinition } from "@/lib/queues";
import { cleanupSessions } from "./cleanup-sessions";
import { drainJob } from "./drain";
import { flushOutcomesJob } from "./flush-outcomes";
import { requeueStuckDrains } from "./requeue-stuck-drains";

/** Every job the worker process runs. */
export const processors: JobDefinition<unknown>[] = [drainJob, cleanupSessions, flushOutcomesJob, requeueStuckDrains];
