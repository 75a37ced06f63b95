import { inject } from "vitest";

// Everything the test file imports from lib/ and every process it spawns use the run's cluster.
process.env.REDIS_CLUSTER_NODES = inject("redisClusterNodes");
