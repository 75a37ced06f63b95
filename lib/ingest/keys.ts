import { sqlRows } from "../sql";
import { isPublicKey } from "../protocol/auth";
import { compileFilters, parseFilterConfig, type FilterContext, type FilterReason } from "./filters";
import { limitsForOrg, type OrgLimits } from "./quota-policy";

/** What ingest needs to know about a DSN key, cached in memory per process. */
export type KeyInfo = {
  keyId: number;
  projectId: number;
  orgId: number;
  active: boolean;
  rateLimit: { count: number; windowSeconds: number } | null;
  limits: OrgLimits;
  filter: ((event: Record<string, unknown>, ctx: FilterContext) => FilterReason | null) | null;
};

// Disabling or rotating a key, changing a project's filters, or a plan change (an upgrade lifts
// the org's quota) reaches every ingest process within this time without cross-process messaging.
export const KEY_TTL_MS = 3000;
const MAX_ENTRIES = 50_000;

type Entry = { value: KeyInfo | null; expires: number; refreshing?: Promise<KeyInfo | null> };

const cache = new Map<string, Entry>();

/**
 * The key's info, or null for an unknown key. Unknown keys are cached too, so random keys
 * cannot push every request through to the database. An expired entry is served while one
 * refresh runs, so the hot path does not wait on Postgres more than once per key and TTL.
 */
export async function lookupKey(publicKey: string, now = Date.now()): Promise<KeyInfo | null> {
  // Not one of our keys: nothing to look up, and no cache entry for an attacker's string.
  if (!isPublicKey(publicKey)) return null;
  const entry = cache.get(publicKey);
  if (entry && entry.expires > now) return entry.value;
  if (entry) {
    entry.refreshing ??= refresh(publicKey);
    // Serve the stale value only briefly; past twice the TTL, wait for the fresh one.
    return entry.expires + KEY_TTL_MS > now ? entry.value : entry.refreshing;
  }
  const created: Entry = { value: null, expires: 0, refreshing: refresh(publicKey) };
  cache.set(publicKey, created);
  return created.refreshing!;
}

async function refresh(publicKey: string): Promise<KeyInfo | null> {
  try {
    const value = await loadKey(publicKey);
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(publicKey, { value, expires: Date.now() + KEY_TTL_MS });
    return value;
  } catch (error) {
    // Keep a stale value (if any) for the next request to retry; only this one fails.
    const entry = cache.get(publicKey);
    if (entry) entry.refreshing = undefined;
    if (entry && entry.expires === 0) cache.delete(publicKey);
    throw error;
  }
}

async function loadKey(publicKey: string): Promise<KeyInfo | null> {
  const [key] = await sqlRows<{
    id: number;
    active: boolean;
    rateLimitCount: number | null;
    rateLimitWindow: number | null;
    projectId: number;
    orgId: number;
    filters: unknown;
    plan: string;
    subscriptionStatus: string | null;
    pastDueSince: Date | null;
    onDemandBudgetCents: number;
  }>`
    select k.id, k.active, k.rate_limit_count as "rateLimitCount", k.rate_limit_window as "rateLimitWindow",
           p.id as "projectId", p.org_id as "orgId", p.filters, o.plan, o.subscription_status as "subscriptionStatus",
           o.past_due_since as "pastDueSince", o.on_demand_budget_cents as "onDemandBudgetCents"
    from project_keys k join projects p on p.id = k.project_id join organizations o on o.id = p.org_id
    where k.public_key = ${publicKey}`;
  if (!key) return null;
  return {
    keyId: key.id,
    projectId: key.projectId,
    orgId: key.orgId,
    active: key.active,
    rateLimit:
      key.rateLimitCount && key.rateLimitWindow
        ? { count: key.rateLimitCount, windowSeconds: key.rateLimitWindow }
        : null,
    limits: limitsForOrg(key),
    filter: compileFilters(parseFilterConfig(key.filters)),
  };
}

/** Forget everything (tests). */
export function clearKeyCache(): void {
  cache.clear();
}
