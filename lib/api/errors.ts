import { ZodError, z } from "zod";
import { Prisma } from "../generated/prisma/client.ts";
import { AppError } from "../errors";
import { logger } from "../logger";

export const NOT_FOUND_DETAIL = "The requested resource does not exist";

/** A JSON answer in Sentry's error shape: `{"detail": "..."}`. */
export const detail = (status: number, message: string, headers?: HeadersInit) =>
  Response.json({ detail: message }, { status, headers });

/**
 * The one mapping of failures to HTTP for the REST API: AppError by its code (every not found
 * says the same, so a foreign id reads exactly like an unknown one), zod -> 400 naming the
 * fields, a unique violation -> 409, anything else -> 500, logged.
 */
export function errorResponse(error: unknown, request?: Request): Response {
  if (error instanceof AppError) {
    if (error.code === "not_found") return detail(404, NOT_FOUND_DETAIL);
    if (error.code === "unauthorized") return detail(401, error.message, { "www-authenticate": "Bearer" });
    return detail(error.status, error.message);
  }
  if (error instanceof ZodError) return detail(400, `Invalid request: ${z.prettifyError(error).replaceAll("\n", " ")}`);
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
    return detail(409, "This resource already exists");
  }
  // A value PostgreSQL cannot hold (a NUL in text, a date or number out of its range) that no
  // validation before the query caught: the request's fault, not the server's.
  if (postgresErrorClass(error) === "22") {
    logger.warn({ err: error, method: request?.method, url: request?.url }, "api request with a value the database refused");
    return detail(400, "Invalid request: a value in it cannot be stored (e.g. a NUL character or an out-of-range date)");
  }
  logger.error({ err: error, method: request?.method, url: request?.url }, "api request failed");
  return detail(500, "Internal Error");
}

type PostgresFailure = {
  // node-postgres' DatabaseError
  code?: unknown;
  severity?: unknown;
  // Prisma's error from its driver adapter
  meta?: { driverAdapterError?: { cause?: { kind?: string; code?: unknown } } };
};

/** The SQLSTATE class (its first two characters) of a PostgreSQL error, from pg or through Prisma. */
function postgresErrorClass(error: unknown): string | undefined {
  const failure = (error ?? {}) as PostgresFailure;
  const cause = failure.meta?.driverAdapterError?.cause;
  const code = cause?.kind === "postgres" ? cause.code : failure.severity ? failure.code : undefined;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code.slice(0, 2) : undefined;
}
