import { LIMITS } from "../protocol/limits";
import type { ExceptionValue, NormalizedEvent } from "../events/types";
import { logger } from "../logger";
import { resolveBatch, type Scope } from "./resolve";
import { type FrameTarget, frameTargets, symbolicateEvent } from "./symbolicate";

export { clearSourceMapCaches, unsafeSourceMapCacheStats } from "./resolve";
export type { Scope } from "./resolve";

/**
 * Symbolication of minified JavaScript in the worker (see resolve.ts and symbolicate.ts): a
 * batch's JavaScript events are mapped to their original code before they are grouped.
 * Source maps uploaded after an event was stored apply to later events only: stored events
 * are not reprocessed.
 */

export type Pending = { event: NormalizedEvent; targets: (FrameTarget | null)[][]; payloadBytes: number };

/** The frames of an event worth a lookup; null when there are none (most events of other platforms). */
export function symbolicationTargets(event: NormalizedEvent): (FrameTarget | null)[][] | null {
  const targets = frameTargets(event);
  return targets.some((frames) => frames.some((t) => t !== null)) ? targets : null;
}

/**
 * Symbolicates the events in place; per event, the exceptions as they were before (for
 * grouping's hash of the raw frames) when any frame changed, else null. Never throws: a failure
 * leaves the events as they came, with an error saying why where one is known.
 */
export async function symbolicateBatch(scope: Scope, pending: Pending[]): Promise<(ExceptionValue[] | null)[]> {
  let resolvers: Awaited<ReturnType<typeof resolveBatch>>;
  try {
    resolvers = await resolveBatch(
      scope,
      pending.map(({ event, targets }) => ({ release: event.release, dist: event.dist, targets })),
    );
  } catch (error) {
    logger.warn({ err: error, projectId: scope.projectId }, "symbolication skipped for a batch");
    return pending.map(() => null);
  }
  return pending.map(({ event, targets, payloadBytes }, i) => {
    try {
      // what symbolication may add (raw frames, context) stays within the event size bound
      const budget = { bytes: Math.max(0, LIMITS.eventItemBytes - payloadBytes) };
      return symbolicateEvent(event, targets, resolvers[i]!, budget);
    } catch (error) {
      logger.warn({ err: error, eventId: event.eventId }, "event not symbolicated");
      return null;
    }
  });
}
