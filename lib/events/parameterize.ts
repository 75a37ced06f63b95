import { isIP } from "node:net";

/**
 * Replaces the variable parts of an error message (ids, numbers, addresses, dates…) with
 * placeholders so that "User 1234 not found" and "User 98 not found" group together.
 * Modelled on Sentry's `trim_message_for_grouping` (grouping/strategies/message.py).
 *
 * Sentry does this with one big alternation regex. JavaScript regexes backtrack, and an
 * unanchored alternation (emails, IPv6) re-scans long runs from every position, so here a
 * scanner tries small anchored patterns only where a token starts (the previous character is
 * not a word character, like `\b`), each with bounded repetition, and skips the rest of a
 * word once every pattern failed: the work per character is bounded, so the whole pass is
 * linear in the input length.
 */

const isWordCode = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

const isHexCode = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const HEX = "[0-9a-fA-F]";
const OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const DURATION_UNIT = "(?:ns|us|µs|ms|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|weeks?)";
const EMAIL = "[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,8}";

/**
 * One alternation per shape, tried in order, so specific shapes come before the generic ones
 * they contain: a UUID or a date is made of hex and digits, an IP of floats, a duration
 * starts with an int. The shared trailing boundary is inside the regex so that a failed
 * boundary ("30 seconds" after matching the unit "s") backtracks into the next alternative.
 */
const TOKEN_SHAPES: [name: string, placeholder: string, source: string][] = [
  ["email", "<email>", EMAIL],
  ["uuid", "<uuid>", `${HEX}{8}-${HEX}{4}-${HEX}{4}-${HEX}{4}-${HEX}{12}`],
  [
    "isodate",
    "<date>",
    "\\d{4}-\\d{2}-\\d{2}(?:[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d{1,9})?)?)?(?:Z|[+-]\\d{2}(?::?\\d{2})?)?",
  ],
  [
    // RFC 2822 / HTTP dates and JavaScript's Date#toString()
    "textdate",
    "<date>",
    `(?:${WEEKDAY},? )?(?:\\d{1,2} ${MONTH}|${MONTH} \\d{1,2}),? \\d{4}` +
      "(?: \\d{2}:\\d{2}(?::\\d{2})?)?(?: (?:GMT|UTC)(?:[+-]\\d{4})?| [+-]\\d{4})?(?: \\([A-Za-z ]{1,64}\\))?",
  ],
  ["ipv4", "<ip>", `(?:${OCTET}\\.){3}${OCTET}`],
  // md5, sha1 and sha256 digests
  ["hash", "<hash>", `(?:${HEX}{64}|${HEX}{40}|${HEX}{32})`],
  ["hex", "<hex>", `0[xX]${HEX}{1,64}`],
  // long hex ids; a digit is required so that words like "deadbeef" survive
  ["hexid", "<hex>", `(?=${HEX}{0,127}\\d)(?=${HEX}{0,127}[a-fA-F])${HEX}{8,128}`],
  ["duration", "<duration>", `\\d{1,12}(?:\\.\\d{1,12})? ?${DURATION_UNIT}`],
  ["float", "<float>", "\\d+\\.\\d+(?:[eE][+-]?\\d{1,4})?"],
  ["int", "<int>", "\\d+"],
];

type TokenMatcher = { re: RegExp; placeholders: string[] };
/** Capture group n+1 is shape n; the shapes' own groups are all non-capturing. */
function tokenMatcher(shapes: typeof TOKEN_SHAPES): TokenMatcher {
  const alternatives = shapes.map(([, , source]) => `(${source})`).join("|");
  return {
    re: new RegExp(`(?:${alternatives})(?![A-Za-z0-9_])`, "y"),
    placeholders: shapes.map((s) => s[1]),
  };
}
const TOKEN = tokenMatcher(TOKEN_SHAPES);
// Most tokens have no "@" nearby; leaving the email shape out there saves rescanning its local part.
const TOKEN_NO_EMAIL = tokenMatcher(TOKEN_SHAPES.filter(([name]) => name !== "email"));

function matchToken({ re, placeholders }: TokenMatcher, text: string, at: number): [number, string] {
  re.lastIndex = at;
  const m = re.exec(text);
  if (!m) return [0, ""];
  for (let g = 1; g < m.length; g++) if (m[g] !== undefined) return [m[0].length, placeholders[g - 1]!];
  return [0, ""];
}

/**
 * IPv6 is too irregular for a small regex: take the bounded run of IPv6 characters and let
 * Node judge it. No earlier shape can start an IPv6 address (none of them contains ":"), so it
 * is tried first.
 */
function matchIpv6(text: string, at: number): number {
  // cheap pre-check of the hex-and-colon run before any regex or allocation
  let colons = 0;
  let hexDigits = 0;
  for (let i = at; i < text.length && i - at < 39; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) colons++;
    else if (isHexCode(c)) hexDigits++;
    else break;
  }
  if (colons < 2 || colons > 9 || hexDigits === 0) return 0;
  IPV6_RUN.lastIndex = at;
  let candidate = IPV6_RUN.exec(text)?.[0] ?? "";
  // "at fe80::1: connection refused" – the run swallowed punctuation after the address
  while (candidate.length > 2 && candidate.endsWith(":") && !isIP(candidate))
    candidate = candidate.slice(0, -1);
  const end = at + candidate.length;
  if (end < text.length && isWordCode(text.charCodeAt(end))) return 0;
  return isIP(candidate) === 6 ? candidate.length : 0;
}
const IPV6_RUN = /[0-9a-fA-F:]{2,39}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?:%[0-9A-Za-z]{1,16})?/y;

/** Index of the next `char` at or after `from`, remembered across calls of one scan. */
function nextIndexFinder(text: string, char: string) {
  let found = -2;
  return (from: number) => {
    if (found !== -1 && found < from) found = text.indexOf(char, from);
    return found;
  };
}

export function parameterize(text: string): string {
  const nextAt = nextIndexFinder(text, "@");
  const nextColon = nextIndexFinder(text, ":");
  let out = "";
  let copiedUpTo = 0;
  let i = 0;
  while (i < text.length) {
    if (i > 0 && isWordCode(text.charCodeAt(i - 1))) {
      i++;
      continue;
    }
    let length = 0;
    let placeholder = "";
    const colon = nextColon(i);
    if (colon !== -1 && colon - i <= 39) {
      length = matchIpv6(text, i);
      placeholder = "<ip>";
    }
    if (length === 0) {
      const at = nextAt(i);
      [length, placeholder] = matchToken(at !== -1 && at - i <= 64 ? TOKEN : TOKEN_NO_EMAIL, text, i);
    }
    if (length > 0) {
      out += text.slice(copiedUpTo, i) + placeholder;
      i += length;
      copiedUpTo = i;
    } else {
      i++;
    }
  }
  return out + text.slice(copiedUpTo);
}

/** Keeps the cost of huge values bounded; texts that differ only past this point group together. */
const MAX_GROUPING_CHARS = 8192;

/**
 * Sentry groups on the first two non-blank lines only (a tail of dumped state or a nested
 * traceback would split every event) and marks the cut with "...". Unlike Sentry, surrounding
 * whitespace alone does not count as a cut, so "Foo\n" and "Foo" group together.
 */
export function normalizeMessageForGrouping(text: string): string {
  const lines: string[] = [];
  let cut = false;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (!line.trim()) continue;
    if (lines.length === 2) {
      cut = true;
      break;
    }
    lines.push(line);
  }
  let kept = lines.join("\n").trim();
  if (kept.length > MAX_GROUPING_CHARS) {
    kept = kept.slice(0, MAX_GROUPING_CHARS);
    cut = true;
  }
  return parameterize(cut ? `${kept}...` : kept);
}
