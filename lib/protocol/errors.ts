/** A request the ingest protocol refuses: status and the `detail` SDKs and people see. */
export class ProtocolError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 413 | 415 | 429,
    message: string,
    /** Sent as Retry-After (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}
