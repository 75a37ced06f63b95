import { ACTION_IDS, CONDITION_IDS, FILTER_IDS } from "@/lib/alerts/catalog";

// The rule form (rule-form.tsx) back into Sentry's rule body, as the REST API takes it. No
// checks here beyond shape: lib/alerts validates and its messages reach the form.

const CONDITIONS: Record<string, string> = CONDITION_IDS;
const FREQUENCY = new Set(["eventFrequency", "uniqueUserFrequency"]);

export function ruleBodyFromForm(form: FormData): Record<string, unknown> {
  const text = (name: string) => String(form.get(name) ?? "").trim();
  // An empty number stays missing so the validator names the field, instead of becoming 0.
  const num = (name: string) => (text(name) === "" ? undefined : text(name));

  const conditions = form
    .getAll("condition")
    .map(String)
    .filter((name) => Object.hasOwn(CONDITIONS, name))
    .map((name) =>
      FREQUENCY.has(name)
        ? { id: CONDITIONS[name], interval: text(`${name}.interval`), value: num(`${name}.value`) }
        : { id: CONDITIONS[name] },
    );

  const filters = form.getAll("filterRow").map((key) => {
    const field = (f: string) => `filter.${String(key)}.${f}`;
    switch (text(field("kind"))) {
      case "tagged":
        return { id: FILTER_IDS.tagged, key: text(field("key")), match: text(field("match")), value: text(field("value")) };
      case "level":
        return { id: FILTER_IDS.level, match: text(field("match")), level: text(field("level")) };
      case "age":
        return { id: FILTER_IDS.age, comparison_type: text(field("comparison")), value: num(field("value")), time: text(field("time")) };
      case "occurrences":
        return { id: FILTER_IDS.occurrences, value: num(field("value")) };
      case "latestRelease":
        return { id: FILTER_IDS.latestRelease };
      default:
        return { id: text(field("kind")) };
    }
  });

  const actions = form.getAll("actionRow").map((key) => {
    const field = (f: string) => `action.${String(key)}.${f}`;
    switch (text(field("kind"))) {
      case "email":
        return text(field("targetType")) === "Member"
          ? { id: ACTION_IDS.email, targetType: "Member", targetIdentifier: num(field("member")) }
          : { id: ACTION_IDS.email, targetType: "IssueOwners", fallthroughType: text(field("fallthrough")) };
      case "webhook":
        return { id: ACTION_IDS.webhook, url: text(field("url")) };
      case "slack":
        return { id: ACTION_IDS.slack, webhookUrl: text(field("url")) };
      case "discord":
        return { id: ACTION_IDS.discord, webhookUrl: text(field("url")) };
      default:
        return { id: text(field("kind")) };
    }
  });

  const body: Record<string, unknown> = {
    name: text("name"),
    actionMatch: text("actionMatch"),
    filterMatch: text("filterMatch"),
    frequency: text("frequency"),
    environment: text("environment") || null,
    conditions,
    filters,
    actions,
  };
  // Write-only: left out keeps the saved secret, null removes it.
  if (form.get("clearSecret") === "on") body.secret = null;
  else if (text("secret")) body.secret = text("secret");
  return body;
}
