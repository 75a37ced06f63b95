import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

// The ingest -> worker -> issues path and the fairness test again, on a real Redis Cluster
// (3 masters, a replica each) that the global setup starts on free local ports: `npm test`
// runs this after the suite on plain Redis. README, Redis Cluster.
const config = mergeConfig(
  base,
  defineConfig({
    test: {
      // added to the base's: a database per run, then the cluster
      globalSetup: ["tests/support/redis-cluster-setup.ts"],
      setupFiles: ["tests/support/redis-cluster-env.ts"],
    },
  }),
);
// replaces the base's (mergeConfig would add to it)
config.test!.include = [
  "tests/integration/processing.test.ts",
  "tests/integration/drain-worker.test.ts",
  "tests/integration/accept-batch.test.ts",
  "tests/integration/ingest-quotas.test.ts",
  "tests/integration/outcomes-flush.test.ts",
  "tests/integration/redis-cluster-fairness.test.ts",
];
export default config;
