import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_DURATION_S, normalizeCheckInId } from "../monitors/check-in-item";
import { agreeOnKey } from "../protocol/auth";
import { normalizeMonitorSlug, parseMonitorConfig } from "../monitors/config";
import { BodyMemory, BodyReader, decode, encodingsOf } from "../protocol/body";
import { parseJsonPayload } from "../protocol/envelope";
import { ProtocolError } from "../protocol/errors";
import { LIMITS } from "../protocol/limits";
import { formatRateLimits } from "../protocol/rate-limits";
import { acceptItems, countOutcome } from "./accept";
import { authorize, bodyMemoryCap, headerKey, reply, replyError } from "./handler";
import { prepareItems } from "./items";
import type { KeyInfo } from "./keys";

const STATUSES = new Set(["in_progress", "ok", "error"]);

/**
 * Relay's HTTP form of a check-in: `GET|POST /api/{project_id}/cron/{monitor_slug}/{sentry_key}/`
 * (or without the key segment, the key in `?sentry_key=` or `X-Sentry-Auth`)
 * with `?status=&check_in_id=&environment=&duration=` or a JSON body of the same fields (plus
 * monitor_config). It becomes one check_in item and takes the envelope's path from there (same
 * quotas, outcomes and stream), so the worker cannot tell it from an SDK's. Answers 202 with the
 * check-in's id (a new one when none was given), which a later request can close.
 */
export async function ingestCronCheckIn(
  req: IncomingMessage,
  res: ServerResponse,
  projectId: number,
  rawSlug: string,
  pathKey: string | null,
  query: URLSearchParams,
  clientIp: string,
): Promise<void> {
  let key: KeyInfo | null = null;
  const memory = new BodyMemory(bodyMemoryCap());
  try {
    const publicKey = pathKey ?? agreeOnKey({ query: query.get("sentry_key"), header: headerKey(req) });
    if (!publicKey) throw new ProtocolError(401, "missing authentication: no sentry_key in the path, query or X-Sentry-Auth");
    key = await authorize(publicKey, projectId);
    const fields: Record<string, unknown> = {};
    for (const name of ["status", "check_in_id", "environment", "duration"]) {
      const value = query.get(name);
      if (value !== null) fields[name] = value;
    }
    if (req.method === "POST") {
      const body = new BodyReader(req, memory);
      await body.readUntil(LIMITS.eventItemBytes);
      const decoded = await decode(body.buffer, encodingsOf(req.headers["content-encoding"]), LIMITS.eventItemBytes, memory);
      // The body's fields win over the query's.
      if (decoded.toString("latin1").trim() !== "") Object.assign(fields, parseJsonPayload(decoded, "check-in body"));
    } else req.resume();

    const payload = checkInPayload(rawSlug, fields);
    const envelope = { header: {}, items: [{ header: { type: "check_in" }, rawHeader: Buffer.from('{"type":"check_in"}'), payload: Buffer.from(JSON.stringify(payload)) }] };
    const prepared = prepareItems(envelope, key, { clientIp, userAgent: req.headers["user-agent"] });
    const result = await acceptItems(key, prepared.items, clientIp, undefined);
    const answer = { id: payload.check_in_id };
    if (result.rateLimits.length === 0 || result.accepted > 0) return reply(res, 202, answer);
    const headers = {
      "x-sentry-rate-limits": formatRateLimits(result.rateLimits),
      "retry-after": String(Math.ceil(Math.max(...result.rateLimits.map((l) => l.retryAfterSeconds)))),
    };
    return reply(res, 429, { detail: `rate limited: ${result.rateLimits.map((l) => l.reason).join(", ")}` }, headers);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    if (key && error.status >= 400 && error.status !== 401 && error.status !== 403 && error.status !== 429) {
      await countOutcome(key, "monitor", "invalid", error.status === 413 ? "too_large" : "invalid_data").catch(() => {});
    }
    replyError(req, res, error);
  } finally {
    memory.release();
  }
}

/** The check_in item of the request's fields, or a 400 saying what is wrong. */
function checkInPayload(rawSlug: string, fields: Record<string, unknown>) {
  let decodedSlug: string;
  try {
    decodedSlug = decodeURIComponent(rawSlug);
  } catch {
    throw new ProtocolError(400, "monitor slug is not valid URL encoding");
  }
  const slug = normalizeMonitorSlug(decodedSlug);
  if (!slug) throw new ProtocolError(400, "monitor slug is empty");
  const status = fields.status;
  if (typeof status !== "string" || !STATUSES.has(status)) throw new ProtocolError(400, "status must be in_progress, ok or error");
  const given = fields.check_in_id;
  const checkInId = given === undefined || given === "" ? randomUUID().replace(/-/g, "") : normalizeCheckInId(given);
  if (!checkInId) throw new ProtocolError(400, "check_in_id must be a UUID");
  const environment = fields.environment ?? undefined;
  if (environment !== undefined && (typeof environment !== "string" || environment.length > 64)) {
    throw new ProtocolError(400, "environment must be a string of at most 64 characters");
  }
  let duration: number | undefined;
  if (fields.duration !== undefined && fields.duration !== null && fields.duration !== "") {
    duration = typeof fields.duration === "string" ? Number(fields.duration) : (fields.duration as number);
    if (typeof duration !== "number" || !Number.isFinite(duration) || duration < 0 || duration > MAX_DURATION_S) {
      throw new ProtocolError(400, `duration must be a number of seconds, at most ${MAX_DURATION_S}`);
    }
  }
  const config = fields.monitor_config;
  if (config !== undefined && config !== null) {
    const parsed = parseMonitorConfig(config);
    if (!parsed.ok) throw new ProtocolError(400, `monitor_config: ${parsed.reason}`);
  }
  return {
    check_in_id: checkInId,
    monitor_slug: slug,
    status,
    ...(environment ? { environment } : {}),
    ...(duration !== undefined ? { duration } : {}),
    ...(config !== undefined && config !== null ? { monitor_config: config } : {}),
  };
}
