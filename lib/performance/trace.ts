import type { Viewer } from "../auth/viewer";
import { AppError } from "../errors";
import type { Trace } from "./types";

/** The org's transactions (as a tree) and errors of one trace; null when the org has none of it. */
export async function traceForViewer(_viewer: Viewer, _traceId: string): Promise<Trace | null> {
  throw new AppError("not_found", "not implemented yet");
}
