import { ACTION_IDS, type Action } from "./catalog";

/**
 * Where an action sends, in words for the rule page, the delivery log and the activity
 * ("Alert X sent to ..."). Webhook URLs show only their origin: the path of a Slack or Discord
 * webhook is its secret.
 */
export function describeActionTarget(action: Action): string {
  switch (action.id) {
    case ACTION_IDS.email:
      if (action.targetType === "Member") return `email to member #${action.targetIdentifier}`;
      return `email to issue owners, else ${fallthroughWords[action.fallthroughType ?? "ActiveMembers"]}`;
    case ACTION_IDS.webhook:
      return `webhook ${originOf(action.url)}`;
    case ACTION_IDS.slack:
      return `Slack ${originOf(action.webhookUrl)}`;
    case ACTION_IDS.discord:
      return `Discord ${originOf(action.webhookUrl)}`;
  }
}

const fallthroughWords = { AllMembers: "all members", ActiveMembers: "active members", NoOne: "no one" } as const;

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid URL)";
  }
}
