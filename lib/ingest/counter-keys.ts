import { isClustered, projectCounterKey, redisKey } from "../redis";

// The counters ingest's accept script checks besides the streams. On one server their names
// are as they always were. In a Redis Cluster a DSN key's rate limit and a project's spike
// counters carry the project's hash tag ({p<id>}), so the script that appends to the project's
// streams counts them in the same call and every project's counters sit in a slot of their
// own; an org's monthly counters, shared by its projects, carry the org's tag ({o<id>}) and
// are reserved before that call and settled after it (accept-cluster.ts).

/** The two meters besides errors; errors keep the key names of the time before them. */
type OtherMeter = "transaction" | "attachment";
const meterPart = (meter?: OtherMeter) => (meter ? [meter] : []);

/** A DSN key's request counter of one rate-limit window. */
export const keyRateKey = (projectId: number, keyId: number, window: number) => projectCounterKey(projectId, "rl", "key", keyId, window);

/** An org's monthly counter of one meter. */
export const orgQuotaKey = (orgId: number, month: string, meter?: OtherMeter) =>
  isClustered() ? redisKey(`{o${orgId}}`, "quota", "org", orgId, month, ...meterPart(meter)) : redisKey("quota", "org", orgId, month, ...meterPart(meter));

/** A project's hourly (spike protection) counter of one meter. */
export const spikeKey = (projectId: number, hour: number, meter?: OtherMeter) => projectCounterKey(projectId, "spike", projectId, hour, ...meterPart(meter));

/**
 * In a cluster, stand-ins for the org's monthly counters among the script's keys: never read
 * or written, they only name the budget the call was given (one per meter, in the project's slot).
 */
export const quotaBudgetKey = (projectId: number, meter: number) => projectCounterKey(projectId, "quota-budget", meter);
