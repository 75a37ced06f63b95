import { inject } from "vitest";

// Everything a test imports from lib/ (and every process it spawns) uses the run's database.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.LOG_LEVEL = "info"; // spawned processes announce readiness at info
process.env.DEMO_ACCOUNT = "off";
// Queues and keys of this run stay apart from a platform running on the same Redis.
process.env.REDIS_PREFIX = `test${process.ppid}`;
