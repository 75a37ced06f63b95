const MiB = 1024 * 1024;

/** Ingest size limits (Relay's defaults, smaller for attachments). */
export const LIMITS = {
  /** a single event, transaction or other JSON item */
  eventItemBytes: 1 * MiB,
  /** the request body as sent (compressed or not) */
  bodyBytes: 20 * MiB,
  /** the request body after decompression */
  decompressedBytes: 100 * MiB,
  /** nesting depth of JSON payloads accepted from SDKs */
  jsonDepth: 64,
} as const;
