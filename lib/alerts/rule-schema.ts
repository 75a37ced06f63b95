import { z } from "zod";
import { AppError } from "../errors";
import {
  ACTION_IDS,
  type Action,
  type AlertRuleSpec,
  CONDITION_IDS,
  type Condition,
  FILTER_IDS,
  type Filter,
  FREQUENCY_INTERVALS,
  MATCHES,
} from "./catalog";

// Sentry's issue alert rule body (what its API, Terraform's provider and the settings page
// send) turned into the catalog's types. Each condition, filter and action is checked by its id,
// and only the fields the catalog type has are kept: Sentry clients also send a display `name`
// per entry, which the serializer derives again. Every failure is a 400 naming the field.

export const MIN_FREQUENCY = 5;
export const MAX_FREQUENCY = 43_200;
const MAX_ENTRIES = 20;

/** A rule body after validation; `owner` and `secret` are undefined when the body left them out. */
export type RuleInput = Omit<AlertRuleSpec, "id" | "projectId"> & {
  owner: number | null | undefined;
  secret: string | null | undefined;
};

// Sentry sends counts as numbers or as numeric strings (form posts, Terraform).
const count = z.preprocess(
  (v) => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(0, "must be 0 or more")
    .max(2_147_483_647),
);

// Sentry's numeric log levels, as its UI sends them in a level filter.
const NUMERIC_LEVELS: Record<string, string> = {
  "50": "fatal",
  "40": "error",
  "30": "warning",
  "20": "info",
  "10": "debug",
};
const LEVELS = ["fatal", "error", "warning", "info", "debug"] as const;
const level = z.preprocess(
  (v) =>
    typeof v === "number" || typeof v === "string"
      ? (NUMERIC_LEVELS[String(v).trim()] ?? String(v).trim().toLowerCase())
      : v,
  z.enum(LEVELS, { error: `must be one of ${LEVELS.join(", ")} (or Sentry's 50, 40, 30, 20, 10)` }),
);

/** A receiver URL: absolute http(s), no credentials in it (they would show in logs and pages). */
export const receiverUrl = z
  .string({ error: "a URL is required" })
  .trim()
  .max(2048, "is longer than 2048 characters")
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: "custom", message: `is not an absolute URL: ${text}` });
      return;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      ctx.addIssue({ code: "custom", message: `must be an http or https URL, not ${url.protocol}` });
    } else if (!url.hostname) {
      ctx.addIssue({ code: "custom", message: "has no host" });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "must not carry a user name or password" });
    }
  });

const idOnly = <I extends string>(id: I) => z.object({ id: z.literal(id) });
const frequencyCondition = <I extends string>(id: I) =>
  z.object({
    id: z.literal(id),
    interval: z.enum(FREQUENCY_INTERVALS, {
      error: `interval must be one of ${FREQUENCY_INTERVALS.join(", ")}`,
    }),
    value: count,
  });

const CONDITIONS: Record<string, z.ZodType<Condition>> = {
  [CONDITION_IDS.firstSeen]: idOnly(CONDITION_IDS.firstSeen),
  [CONDITION_IDS.regression]: idOnly(CONDITION_IDS.regression),
  [CONDITION_IDS.reappeared]: idOnly(CONDITION_IDS.reappeared),
  [CONDITION_IDS.everyEvent]: idOnly(CONDITION_IDS.everyEvent),
  [CONDITION_IDS.newFeedback]: idOnly(CONDITION_IDS.newFeedback),
  [CONDITION_IDS.eventFrequency]: frequencyCondition(CONDITION_IDS.eventFrequency),
  [CONDITION_IDS.uniqueUserFrequency]: frequencyCondition(CONDITION_IDS.uniqueUserFrequency),
};

const TAG_MATCHES = ["eq", "ne", "sw", "ew", "co", "nc", "is", "ns"] as const;
const taggedFilter = z
  .object({
    id: z.literal(FILTER_IDS.tagged),
    key: z
      .string({ error: "key is required" })
      .trim()
      .min(1, "key is required")
      .max(200, "key is longer than 200 characters"),
    match: z.enum(TAG_MATCHES, { error: `match must be one of ${TAG_MATCHES.join(", ")}` }),
    value: z.string().max(200, "value is longer than 200 characters").nullish(),
  })
  .transform((f, ctx) => {
    // "is set" and "is not set" look at the key only.
    if (f.match === "is" || f.match === "ns") return { id: f.id, key: f.key, match: f.match };
    if (f.value == null || f.value === "") {
      ctx.addIssue({ code: "custom", message: `value is required for match ${f.match}` });
      return z.NEVER;
    }
    return { id: f.id, key: f.key, match: f.match, value: f.value };
  });

const FILTERS: Record<string, z.ZodType<Filter>> = {
  [FILTER_IDS.tagged]: taggedFilter,
  [FILTER_IDS.level]: z.object({
    id: z.literal(FILTER_IDS.level),
    match: z.enum(["eq", "gte", "lte"], { error: "match must be one of eq, gte, lte" }),
    level,
  }),
  [FILTER_IDS.age]: z.object({
    id: z.literal(FILTER_IDS.age),
    comparison_type: z.enum(["older", "newer"], { error: "comparison_type must be older or newer" }),
    value: count,
    time: z.enum(["minute", "hour", "day", "week"], { error: "time must be one of minute, hour, day, week" }),
  }),
  [FILTER_IDS.occurrences]: z.object({ id: z.literal(FILTER_IDS.occurrences), value: count }),
  [FILTER_IDS.latestRelease]: idOnly(FILTER_IDS.latestRelease),
};

const emailAction = z
  .object({
    id: z.literal(ACTION_IDS.email),
    targetType: z.enum(["IssueOwners", "Member"], {
      error: "targetType must be IssueOwners or Member (teams are not supported)",
    }),
    targetIdentifier: z.union([z.number(), z.string()]).nullish(),
    fallthroughType: z
      .enum(["AllMembers", "ActiveMembers", "NoOne"], {
        error: "fallthroughType must be AllMembers, ActiveMembers or NoOne",
      })
      .nullish(),
  })
  .transform((a, ctx) => {
    const fallthroughType = a.fallthroughType ?? "ActiveMembers";
    if (a.targetType === "IssueOwners") return { id: a.id, targetType: a.targetType, fallthroughType };
    const userId = Number(a.targetIdentifier);
    if (a.targetIdentifier == null || a.targetIdentifier === "" || !Number.isInteger(userId) || userId < 1) {
      ctx.addIssue({
        code: "custom",
        message: "targetIdentifier must be the user id of a member for targetType Member",
      });
      return z.NEVER;
    }
    return { id: a.id, targetType: a.targetType, targetIdentifier: userId, fallthroughType };
  });

const ACTIONS: Record<string, z.ZodType<Action>> = {
  [ACTION_IDS.email]: emailAction,
  [ACTION_IDS.webhook]: z.object({ id: z.literal(ACTION_IDS.webhook), url: receiverUrl }),
  [ACTION_IDS.slack]: z.object({ id: z.literal(ACTION_IDS.slack), webhookUrl: receiverUrl }),
  [ACTION_IDS.discord]: z.object({ id: z.literal(ACTION_IDS.discord), webhookUrl: receiverUrl }),
};

const match = (field: string) =>
  z.enum(MATCHES, { error: `${field} must be one of ${MATCHES.join(", ")}` }).default("all");

const ruleBody = z.object(
  {
    name: z
      .string({ error: "name is required" })
      .trim()
      .min(1, "name is required")
      .max(256, "name is longer than 256 characters"),
    actionMatch: match("actionMatch"),
    filterMatch: match("filterMatch"),
    frequency: z
      .preprocess(
        (v) => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
        z
          .number({ error: "frequency must be a whole number of minutes" })
          .int("frequency must be a whole number of minutes")
          .min(MIN_FREQUENCY, `frequency must be at least ${MIN_FREQUENCY} minutes`)
          .max(MAX_FREQUENCY, `frequency must be at most ${MAX_FREQUENCY} minutes`),
      )
      .default(30),
    environment: z
      .string()
      .trim()
      .max(64, "environment is longer than 64 characters")
      .nullish()
      .transform((v) => v || null),
    conditions: entries("conditions", 1),
    filters: entries("filters", 0).default([]),
    actions: entries("actions", 1),
    owner: z
      .union([z.string().regex(/^user:\d{1,10}$/, 'owner must be "user:<id>"'), z.null()], {
        error: 'owner must be "user:<id>" or null',
      })
      .optional()
      .transform((v) => (v == null ? v : Number(v.slice("user:".length)))),
    secret: z
      .string()
      .min(8, "secret must be 8 to 256 characters")
      .max(256, "secret must be 8 to 256 characters")
      .nullish(),
  },
  { error: "The rule must be a JSON object" },
);

function entries(field: string, min: number) {
  return z
    .array(z.unknown(), {
      error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a list`),
    })
    .min(min, `${field} needs at least ${min} entry`)
    .max(MAX_ENTRIES, `at most ${MAX_ENTRIES} entries in ${field}`);
}

/**
 * Validates a rule body (Sentry's shape). Throws AppError("bad_request") naming the field or the
 * unknown id; a Member email target is checked against the org by the caller.
 */
export function parseRuleInput(input: unknown): RuleInput {
  const parsed = ruleBody.safeParse(input);
  if (!parsed.success) throw badRequest(parsed.error);
  const body = parsed.data;
  const conditions = parseEntries("conditions", "condition", body.conditions, CONDITIONS);
  const filters = parseEntries("filters", "filter", body.filters, FILTERS);
  // A feedback rule is evaluated where feedback is stored, never on events: with other
  // conditions ("all") it could never fire, with actionMatch "none" it would fire on every
  // event. Filters look at an event and its issue, which feedback may not have.
  if (conditions.some((c) => c.id === CONDITION_IDS.newFeedback)) {
    if (filters.length > 0) {
      throw new AppError("bad_request", "filters cannot be combined with the new feedback condition; make a rule of its own for feedback");
    }
    if (conditions.length > 1 || body.actionMatch === "none") {
      throw new AppError("bad_request", "the new feedback condition makes a rule of its own: no other conditions, and actionMatch all or any");
    }
  }
  return {
    ...body,
    conditions,
    filters,
    actions: parseEntries("actions", "action", body.actions, ACTIONS),
    owner: body.owner,
    secret: body.secret,
  };
}

function parseEntries<T>(
  field: string,
  kind: string,
  list: unknown[],
  schemas: Record<string, z.ZodType<T>>,
): T[] {
  return list.map((entry, i) => {
    const id = entry && typeof entry === "object" ? (entry as { id?: unknown }).id : undefined;
    if (typeof id !== "string") throw new AppError("bad_request", `${field}[${i}]: each ${kind} needs an id`);
    const schema = Object.hasOwn(schemas, id) ? schemas[id] : undefined;
    if (!schema) throw new AppError("bad_request", `${field}[${i}]: unknown ${kind} id: ${id}`);
    const result = schema.safeParse(entry);
    if (!result.success) throw badRequest(result.error, `${field}[${i}] (${id})`);
    return result.data;
  });
}

function badRequest(error: z.ZodError, where?: string): AppError {
  const issue = error.issues[0]!;
  const path = issue.path.map(String).join(".");
  // Our messages name their field already; zod's generic ones get the path in front.
  const message = path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
  return new AppError("bad_request", where ? `${where}: ${message}` : message);
}
