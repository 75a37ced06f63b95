import pino from "pino";
import { env } from "./env";

/** Structured JSON logs, one object per line, on stdout. */
export const logger = pino({
  level: env().LOG_LEVEL,
  base: undefined,
  timestamp: pino.stdTimeFunctions.isoTime,
});
