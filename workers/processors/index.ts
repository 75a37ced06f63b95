import type { JobDefinition } from "@/lib/queues";
import { cleanupSessions } from "./cleanup-sessions";

/** Every job the worker process runs. */
export const processors: JobDefinition<unknown>[] = [cleanupSessions];
