import type { TestProject } from "vitest/node";
import { startRedisCluster } from "./redis-cluster";

// Global setup of the Redis Cluster run (vitest.redis-cluster.config.ts): one 3-master cluster
// with a replica each for the run, its nodes handed to every test file (redis-cluster-env.ts).
export default async function setup(project: TestProject) {
  const cluster = await startRedisCluster();
  project.provide("redisClusterNodes", cluster.nodes);
  return () => cluster.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    redisClusterNodes: string;
  }
}
