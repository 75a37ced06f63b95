import { inject } from "vitest";

// Everything the test file imports from lib/ and every process it spawns use the run's cluster.
process.env.REDIS_CLUSTER_NODES = inject("redisClusterNodes");
// These files check the ingest -> worker -> issues path, not the replica wait's bound, which a
// replica starved on a loaded 2-core CI machine could pass. The failover test, which is about
// that wait, runs with the default.
process.env.REDIS_REPLICA_WAIT_MS = "5000";
