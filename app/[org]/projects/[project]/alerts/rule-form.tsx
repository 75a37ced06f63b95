"use client";

import { useState } from "react";
import {
  ACTION_IDS,
  type Action,
  CONDITION_IDS,
  type Condition,
  FILTER_IDS,
  type Filter,
  FREQUENCY_INTERVALS,
  MATCHES,
  type Match,
} from "@/lib/alerts/catalog";
import { ActionRow, type ActionKind, FilterRow, type FilterKind, type Member } from "./rule-rows";
import { INTERVAL_WORDS } from "@/lib/alerts/words";
import { FREQUENCY_CHOICES, frequencyWords } from "./words";

// The fields of a rule's form, inside an ActionForm with keepInput. Filter and action rows are
// added and removed here; each row posts a `filterRow`/`actionRow` key and its fields under
// `filter.<key>.` or `action.<key>.`, which rule-body.ts turns back into Sentry's body. lib/
// validates it.

export type RuleFormValues = {
  name: string;
  environment: string | null;
  actionMatch: Match;
  filterMatch: Match;
  frequency: number;
  conditions: Condition[];
  filters: Filter[];
  actions: Action[];
  hasSecret: boolean;
};

type Row<K, V> = { key: number; kind: K; initial?: V };

const input = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm";
const select = "mt-1 block rounded-md border border-slate-300 px-2 py-2 text-sm";
const small = "rounded-md border border-slate-300 bg-white px-3 py-1 text-sm hover:bg-slate-50";
const matchWords: Record<Match, string> = { all: "all", any: "any", none: "none" };

const FILTER_KINDS: { kind: FilterKind; id: Filter["id"]; add: string }[] = [
  { kind: "tagged", id: FILTER_IDS.tagged, add: "Add tag filter" },
  { kind: "level", id: FILTER_IDS.level, add: "Add level filter" },
  { kind: "age", id: FILTER_IDS.age, add: "Add issue age filter" },
  { kind: "occurrences", id: FILTER_IDS.occurrences, add: "Add occurrences filter" },
  { kind: "latestRelease", id: FILTER_IDS.latestRelease, add: "Add latest release filter" },
];
const ACTION_KINDS: { kind: ActionKind; id: Action["id"]; add: string }[] = [
  { kind: "email", id: ACTION_IDS.email, add: "Add email" },
  { kind: "webhook", id: ACTION_IDS.webhook, add: "Add webhook" },
  { kind: "slack", id: ACTION_IDS.slack, add: "Add Slack" },
  { kind: "discord", id: ACTION_IDS.discord, add: "Add Discord" },
];

const SIMPLE_CONDITIONS = [
  { name: "firstSeen", id: CONDITION_IDS.firstSeen, label: "A new issue is created" },
  { name: "regression", id: CONDITION_IDS.regression, label: "A resolved issue comes back (regression)" },
  { name: "reappeared", id: CONDITION_IDS.reappeared, label: "An ignored issue reappears" },
  { name: "everyEvent", id: CONDITION_IDS.everyEvent, label: "Any event is seen" },
  { name: "newFeedback", id: CONDITION_IDS.newFeedback, label: "A user sends feedback (no filters with this one)" },
] as const;
const FREQUENCY_CONDITIONS = [
  { name: "eventFrequency", id: CONDITION_IDS.eventFrequency, label: "An issue is seen more than N times", noun: "Events" },
  { name: "uniqueUserFrequency", id: CONDITION_IDS.uniqueUserFrequency, label: "An issue is seen by more than N users", noun: "Users" },
] as const;

export function RuleFields({ values, environments, members }: { values: RuleFormValues; environments: string[]; members: Member[] }) {
  const [nextKey, setNextKey] = useState(values.filters.length + values.actions.length);
  const [filters, setFilters] = useState<Row<FilterKind, Filter>[]>(() =>
    values.filters.map((f, i) => ({ key: i, kind: FILTER_KINDS.find((k) => k.id === f.id)!.kind, initial: f })),
  );
  const [actions, setActions] = useState<Row<ActionKind, Action>[]>(() =>
    values.actions.map((a, i) => ({ key: values.filters.length + i, kind: ACTION_KINDS.find((k) => k.id === a.id)!.kind, initial: a })),
  );
  const take = () => {
    setNextKey(nextKey + 1);
    return nextKey;
  };
  const conditionOf = (id: Condition["id"]) => values.conditions.find((c) => c.id === id);

  return (
    <div className="space-y-6">
      <label className="block">
        <span className="text-sm font-medium">Rule name</span>
        <input name="name" required maxLength={256} defaultValue={values.name} className={input} />
      </label>
      <label className="block">
        <span className="text-sm font-medium">Environment (optional)</span>
        <input name="environment" list="alert-environments" maxLength={64} defaultValue={values.environment ?? ""} placeholder="every environment" className={input} />
        <datalist id="alert-environments">
          {environments.map((e) => (
            <option key={e} value={e} />
          ))}
        </datalist>
      </label>

      <fieldset className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <legend className="px-1 font-medium">When</legend>
        <label className="flex items-center gap-2">
          <span>Fire when</span>
          <select name="actionMatch" defaultValue={values.actionMatch} aria-label="Conditions must match" className={select}>
            {MATCHES.map((m) => (
              <option key={m} value={m}>
                {matchWords[m]}
              </option>
            ))}
          </select>
          <span>of these happen:</span>
        </label>
        {SIMPLE_CONDITIONS.map((c) => (
          <label key={c.name} className="flex items-center gap-2">
            <input type="checkbox" name="condition" value={c.name} defaultChecked={Boolean(conditionOf(c.id))} className="h-4 w-4" />
            {c.label}
          </label>
        ))}
        {FREQUENCY_CONDITIONS.map((c) => {
          const current = conditionOf(c.id);
          const frequency = current && "interval" in current ? current : undefined;
          return (
            <div key={c.name} className="flex flex-wrap items-end gap-2">
              <label className="flex items-center gap-2 self-center">
                <input type="checkbox" name="condition" value={c.name} defaultChecked={Boolean(current)} className="h-4 w-4" />
                {c.label}
              </label>
              <input name={`${c.name}.value`} type="number" min={0} defaultValue={frequency?.value ?? 100} aria-label={`${c.noun}: more than`} className={`${select} w-24`} />
              <span className="self-center">in</span>
              <select name={`${c.name}.interval`} defaultValue={frequency?.interval ?? "1h"} aria-label={`${c.noun}: in`} className={select}>
                {FREQUENCY_INTERVALS.map((i) => (
                  <option key={i} value={i}>
                    {INTERVAL_WORDS[i]}
                  </option>
                ))}
              </select>
            </div>
          );
        })}
      </fieldset>

      <fieldset className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <legend className="px-1 font-medium">If</legend>
        <label className="flex items-center gap-2">
          <span>and</span>
          <select name="filterMatch" defaultValue={values.filterMatch} aria-label="Filters must match" className={select}>
            {MATCHES.map((m) => (
              <option key={m} value={m}>
                {matchWords[m]}
              </option>
            ))}
          </select>
          <span>of these filters pass (none added: every issue passes)</span>
        </label>
        <ul className="space-y-2">
          {filters.map((row, index) => (
            <li key={row.key} className="flex flex-wrap items-end gap-2 rounded border border-slate-200 p-2">
              <input type="hidden" name="filterRow" value={row.key} />
              <input type="hidden" name={`filter.${row.key}.kind`} value={row.kind} />
              <FilterRow name={`filter.${row.key}`} kind={row.kind} initial={row.initial} n={index + 1} />
              <button type="button" className={small} onClick={() => setFilters(filters.filter((f) => f.key !== row.key))}>
                Remove filter {index + 1}
              </button>
            </li>
          ))}
        </ul>
        <div className="flex flex-wrap gap-2">
          {FILTER_KINDS.map((k) => (
            <button key={k.kind} type="button" className={small} onClick={() => setFilters([...filters, { key: take(), kind: k.kind }])}>
              {k.add}
            </button>
          ))}
        </div>
      </fieldset>

      <fieldset className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 text-sm">
        <legend className="px-1 font-medium">Then (at least one)</legend>
        <ul className="space-y-2">
          {actions.map((row, index) => (
            <li key={row.key} className="flex flex-wrap items-end gap-2 rounded border border-slate-200 p-2">
              <input type="hidden" name="actionRow" value={row.key} />
              <input type="hidden" name={`action.${row.key}.kind`} value={row.kind} />
              <ActionRow name={`action.${row.key}`} kind={row.kind} initial={row.initial} members={members} />
              <button type="button" className={small} onClick={() => setActions(actions.filter((a) => a.key !== row.key))}>
                Remove action {index + 1}
              </button>
            </li>
          ))}
        </ul>
        <div className="flex flex-wrap gap-2">
          {ACTION_KINDS.map((k) => (
            <button key={k.kind} type="button" className={small} onClick={() => setActions([...actions, { key: take(), kind: k.kind }])}>
              {k.add}
            </button>
          ))}
        </div>
        <label className="flex items-center gap-2">
          <span>Act at most once per issue every</span>
          <select name="frequency" defaultValue={values.frequency} className={select}>
            {/* A rule made through the API may use a window the list lacks: keep it selectable. */}
            {(FREQUENCY_CHOICES.some((c) => c.minutes === values.frequency)
              ? FREQUENCY_CHOICES
              : [...FREQUENCY_CHOICES, { minutes: values.frequency, label: frequencyWords(values.frequency) }].sort((a, b) => a.minutes - b.minutes)
            ).map((c) => (
              <option key={c.minutes} value={c.minutes}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
      </fieldset>

      <fieldset className="space-y-2 text-sm">
        <legend className="font-medium">Webhook signing</legend>
        <label className="block">
          <span>
            Signing secret (optional): webhooks carry Sentry-Hook-Signature, an HMAC-SHA256 of the body with it
            {values.hasSecret ? ". A secret is set; leave empty to keep it" : ""}
          </span>
          <input name="secret" type="password" autoComplete="new-password" minLength={8} maxLength={256} className={input} />
        </label>
        {values.hasSecret ? (
          <label className="flex items-center gap-2">
            <input type="checkbox" name="clearSecret" className="h-4 w-4" /> Remove the signing secret
          </label>
        ) : null}
      </fieldset>
    </div>
  );
}
