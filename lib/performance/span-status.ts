// Span v2 statuses are only "ok" and "error"; transactions and their spans carry Sentry's
// (OpenTelemetry's canonical) statuses, which the failure rate reads. An error with an HTTP
// response status is named the way the SDKs name it in static mode (getSpanStatusFromHttpCode).

/** Statuses a v1 span may send as they are. */
const SENTRY_STATUSES = new Set([
  "ok",
  "cancelled",
  "unknown",
  "unknown_error",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal_error",
  "unavailable",
  "data_loss",
  "unauthenticated",
]);

/**
 * The Sentry status of a streamed span: "ok" unless it says "error", then what its HTTP
 * response status says, else internal_error. A v1 span's own Sentry status is kept.
 */
export function sentryStatus(sent: unknown, httpStatus: number | undefined): string {
  if (sent === "error") return statusOfHttpError(httpStatus);
  if (typeof sent === "string" && sent !== "ok" && SENTRY_STATUSES.has(sent)) return sent;
  return "ok";
}

function statusOfHttpError(code: number | undefined): string {
  if (code === undefined || code < 400 || code >= 600) return "internal_error";
  switch (code) {
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 409:
      return "already_exists";
    case 413:
      return "failed_precondition";
    case 429:
      return "resource_exhausted";
    case 499:
      return "cancelled";
    case 501:
      return "unimplemented";
    case 503:
      return "unavailable";
    case 504:
      return "deadline_exceeded";
    default:
      return code < 500 ? "invalid_argument" : "internal_error";
  }
}
