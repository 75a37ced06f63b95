import type { Viewer } from "../auth/viewer";
import { AppError } from "../errors";

/** A transaction of the viewer's org in Sentry's event shape, with a `spans` entry; null when none. */
export async function transactionEvent(_viewer: Viewer, _projectSlug: string, _eventId: string): Promise<Record<string, unknown> | null> {
  throw new AppError("not_found", "not implemented yet");
}

/** The transaction an error happened in: the one holding `spanId`, else the trace's transaction of that name. */
export async function transactionForSpan(
  _viewer: Viewer,
  _traceId: string,
  _spanId: string | null,
  _transactionName: string | null,
): Promise<{ projectSlug: string; eventId: string } | null> {
  throw new AppError("not_found", "not implemented yet");
}
