import { ACTION_IDS, type Action } from "../catalog";
import { unsafeSendAlertEmail } from "./email";
import type { LoadedFacts } from "./facts";
import { postJson } from "./http";
import { discordPayload, slackPayload, webhookMessage } from "./payloads";

/** How one action's delivery went; `retry` as in PostResult. `note` is kept in last_error even when ok. */
export type ActionOutcome = { ok: boolean; status: number | null; error: string | null; retry: boolean };

export const NO_RECIPIENTS = "no recipients: nobody matched the action's targets and email settings";

/** Sends one action of a fired rule (or of a test notification) now, once. */
export async function unsafeDeliverAction(action: Action, loaded: LoadedFacts, secret: string | null): Promise<ActionOutcome> {
  const { facts } = loaded;
  switch (action?.id) {
    case ACTION_IDS.webhook: {
      const message = webhookMessage(facts, secret);
      return postJson(action.url, message.body, message.headers);
    }
    case ACTION_IDS.slack:
      return postJson(action.webhookUrl, JSON.stringify(slackPayload(facts)));
    case ACTION_IDS.discord:
      return postJson(action.webhookUrl, JSON.stringify(discordPayload(facts)));
    case ACTION_IDS.email:
      try {
        const { sent, error } = await unsafeSendAlertEmail(loaded.orgId, action, facts, { assigneeId: loaded.assigneeId });
        if (error) return { ok: false, status: null, error, retry: false };
        return { ok: true, status: null, error: sent === 0 ? NO_RECIPIENTS : null, retry: false };
      } catch (error) {
        // An SMTP server that is down or busy may take it later.
        return { ok: false, status: null, error: `email: ${(error as Error).message}`.slice(0, 300), retry: true };
      }
    default:
      return { ok: false, status: null, error: `unknown action ${JSON.stringify((action as { id?: unknown })?.id)}`, retry: false };
  }
}
