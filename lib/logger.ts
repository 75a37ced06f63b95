import pino from "pino";
import { env } from "./env";

/** Structured JSON logs, one object per line, on stdout. */
export const logger = pino({
  level: levelOrDefault(),
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
});

// The logger is created at import time; a bad environment must be reported by boot() as one
// clear line, not surface here as a stack trace.
function levelOrDefault(): string {
  try {
    return env().LOG_LEVEL;
  } catch {
    return "info";
  }
}
