import { AppError } from "../errors";

/**
 * The issue search language, shared by the REST API (`?query=`) and the dashboard search box.
 * Pure: no database, so the browser can parse (and explain errors in) what a person types.
 *
 *   query    := term*                           terms are separated by spaces, all must match
 *   term     := "!"? (filter | text)            "!" negates the term
 *   filter   := key ":" value
 *   key      := [A-Za-z0-9_.-]+ | "tags[" any-but-"]" "]"     (tags[...] for keys with ":")
 *   value    := quoted | "[" item ("," item)* "]" | bare        a list matches any of its items
 *   quoted   := '"' (any-but-'"' | '\' any)* '"'
 *   bare     := non-space characters; "*" in a bare tag value is a wildcard
 *   text     := quoted | bare                   matches title or culprit, case-insensitive
 *
 * Keys: is: (unresolved, resolved, ignored/archived, assigned, unassigned), level:,
 * assigned: (me, none, an email), has: (a tag key), firstRelease:, and every other key is a
 * tag (release:, environment:, browser:, ...), matched on the issue's tag values.
 */

export type IssueStatusName = "unresolved" | "resolved" | "ignored";
export type TagValuePattern = { value: string; wildcard: boolean };
export type AssigneeRef = { kind: "me" } | { kind: "none" } | { kind: "email"; email: string };

export type SearchTerm = { negated: boolean } & (
  | { kind: "status"; statuses: IssueStatusName[] }
  | { kind: "assignment"; assigned: boolean }
  | { kind: "level"; levels: string[] }
  | { kind: "assigned"; to: AssigneeRef[] }
  | { kind: "has"; keys: string[] }
  | { kind: "firstRelease"; versions: string[] }
  | { kind: "tag"; key: string; values: TagValuePattern[] }
  | { kind: "text"; text: string }
);

export const LEVELS = ["fatal", "error", "warning", "info", "debug"] as const;
const IS_VALUES: Record<string, { kind: "status"; status: IssueStatusName } | { kind: "assignment"; assigned: boolean }> = {
  unresolved: { kind: "status", status: "unresolved" },
  resolved: { kind: "status", status: "resolved" },
  ignored: { kind: "status", status: "ignored" },
  archived: { kind: "status", status: "ignored" },
  assigned: { kind: "assignment", assigned: true },
  unassigned: { kind: "assignment", assigned: false },
};
// Sentry's camelCase spelling and ours both work.
const FIRST_RELEASE_KEYS = new Set(["firstRelease", "first_release", "first-release"]);

const MAX_TERMS = 30;
const MAX_VALUE_LENGTH = 200;
const KEY = /^[A-Za-z0-9_.-]+$/;

/** Parses a search query; a malformed one is an AppError("bad_request") saying what is wrong. */
export function parseSearch(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  const reader = new Reader(query);
  for (;;) {
    reader.skipSpaces();
    if (reader.done()) break;
    if (terms.length === MAX_TERMS) throw bad(`too many terms (at most ${MAX_TERMS})`);
    terms.push(readTerm(reader));
  }
  return terms;
}

function readTerm(reader: Reader): SearchTerm {
  const start = reader.pos;
  const negated = reader.peek() === "!";
  if (negated) {
    reader.pos++;
    if (reader.done() || reader.peekSpace()) throw bad(`"!" at position ${start + 1} negates nothing`);
  }
  if (reader.peek() === '"') return { negated, kind: "text", text: nonEmptyText(reader.readQuoted()) };
  const key = reader.readKey();
  if (key !== undefined) {
    if (reader.done() || reader.peekSpace()) throw bad(`missing value after "${key}:"`);
    return filterTerm(key, readValues(reader), negated);
  }
  return { negated, kind: "text", text: reader.readBare() };
}

type RawValue = { value: string; quoted: boolean };

function readValues(reader: Reader): RawValue[] {
  if (reader.peek() !== "[") {
    const quoted = reader.peek() === '"';
    return [{ value: quoted ? reader.readQuoted() : reader.readBare(), quoted }];
  }
  const open = reader.pos;
  reader.pos++;
  const values: RawValue[] = [];
  for (;;) {
    reader.skipSpaces();
    if (reader.done()) throw bad(`unterminated list starting at position ${open + 1}`);
    const quoted = reader.peek() === '"';
    const value = quoted ? reader.readQuoted(",]") : reader.readUntil((c) => c === "," || c === "]" || isSpace(c));
    if (value === "" && !quoted) throw bad(`empty item in the list at position ${open + 1}`);
    values.push({ value, quoted });
    reader.skipSpaces();
    if (reader.done()) throw bad(`unterminated list starting at position ${open + 1}`);
    const next = reader.peek();
    reader.pos++;
    if (next === "]") break;
    if (next !== ",") throw bad(`expected "," or "]" in the list at position ${open + 1}`);
  }
  if (!reader.done() && !reader.peekSpace()) throw bad(`unexpected text after the list at position ${open + 1}`);
  return values;
}

function filterTerm(key: string, raw: RawValue[], negated: boolean): SearchTerm {
  for (const { value } of raw) {
    if (value.length > MAX_VALUE_LENGTH) throw bad(`the value of "${key}:" is longer than ${MAX_VALUE_LENGTH} characters`);
  }
  const values = raw.map((v) => v.value);
  switch (key) {
    case "is": {
      const parsed = values.map((value) => {
        const known = IS_VALUES[value.toLowerCase()];
        if (!known) throw bad(`unknown is: value "${value}"; use one of ${Object.keys(IS_VALUES).join(", ")}`);
        return known;
      });
      const statuses = parsed.flatMap((p) => (p.kind === "status" ? [p.status] : []));
      const assignments = parsed.flatMap((p) => (p.kind === "assignment" ? [p.assigned] : []));
      if (statuses.length > 0 && assignments.length > 0) throw bad("is: cannot mix statuses and assignment in one list");
      if (assignments.length > 0) {
        if (new Set(assignments).size > 1) throw bad("is: cannot be both assigned and unassigned");
        return { negated, kind: "assignment", assigned: assignments[0]! };
      }
      return { negated, kind: "status", statuses: [...new Set(statuses)] };
    }
    case "level": {
      const levels = values.map((value) => {
        const level = value.toLowerCase();
        if (!(LEVELS as readonly string[]).includes(level)) throw bad(`unknown level "${value}"; use one of ${LEVELS.join(", ")}`);
        return level;
      });
      return { negated, kind: "level", levels };
    }
    case "assigned":
      return { negated, kind: "assigned", to: values.map(assigneeRef) };
    case "has":
      for (const value of values) if (!KEY.test(value)) throw bad(`has: needs a tag key, not "${value}"`);
      return { negated, kind: "has", keys: values };
    default:
      if (FIRST_RELEASE_KEYS.has(key)) return { negated, kind: "firstRelease", versions: values };
      return {
        negated,
        kind: "tag",
        key,
        values: raw.map(({ value, quoted }) => ({ value, wildcard: !quoted && value.includes("*") })),
      };
  }
}

function assigneeRef(value: string): AssigneeRef {
  const lower = value.toLowerCase();
  if (lower === "me") return { kind: "me" };
  if (lower === "none") return { kind: "none" };
  if (value.startsWith("#") || lower === "my_teams") throw bad(`teams are not supported in assigned: ("${value}")`);
  if (!value.includes("@")) throw bad(`assigned: takes me, none or an email address, not "${value}"`);
  return { kind: "email", email: lower };
}

function nonEmptyText(text: string): string {
  if (text.trim() === "") throw bad("empty quoted text");
  return text;
}

const bad = (message: string) => new AppError("bad_request", `Invalid search query: ${message}`);
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\r";

class Reader {
  pos = 0;
  constructor(readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.pos];
  }

  peekSpace(): boolean {
    return isSpace(this.peek());
  }

  skipSpaces(): void {
    while (!this.done() && this.peekSpace()) this.pos++;
  }

  readUntil(stop: (c: string) => boolean): string {
    const start = this.pos;
    while (!this.done() && !stop(this.peek()!)) this.pos++;
    return this.text.slice(start, this.pos);
  }

  readBare(): string {
    return this.readUntil(isSpace);
  }

  /** `"..."` with backslash escapes; the position is on the opening quote. */
  readQuoted(followers = ""): string {
    const open = this.pos;
    this.pos++;
    let out = "";
    for (;;) {
      if (this.done()) throw bad(`unterminated quote at position ${open + 1}`);
      const c = this.text[this.pos++]!;
      if (c === '"') break;
      if (c === "\\" && !this.done()) out += this.text[this.pos++];
      else out += c;
    }
    if (!this.done() && !this.peekSpace() && !followers.includes(this.peek()!)) {
      throw bad(`unexpected text after the quote closing at position ${this.pos}`);
    }
    return out;
  }

  /**
   * A filter key followed by ":" (the position moves past the colon), or undefined, leaving the
   * position alone, when the next word is free text (no colon, or not a valid key before it).
   */
  readKey(): string | undefined {
    const rest = this.text.slice(this.pos);
    if (rest.startsWith("tags[")) {
      const close = rest.indexOf("]");
      if (close > 5 && rest[close + 1] === ":") {
        this.pos += close + 2;
        return rest.slice(5, close);
      }
      return undefined;
    }
    let end = 0;
    while (end < rest.length && !isSpace(rest[end]) && rest[end] !== ":") end++;
    if (rest[end] !== ":" || end === 0) return undefined;
    const key = rest.slice(0, end);
    if (!KEY.test(key)) return undefined;
    this.pos += end + 1;
    return key;
  }
}
