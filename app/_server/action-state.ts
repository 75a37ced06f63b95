import "server-only";
import { ZodError } from "zod";
import { duringWrite } from "@/lib/db-read";
import { AppError } from "@/lib/errors";
import { currentUser } from "../(auth)/session";

/** What a form's server action answers: an error to show, a message, or a secret shown once. */
export type ActionState = { error?: string; message?: string; secret?: string };

/**
 * Runs a server action's work, turning expected failures (AppError, invalid input) into a
 * message for the form. Anything else, including Next's redirect, propagates. An action writes:
 * with a read replica, it reads the primary and the user's next reads (the page drawn again
 * after it) see what it did (lib/db-read.ts).
 */
export async function formAction(work: () => Promise<ActionState | undefined>): Promise<ActionState> {
  try {
    return (await duringWrite(work, async () => (await currentUser())?.id)) ?? {};
  } catch (error) {
    if (error instanceof AppError) return { error: error.message };
    if (error instanceof ZodError) return { error: error.issues.map((i) => i.message).join("; ") };
    throw error;
  }
}
