import "server-only";
import { ZodError } from "zod";
import { AppError } from "@/lib/errors";

/** What a form's server action answers: an error to show, a message, or a secret shown once. */
export type ActionState = { error?: string; message?: string; secret?: string };

/**
 * Runs a server action's work, turning expected failures (AppError, invalid input) into a
 * message for the form. Anything else, including Next's redirect, propagates.
 */
export async function formAction(work: () => Promise<ActionState | undefined>): Promise<ActionState> {
  try {
    return (await work()) ?? {};
  } catch (error) {
    if (error instanceof AppError) return { error: error.message };
    if (error instanceof ZodError) return { error: error.issues.map((i) => i.message).join("; ") };
    throw error;
  }
}
