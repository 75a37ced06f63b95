const KiB = 1024;
const MiB = 1024 * KiB;

/** Ingest size limits (Relay's defaults, smaller for attachments). */
export const LIMITS = {
  /** a single event, transaction or other JSON item; also a whole /store/ or /security/ body */
  eventItemBytes: 1 * MiB,
  /**
   * a `span` item: a container of up to 1,000 streamed spans, which SDKs send once a trace's
   * spans weigh 5 MB by their estimate (two bytes a character), so a little more as UTF-8
   */
  spanItemBytes: 10 * MiB,
  /** an envelope as sent (compressed or not) */
  bodyBytes: 20 * MiB,
  /** an envelope after decompression: the total of its items */
  decompressedBytes: 100 * MiB,
  /** items in one envelope */
  envelopeItems: 100,
  /**
   * What ingest reads and decompresses of an envelope before it knows the key, when the key is
   * only in the envelope header's dsn (tunnels): the header line must fit in this.
   */
  preAuthBytes: 64 * KiB,
  /** nesting depth of JSON payloads accepted from SDKs */
  jsonDepth: 64,
} as const;
