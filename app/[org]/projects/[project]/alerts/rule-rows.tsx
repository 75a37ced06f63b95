"use client";

import { useState } from "react";
import { ACTION_IDS, type Action, type Filter } from "@/lib/alerts/catalog";
import { TAG_MATCH_WORDS } from "@/lib/alerts/words";
import { LEVEL_MATCH_WORDS } from "./words";

// One filter or action row of the rule form: its inputs, named under the row's prefix.

export type FilterKind = "tagged" | "level" | "age" | "occurrences" | "latestRelease";
export type ActionKind = "email" | "webhook" | "slack" | "discord";
export type Member = { id: number; label: string };

const input = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2 text-sm";
const select = "mt-1 block rounded-md border border-slate-300 px-2 py-2 text-sm";

/** A labelled select of [value, words] choices. */
function Choice({ label, name, value, choices }: { label: string; name: string; value: string | number | undefined; choices: [string, string][] }) {
  return (
    <label>
      <span className="block">{label}</span>
      <select name={name} defaultValue={value} className={select}>
        {choices.map(([choice, words]) => (
          <option key={choice} value={choice}>
            {words}
          </option>
        ))}
      </select>
    </label>
  );
}

export function FilterRow({ name, kind, initial, n }: { name: string; kind: FilterKind; initial?: Filter; n: number }) {
  const f = initial as Record<string, string | number | undefined> | undefined;
  switch (kind) {
    case "tagged":
      return (
        <>
          <label>
            <span className="block">Tag {n}: key</span>
            <input name={`${name}.key`} required maxLength={200} defaultValue={f?.key ?? ""} className={input} />
          </label>
          <Choice label={`Tag ${n}: match`} name={`${name}.match`} value={f?.match ?? "eq"} choices={Object.entries(TAG_MATCH_WORDS)} />
          <label>
            <span className="block">Tag {n}: value</span>
            <input name={`${name}.value`} maxLength={200} defaultValue={f?.value ?? ""} className={input} />
          </label>
        </>
      );
    case "level":
      return (
        <>
          <Choice label={`Level ${n}: match`} name={`${name}.match`} value={f?.match ?? "gte"} choices={Object.entries(LEVEL_MATCH_WORDS)} />
          <Choice
            label={`Level ${n}: level`}
            name={`${name}.level`}
            value={f?.level ?? "error"}
            choices={["fatal", "error", "warning", "info", "debug"].map((l) => [l, l])}
          />
        </>
      );
    case "age":
      return (
        <>
          <Choice
            label={`Issue age ${n}: the issue is`}
            name={`${name}.comparison`}
            value={f?.comparison_type ?? "older"}
            choices={[
              ["older", "older"],
              ["newer", "newer"],
            ]}
          />
          <label>
            <span className="block">Issue age {n}: than</span>
            <input name={`${name}.value`} type="number" min={0} required defaultValue={f?.value ?? 1} className={`${select} w-24`} />
          </label>
          <Choice
            label={`Issue age ${n}: unit`}
            name={`${name}.time`}
            value={f?.time ?? "day"}
            choices={["minute", "hour", "day", "week"].map((t) => [t, `${t}s`])}
          />
        </>
      );
    case "occurrences":
      return (
        <label>
          <span className="block">Occurrences {n}: seen at least this many times</span>
          <input name={`${name}.value`} type="number" min={0} required defaultValue={f?.value ?? 10} className={`${select} w-32`} />
        </label>
      );
    case "latestRelease":
      return <span className="self-center">The event is from the latest release</span>;
  }
}

export function ActionRow({ name, kind, initial, members }: { name: string; kind: ActionKind; initial?: Action; members: Member[] }) {
  const email = initial && initial.id === ACTION_IDS.email ? initial : undefined;
  const [targetType, setTargetType] = useState(email?.targetType ?? "IssueOwners");
  if (kind === "email") {
    return (
      <>
        <label>
          <span className="block">Email to</span>
          <select name={`${name}.targetType`} value={targetType} onChange={(e) => setTargetType(e.target.value as typeof targetType)} className={select}>
            <option value="IssueOwners">Issue owners</option>
            <option value="Member">A member</option>
          </select>
        </label>
        {targetType === "Member" ? (
          <label>
            <span className="block">Member</span>
            <select name={`${name}.member`} defaultValue={email?.targetIdentifier ?? members[0]?.id ?? ""} className={select}>
              {members.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.label}
                </option>
              ))}
              {/* Saved for someone who has left: shown as is rather than silently replaced. */}
              {email?.targetIdentifier != null && !members.some((m) => m.id === Number(email.targetIdentifier)) ? (
                <option value={email.targetIdentifier}>member #{email.targetIdentifier} (not in this organization)</option>
              ) : null}
            </select>
          </label>
        ) : (
          <label>
            <span className="block">No owners yet, so email</span>
            <select name={`${name}.fallthrough`} defaultValue={email?.fallthroughType ?? "ActiveMembers"} className={select}>
              <option value="ActiveMembers">active members</option>
              <option value="AllMembers">all members</option>
              <option value="NoOne">no one</option>
            </select>
          </label>
        )}
      </>
    );
  }
  const url = initial && "url" in initial ? initial.url : initial && "webhookUrl" in initial ? initial.webhookUrl : "";
  const label = { webhook: "Webhook URL", slack: "Slack webhook URL", discord: "Discord webhook URL" }[kind];
  return (
    <label className="min-w-80 flex-1">
      <span className="block">{label}</span>
      <input name={`${name}.url`} type="url" required defaultValue={url} placeholder="https://" className={input} />
    </label>
  );
}
