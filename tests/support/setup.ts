import { inject } from "vitest";

// Everything a test imports from lib/ (and every process it spawns) uses the run's database.
process.env.DATABASE_URL = inject("databaseUrl");
process.env.LOG_LEVEL = "info"; // spawned processes announce readiness at info
process.env.DEMO_ACCOUNT = "off";
// Queues and keys of each test file stay apart: from a platform running on the same Redis, and
// from other files (a worker process started by one file must not drain another's streams).
process.env.REDIS_PREFIX = `test${process.ppid}x${Math.random().toString(36).slice(2, 10)}`;
