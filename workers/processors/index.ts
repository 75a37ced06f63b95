import type { JobDefinition } from "@/lib/queues";
import { cleanupSessions } from "./cleanup-sessions";
import { flushOutcomesJob } from "./flush-outcomes";

/** Every job the worker process runs. */
export const processors: JobDefinition<unknown>[] = [cleanupSessions, flushOutcomesJob];
