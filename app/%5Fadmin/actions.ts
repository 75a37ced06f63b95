"use server";

import { refresh } from "next/cache";
import { z } from "zod";
import { unsafeDiscardDeadLetter, unsafeRetryDeadLetter } from "@/lib/events/dead-letters";
import { unsafeDeleteFailedJob, unsafeRetryFailedJob } from "@/lib/operator";
import { QUEUES } from "@/lib/queues";
import { type ActionState, formAction } from "../_server/action-state";
import { requireOperatorAction } from "./guard";

// The console's buttons. A server action is a public POST endpoint, so each one checks the
// superuser itself (an AppError "not found" for anyone else, as the pages answer), parses its
// form with zod, calls one lib/ function and refreshes the page it was pressed on.

const job = z.object({
  queue: z.enum(Object.values(QUEUES) as [string, ...string[]], { message: "no such queue" }),
  id: z.string().min(1).max(200),
});
const deadLetter = z.object({ id: z.string().regex(/^\d{1,18}$/, "no such dead letter") });

function operatorAction(work: (form: FormData) => Promise<string>) {
  return async (_previous: ActionState, form: FormData): Promise<ActionState> =>
    formAction(async () => {
      await requireOperatorAction();
      const message = await work(form);
      refresh();
      return { message };
    });
}

export const retryJobAction = operatorAction(async (form) => {
  const { queue, id } = job.parse(Object.fromEntries(form));
  await unsafeRetryFailedJob(queue, id);
  return "Retried";
});

export const deleteJobAction = operatorAction(async (form) => {
  const { queue, id } = job.parse(Object.fromEntries(form));
  await unsafeDeleteFailedJob(queue, id);
  return "Deleted";
});

export const retryDeadLetterAction = operatorAction(async (form) => {
  await unsafeRetryDeadLetter(BigInt(deadLetter.parse(Object.fromEntries(form)).id));
  return "Put back on its stream";
});

export const discardDeadLetterAction = operatorAction(async (form) => {
  await unsafeDiscardDeadLetter(BigInt(deadLetter.parse(Object.fromEntries(form)).id));
  return "Discarded";
});
