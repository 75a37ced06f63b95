import { afterAll, beforeAll, expect } from "vitest";
import { db } from "@/lib/db";
import { drainAll } from "./drain";
import { createOrgWithProject } from "./factories";
import { send } from "./http";
import { startIngest } from "./ingest";

/**
 * What the worker-cost tests share: a real ingest for the file (started and closed with it),
 * `sendAll` to put bodies on a fresh tenant's stream through it (20 at a time, each answered
 * 200), and `timeDrain` to drain that project as the drain jobs do, in this process. The
 * tenants are deleted when the file ends.
 */
export function drainCostHarness() {
  let ingest: Awaited<ReturnType<typeof startIngest>>;
  const tenants: Awaited<ReturnType<typeof createOrgWithProject>>[] = [];
  beforeAll(async () => {
    ingest = await startIngest();
  });
  afterAll(async () => {
    await ingest.close();
    await db().organization.deleteMany({ where: { id: { in: tenants.map((t) => t.org.id) } } });
  });

  async function sendAll(bodies: Buffer[]): Promise<number> {
    const tenant = await createOrgWithProject();
    tenants.push(tenant);
    const url = `${ingest.base}/api/${tenant.project.id}/envelope/?sentry_key=${tenant.key.publicKey}`;
    for (let i = 0; i < bodies.length; i += 20) {
      const replies = await Promise.all(bodies.slice(i, i + 20).map((body) => send(url, { body })));
      for (const reply of replies) expect(reply.status, reply.body).toBe(200);
    }
    return tenant.project.id;
  }

  async function timeDrain(projectId: number): Promise<number> {
    const t0 = performance.now();
    await drainAll(projectId);
    return performance.now() - t0;
  }

  return { sendAll, timeDrain };
}
