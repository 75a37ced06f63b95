/** Shapes shared by event normalization (normalize.ts), grouping and storage. */

export type Level = "fatal" | "error" | "warning" | "info" | "debug";

export type Frame = {
  filename?: string;
  absPath?: string;
  module?: string;
  function?: string;
  lineno?: number;
  colno?: number;
  inApp?: boolean;
  contextLine?: string;
  preContext?: string[];
  postContext?: string[];
  platform?: string;
  /** Native frames group by package (the binary) and address when there are no symbols. */
  package?: string;
  instructionAddr?: string;
};

/** `framesOmitted` is `[start, end)` in the SDK's original frame list, as Sentry's `frames_omitted`. */
export type Stacktrace = { frames: Frame[]; framesOmitted?: [number, number] };

export type ExceptionValue = {
  type?: string;
  value?: string;
  module?: string;
  mechanism?: { type?: string; handled?: boolean; synthetic?: boolean };
  stacktrace?: Stacktrace;
};

export type CspReport = {
  effectiveDirective?: string;
  blockedUri?: string;
  documentUri?: string;
  violatedDirective?: string;
  sourceFile?: string;
  originalPolicy?: string;
};

export type EventUser = {
  id?: string;
  email?: string;
  username?: string;
  ipAddress?: string;
  [k: string]: unknown;
};

export type NormalizedEvent = {
  /** 32 lowercase hex */
  eventId: string;
  /** When it happened, drift-corrected and clamped to the accepted window. */
  timestamp: Date;
  /** Transactions only: when the transaction started, shifted like `timestamp`. */
  startTimestamp?: Date;
  receivedAt: Date;
  level: Level;
  /** Sentry platform id or "other" */
  platform: string;
  type: "error" | "default" | "csp" | "transaction";
  release?: string;
  environment?: string;
  dist?: string;
  serverName?: string;
  transaction?: string;
  logger?: string;
  /** The SDK's culprit (or the violated directive of a CSP report), at most 200 chars. */
  culprit?: string;
  /** Formatted log message (logentry.formatted, or message params applied), at most 8192 chars. */
  message?: string;
  /** In Sentry's exception.values order: causes first, the outermost (last raised, the one the issue is titled by) last. */
  exceptions: ExceptionValue[];
  /** Top-level or crashed/current thread stacktrace, only when no exception has one. */
  stacktrace?: Stacktrace;
  csp?: CspReport;
  fingerprint?: string[];
  /** Keys and values at most 200 chars; built-in tags included (they win over the SDK's). */
  tags: [string, string][];
  user?: EventUser;
  /** Stable user identity for distinct-user counts: "id:..", "email:..", "username:..", "ip:..". */
  userTag?: string;
  sdk?: { name?: string; version?: string };
  /** The full event JSON: Sentry's shapes, normalized fields written back, scrubbed (stored without `tags`, which have their own column). */
  payload: Record<string, unknown>;
};
