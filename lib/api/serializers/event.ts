import type { EventRecord } from "../../issues/events";

/**
 * Sentry's event shapes from our stored payload (the normalized SDK event, snake_case, as
 * Relay stores it): the short form of event lists and the full form with `entries`, in which
 * each interface is camelCased the way Sentry's API serializers write it.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string | null => (typeof value === "string" ? value : null);
const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const valuesOf = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : isObject(value) && Array.isArray(value.values) ? value.values : [];

export function serializeTags(tags: unknown): { key: string; value: string }[] {
  if (!Array.isArray(tags)) return [];
  return tags
    .filter((t): t is [string, string] => Array.isArray(t) && typeof t[0] === "string" && typeof t[1] === "string")
    .map(([key, value]) => ({ key, value }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function serializeUser(user: unknown) {
  if (!isObject(user)) return null;
  const { id, email, username, ip_address: ipAddress, name, data, geo, ...rest } = user;
  return {
    id: str(id),
    email: str(email),
    username: str(username),
    ip_address: str(ipAddress),
    name: str(name),
    geo: isObject(geo) ? geo : null,
    data: isObject(data) ? data : Object.keys(rest).length > 0 ? rest : null,
  };
}

const message = (payload: Json): string => {
  const entry = payload.logentry;
  return isObject(entry) ? (str(entry.formatted) ?? str(entry.message) ?? "") : "";
};

/** The short form of an issue's events list (Sentry's SimpleEventSerializer). */
export function serializeEventSummary(event: EventRecord) {
  return {
    id: event.event_id,
    eventID: event.event_id,
    groupID: event.issue_id === null ? null : String(event.issue_id),
    projectID: String(event.project_id),
    "event.type": str(event.payload.type) ?? "error",
    title: event.title,
    message: message(event.payload),
    culprit: str(event.payload.culprit) ?? str(event.payload.transaction) ?? "",
    location: str(event.payload.transaction),
    platform: event.platform,
    dateCreated: event.timestamp.toISOString(),
    tags: serializeTags(event.tags),
    user: serializeUser(event.payload.user),
    crashFile: null,
  };
}

type Detail = {
  culprit: string;
  hashes: string[];
  release: { version: string; createdAt: Date | null } | null;
  nextEventId: string | null;
  previousEventId: string | null;
};

/** The full form (Sentry's event details), with `entries`. */
export function serializeEvent(event: EventRecord, detail?: Detail) {
  const payload = event.payload;
  const sdk = isObject(payload.sdk) ? payload.sdk : null;
  return {
    ...serializeEventSummary(event),
    type: str(payload.type) ?? "error",
    culprit: str(payload.culprit) ?? detail?.culprit ?? "",
    dateReceived: event.received_at.toISOString(),
    level: event.level,
    dist: str(payload.dist),
    release: detail?.release
      ? {
          version: detail.release.version,
          shortVersion: detail.release.version,
          dateCreated: detail.release.createdAt?.toISOString() ?? null,
        }
      : event.release
        ? { version: event.release, shortVersion: event.release, dateCreated: null }
        : null,
    environment: event.environment,
    entries: entries(payload),
    contexts: isObject(payload.contexts) ? payload.contexts : {},
    context: isObject(payload.extra) ? payload.extra : {},
    packages: isObject(payload.modules) ? payload.modules : {},
    sdk: sdk ? { name: str(sdk.name), version: str(sdk.version) } : null,
    errors: serializeErrors(payload.errors),
    fingerprints: detail?.hashes ?? [],
    fingerprint: Array.isArray(payload.fingerprint) ? payload.fingerprint : null,
    nextEventID: detail?.nextEventId ?? null,
    previousEventID: detail?.previousEventId ?? null,
    userReport: null,
    _meta: {},
  };
}

function entries(payload: Json) {
  const list: { type: string; data: unknown }[] = [];
  const exceptions = valuesOf(payload.exception).filter(isObject);
  if (exceptions.length > 0) {
    const values = exceptions.map(serializeException);
    list.push({
      type: "exception",
      data: { values, excOmitted: null, hasSystemFrames: values.some((v) => v.stacktrace?.hasSystemFrames) },
    });
  }
  if (isObject(payload.stacktrace)) list.push({ type: "stacktrace", data: serializeStacktrace(payload.stacktrace) });
  const threads = valuesOf(payload.threads).filter(isObject);
  if (threads.length > 0) {
    list.push({
      type: "threads",
      data: {
        values: threads.map((t) => ({
          id: t.id ?? null,
          name: str(t.name),
          crashed: t.crashed === true,
          current: t.current === true,
          stacktrace: isObject(t.stacktrace) ? serializeStacktrace(t.stacktrace) : null,
          rawStacktrace: null,
        })),
      },
    });
  }
  if (isObject(payload.request)) list.push({ type: "request", data: serializeRequest(payload.request) });
  const crumbs = valuesOf(payload.breadcrumbs).filter(isObject);
  if (crumbs.length > 0) list.push({ type: "breadcrumbs", data: { values: crumbs.map(serializeBreadcrumb) } });
  if (isObject(payload.logentry)) {
    const { formatted, message: template, params } = payload.logentry;
    list.push({ type: "message", data: { formatted: str(formatted) ?? str(template) ?? "", message: str(template), params: params ?? null } });
  }
  if (isObject(payload.csp)) list.push({ type: "csp", data: payload.csp });
  const images = isObject(payload.debug_meta) ? valuesOf(payload.debug_meta.images).filter(isObject) : [];
  if (images.length > 0) list.push({ type: "debugmeta", data: { images: images.map(serializeDebugImage), sdk_info: null, is_debug_build: null } });
  return list;
}

/** A debug image as Sentry's debugmeta entry lists it (source-map images: the file and its debug id). */
function serializeDebugImage(image: Json) {
  return { type: str(image.type), code_file: str(image.code_file), debug_id: str(image.debug_id) };
}

function serializeException(exception: Json) {
  return {
    type: str(exception.type),
    value: str(exception.value),
    module: str(exception.module),
    mechanism: isObject(exception.mechanism) ? exception.mechanism : null,
    threadId: exception.thread_id ?? null,
    stacktrace: isObject(exception.stacktrace) ? serializeStacktrace(exception.stacktrace) : null,
    // the minified frames, kept when symbolication mapped them (the "minified" view)
    rawStacktrace: isObject(exception.raw_stacktrace) ? serializeStacktrace(exception.raw_stacktrace) : null,
  };
}

function serializeStacktrace(stacktrace: Json) {
  const frames = valuesOf(stacktrace.frames).filter(isObject).map(serializeFrame);
  return {
    frames,
    framesOmitted: Array.isArray(stacktrace.frames_omitted) ? stacktrace.frames_omitted : null,
    registers: isObject(stacktrace.registers) ? stacktrace.registers : null,
    hasSystemFrames: frames.some((f) => !f.inApp),
  };
}

function serializeFrame(frame: Json) {
  const lineNo = num(frame.lineno);
  return {
    filename: str(frame.filename),
    absPath: str(frame.abs_path),
    module: str(frame.module),
    package: str(frame.package),
    platform: str(frame.platform),
    instructionAddr: str(frame.instruction_addr),
    symbolAddr: str(frame.symbol_addr),
    function: str(frame.function),
    rawFunction: str(frame.raw_function),
    symbol: str(frame.symbol),
    context: frameContext(frame, lineNo),
    lineNo,
    colNo: num(frame.colno),
    inApp: frame.in_app === true,
    trust: str(frame.trust),
    errors: null,
    vars: isObject(frame.vars) ? frame.vars : null,
    // {sourcemap, symbolicated, resolved_with} on frames symbolication mapped, as Sentry's
    data: isObject(frame.data) ? frame.data : {},
  };
}

/** Sentry's EventError messages (src/sentry/models/eventerror.py) for the types we record. */
const ERROR_MESSAGES: Record<string, string> = {
  invalid_data: "Discarded invalid value",
  invalid_attribute: "Discarded unknown attribute",
  value_too_long: "Discarded value due to exceeding maximum length",
  future_timestamp: "Invalid timestamp (in future)",
  past_timestamp: "Invalid timestamp (too old)",
  clock_drift: "Clock drift detected in SDK",
  fetch_generic_error: "Unable to fetch HTTP resource",
  fetch_timeout: "Timeout while fetching resource",
  js_no_source: "Source code was not found",
  js_invalid_sourcemap: "Invalid source map",
  js_invalid_sourcemap_location: "Invalid location in sourcemap",
  js_missing_sources_content: "Source map is missing source content",
  js_too_large: "Remote file too large for caching",
  js_fetch_timeout: "Timeout while fetching resource",
};

/** `errors` as Sentry's API gives them: `[{type, message, data}]`. */
function serializeErrors(errors: unknown) {
  return valuesOf(errors)
    .filter(isObject)
    .slice(0, 100)
    .map(({ type, ...data }) => {
      const kind = str(type) ?? "unknown_error";
      return { type: kind, message: ERROR_MESSAGES[kind] ?? kind, data };
    });
}

/** Sentry's `context`: [[lineNo, line], ...] around the frame's line. */
function frameContext(frame: Json, lineNo: number | null): [number, string][] {
  if (lineNo === null || typeof frame.context_line !== "string") return [];
  const pre = Array.isArray(frame.pre_context) ? frame.pre_context.filter((l): l is string => typeof l === "string") : [];
  const post = Array.isArray(frame.post_context) ? frame.post_context.filter((l): l is string => typeof l === "string") : [];
  return [
    ...pre.map((line, i): [number, string] => [lineNo - pre.length + i, line]),
    [lineNo, frame.context_line],
    ...post.map((line, i): [number, string] => [lineNo + 1 + i, line]),
  ];
}

function serializeBreadcrumb(crumb: Json) {
  return {
    type: str(crumb.type) ?? "default",
    category: str(crumb.category),
    level: str(crumb.level) ?? "info",
    message: str(crumb.message),
    data: isObject(crumb.data) ? crumb.data : null,
    timestamp: isoTimestamp(crumb.timestamp),
    event_id: str(crumb.event_id),
  };
}

function isoTimestamp(value: unknown): string | null {
  const ms = typeof value === "number" ? value * 1000 : typeof value === "string" ? Date.parse(value) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function serializeRequest(request: Json) {
  const headers = pairs(request.headers).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const contentType = headers.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? null;
  return {
    method: str(request.method),
    url: str(request.url),
    query: typeof request.query_string === "string" ? [...new URLSearchParams(request.query_string)] : pairs(request.query_string),
    fragment: str(request.fragment),
    data: request.data ?? null,
    headers,
    cookies: typeof request.cookies === "string" ? cookiePairs(request.cookies) : pairs(request.cookies),
    env: isObject(request.env) ? request.env : null,
    inferredContentType: contentType,
  };
}

/** An object or a list of pairs (both are valid in Sentry's request interface) as [[k, v], ...]. */
function pairs(value: unknown): [string, string][] {
  if (Array.isArray(value)) {
    return value
      .filter((p): p is [unknown, unknown] => Array.isArray(p) && p.length === 2 && typeof p[0] === "string")
      .map(([k, v]) => [k as string, typeof v === "string" ? v : JSON.stringify(v)]);
  }
  if (isObject(value)) return Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]);
  return [];
}

function cookiePairs(header: string): [string, string][] {
  return header
    .split(";")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const eq = part.indexOf("=");
      return eq < 0 ? [part, ""] : [part.slice(0, eq), part.slice(eq + 1)];
    });
}
