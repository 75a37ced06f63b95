import { isIP } from "node:net";

/**
 * Sentry's per-project inbound data filters, ported from Relay's `relay-filter` crate
 * (releases.rs, error_messages.rs, localhost.rs, browser_extensions.rs, web_crawlers.rs).
 * Relay runs them on normalized events; we run them on the raw payload, so the few
 * normalization steps they depend on (IP inference, frame paths, `message` as logentry)
 * are reproduced where the value is read.
 */

/** Per-project toggles, stored as JSON in projects.filters. Unknown keys are ignored. */
export type InboundFilterConfig = {
  browserExtensions?: boolean;
  localhost?: boolean;
  webCrawlers?: boolean;
  /** glob patterns matched against the event's error messages, case-insensitive, `*` wildcard */
  errorMessages?: string[];
  /** glob patterns matched against the event's `release` */
  releases?: string[];
};
export type FilterReason =
  | "browser-extensions"
  | "localhost"
  | "web-crawlers"
  | "error-message"
  | "release-version";
export type FilterContext = { userAgent?: string; clientIp?: string };

type SentryEvent = Record<string, unknown>;
type Check = (event: SentryEvent, ctx: FilterContext) => boolean;
/** A glob split at its wildcards: one part means no wildcard at all. */
type Glob = readonly string[];

// A project setting must not be able to make every event of that project expensive.
const MAX_PATTERNS = 100;
const MAX_PATTERN_LENGTH = 500;

/** Parses untrusted JSON (the DB column) into a config; anything malformed is treated as "off". */
export function parseFilterConfig(value: unknown): InboundFilterConfig {
  if (!isObject(value)) return {};
  return {
    browserExtensions: value.browserExtensions === true,
    localhost: value.localhost === true,
    webCrawlers: value.webCrawlers === true,
    errorMessages: stringsIn(value.errorMessages),
    releases: stringsIn(value.releases),
  };
}

/** Compiles a config into a checker; returns null when every filter is off (callers skip parsing then). */
export function compileFilters(
  config: InboundFilterConfig,
): ((event: Record<string, unknown>, ctx: FilterContext) => FilterReason | null) | null {
  // Relay's order; the first filter that matches names the reason.
  const checks: [FilterReason, Check][] = [];
  const releases = compileGlobs(config.releases);
  if (releases) checks.push(["release-version", (event) => matchesRelease(event, releases)]);
  const messages = compileGlobs(config.errorMessages);
  if (messages) checks.push(["error-message", (event) => matchesErrorMessage(event, messages)]);
  if (config.localhost === true) checks.push(["localhost", isFromLocalhost]);
  if (config.browserExtensions === true) checks.push(["browser-extensions", isFromBrowserExtension]);
  if (config.webCrawlers === true) checks.push(["web-crawlers", isFromWebCrawler]);
  if (checks.length === 0) return null;

  return (event, ctx) => {
    if (!isObject(event)) return null;
    for (const [reason, check] of checks) {
      if (check(event, ctx)) return reason;
    }
    return null;
  };
}

// Globs: `*` matches anything (newlines included), everything else is literal, case-insensitive,
// whole string. Matched segment by segment with indexOf rather than as a `.*` regex, so a pattern
// like `*a*a*a*a*b` costs O(text × pattern) instead of backtracking exponentially.

function compileGlobs(patterns: readonly string[] | undefined): Glob[] | null {
  if (!Array.isArray(patterns)) return null;
  const globs: Glob[] = [];
  for (const pattern of patterns) {
    if (globs.length === MAX_PATTERNS) break;
    // An empty pattern matches nothing in Relay (empty messages are never matched).
    if (typeof pattern !== "string" || pattern === "" || pattern.length > MAX_PATTERN_LENGTH) continue;
    globs.push(compileGlob(pattern));
  }
  return globs.length > 0 ? globs : null;
}

function compileGlob(pattern: string): Glob {
  const parts = pattern.toLowerCase().split("*");
  if (parts.length <= 2) return parts;
  // Runs of `*` leave empty inner parts; dropping them collapses the run into one wildcard.
  return [parts[0]!, ...parts.slice(1, -1).filter((part) => part !== ""), parts[parts.length - 1]!];
}

function matchesAnyGlob(globs: readonly Glob[], text: string): boolean {
  if (text === "") return false;
  const lower = text.toLowerCase();
  for (const glob of globs) {
    if (matchesGlob(glob, lower)) return true;
  }
  return false;
}

function matchesGlob(glob: Glob, text: string): boolean {
  const last = glob.length - 1;
  if (last === 0) return text === glob[0];
  const head = glob[0]!;
  const tail = glob[last]!;
  const end = text.length - tail.length;
  if (end < head.length || !text.startsWith(head) || !text.endsWith(tail)) return false;
  // Taking each inner part at its earliest position leaves the most room for the rest,
  // so no other placement needs to be tried.
  let position = head.length;
  for (let i = 1; i < last; i++) {
    const part = glob[i]!;
    const found = text.indexOf(part, position);
    if (found < 0 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

function matchesRelease(event: SentryEvent, globs: readonly Glob[]): boolean {
  const release = lenientString(event.release);
  return release !== undefined && matchesAnyGlob(globs, release);
}

// error-message: the log message, then each exception as Relay formats it: "type: value",
// or whichever of the two is present.

function matchesErrorMessage(event: SentryEvent, globs: readonly Glob[]): boolean {
  const message = logMessage(event);
  if (message !== undefined && matchesAnyGlob(globs, message)) return true;
  for (const exception of exceptionsOf(event)) {
    if (!isObject(exception)) continue;
    const type = typeof exception.type === "string" ? exception.type : "";
    const value = lenientString(exception.value) ?? "";
    const text = type === "" ? value : value === "" ? type : `${type}: ${value}`;
    if (matchesAnyGlob(globs, text)) return true;
  }
  return false;
}

/** Relay reads `logentry`, of which the top-level `message` is the legacy spelling. */
function logMessage(event: SentryEvent): string | undefined {
  const entry = event.logentry ?? event.message;
  if (typeof entry === "string") return entry;
  if (!isObject(entry)) return undefined;
  // Like Relay, an unmatched `formatted` does not fall back to the raw template.
  if (typeof entry.formatted === "string") return entry.formatted;
  return typeof entry.message === "string" ? entry.message : undefined;
}

const NO_EXCEPTIONS: readonly unknown[] = [];

/** `exception` comes as `{ values: [...] }`, a bare array, or (legacy) a single exception. */
function exceptionsOf(event: SentryEvent): readonly unknown[] {
  const exception = event.exception;
  if (Array.isArray(exception)) return exception;
  if (!isObject(exception)) return NO_EXCEPTIONS;
  if ("values" in exception) return Array.isArray(exception.values) ? exception.values : NO_EXCEPTIONS;
  return [exception];
}

const LOCAL_IPS = new Set(["127.0.0.1", "::1"]);
const AUTO_IP = "{{auto}}";
/** SDKs of these platforms expect the server to fill in a missing user IP from the connection. */
const IP_INFERRING_PLATFORMS = new Set(["javascript", "cocoa", "objc"]);

function isFromLocalhost(event: SentryEvent, ctx: FilterContext): boolean {
  const ip = userIp(event, ctx);
  if (ip !== undefined && LOCAL_IPS.has(ip)) return true;
  const request = event.request;
  if (!isObject(request)) return false;
  const url = parseUrl(request.url);
  if (url && (url.protocol === "file:" || isLocalHostname(url.hostname))) return true;
  const forwardedFor = headerValue(request.headers, "x-forwarded-for");
  if (forwardedFor !== undefined && LOCAL_IPS.has(forwardedFor)) return true;
  // The Host headers only speak for the event when it carries no (parseable) URL.
  if (url) return false;
  return (
    isLocalHostHeader(headerValue(request.headers, "host")) ||
    isLocalHostHeader(headerValue(request.headers, "x-forwarded-host"))
  );
}

/**
 * The user IP as Relay's normalization leaves it: `{{auto}}` becomes the connection's IP, a
 * missing one is taken from the CGI `REMOTE_ADDR`, or from the connection for platforms that
 * rely on it. Other platforms' events come from servers, whose own address says nothing about
 * where the user was.
 */
function userIp(event: SentryEvent, ctx: FilterContext): string | undefined {
  const user = event.user;
  const ip = isObject(user) ? user.ip_address : undefined;
  if (typeof ip === "string" && ip !== "") return ip === AUTO_IP ? connectionIp(ctx) : ip;
  const remoteAddr = requestEnvRemoteAddr(event);
  if (remoteAddr === AUTO_IP) return connectionIp(ctx);
  if (remoteAddr !== undefined && isIP(remoteAddr) !== 0) return remoteAddr;
  return typeof event.platform === "string" && IP_INFERRING_PLATFORMS.has(event.platform)
    ? connectionIp(ctx)
    : undefined;
}

function requestEnvRemoteAddr(event: SentryEvent): string | undefined {
  const request = event.request;
  if (!isObject(request) || !isObject(request.env)) return undefined;
  const remoteAddr = request.env.REMOTE_ADDR;
  return typeof remoteAddr === "string" ? remoteAddr : undefined;
}

/** Dual-stack Node sockets report IPv4 peers as `::ffff:a.b.c.d`. */
function connectionIp(ctx: FilterContext): string | undefined {
  const ip = ctx.clientIp;
  if (typeof ip !== "string") return undefined;
  const mapped = ip.startsWith("::ffff:") ? ip.slice(7) : "";
  return isIP(mapped) === 4 ? mapped : ip;
}

function parseUrl(value: unknown): URL | null {
  if (typeof value !== "string") return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** `hostname` comes lowercased and with IPv6 in brackets from the WHATWG parser. */
function isLocalHostname(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "127.0.0.1" ||
    hostname === "[::1]" ||
    hostname.endsWith(".localhost") ||
    hostname.endsWith(".127.0.0.1")
  );
}

function isLocalHostHeader(value: string | undefined): boolean {
  if (value === undefined) return false;
  const colon = value.indexOf(":");
  const host = colon < 0 ? value : value.slice(0, colon);
  return host === "localhost" || host === "127.0.0.1";
}

// browser-extensions: Relay looks at the first exception only, at its value and at the source of
// its innermost frame that has one.

const EXTENSION_VALUES = new RegExp(
  [
    // Random plugins/extensions
    String.raw`top\.GLOBALS`,
    // http://blog.errorception.com/2012/03/tale-of-unfindable-js-error.html
    "originalCreateNotification",
    "canvas.contentDocument",
    "MyApp_RemoveAllHighlights",
    String.raw`http://tt\.epicplay\.com`,
    String.raw`Can't\sfind\svariable:\sZiteReader`,
    String.raw`jigsaw\sis\snot\sdefined`,
    String.raw`ComboSearch\sis\snot\sdefined`,
    String.raw`http://loading\.retry\.widdit\.com/`,
    "atomicFindClose",
    // Facebook borked
    "fb_xd_fragment",
    // ISP "optimizing" proxies (http://stackoverflow.com/questions/4113268)
    "bmi_SafeAddOnload",
    "EBCallBackMessageReceived",
    // Chrome on iOS (https://groups.google.com/a/chromium.org/forum/#!topic/chromium-discuss/7VU0_VvC7mE)
    "_gCrWeb",
    // Conduit toolbar
    "conduitPage",
    // Google Search app on iOS (https://github.com/getsentry/raven-js/issues/756)
    String.raw`null\sis\snot\san\sobject\s\(evaluating\s'elt.parentNode'\)`,
    // Dragon Web Extension from Nuance Communications
    String.raw`plugin\.setSuspendState\sis\snot\sa\sfunction`,
    // Chrome extension message passing failure
    String.raw`Extension\scontext\sinvalidated`,
    "webkit-masked-url:",
    // Firefox, when an extension touches a DOM node that no longer exists
    String.raw`can't\saccess\sdead\sobject`,
  ].join("|"),
  "i",
);

const EXTENSION_SOURCES = new RegExp(
  [
    String.raw`graph\.facebook\.com`,
    String.raw`connect\.facebook\.net`,
    String.raw`eatdifferent\.com\.woopra-ns\.com`,
    String.raw`static\.woopra\.com/js/woopra\.js`,
    "^chrome(-extension)?://",
    "^moz-extension://",
    "^safari(-web)?-extension://",
    "webkit-masked-url",
    // Cacaoweb
    String.raw`127\.0\.0\.1:4001/isrunning`,
    String.raw`webappstoolbarba\.texthelp\.com/`,
    String.raw`metrics\.itunes\.apple\.com\.edgesuite\.net/`,
    // Kaspersky Protection
    String.raw`kaspersky-labs\.com`,
  ].join("|"),
  "i",
);

/** Frames that tell nothing about where the code came from; Relay skips past them. */
const ANONYMOUS_SOURCES = new Set(["<anonymous>", "[native code]"]);

function isFromBrowserExtension(event: SentryEvent): boolean {
  const exception = exceptionsOf(event)[0];
  if (!isObject(exception)) return false;
  const value = lenientString(exception.value);
  if (value !== undefined && EXTENSION_VALUES.test(value)) return true;
  const source = exceptionSource(exception);
  return source !== undefined && EXTENSION_SOURCES.test(source);
}

function exceptionSource(exception: Record<string, unknown>): string | undefined {
  const stacktrace = exception.stacktrace;
  if (!isObject(stacktrace) || !Array.isArray(stacktrace.frames)) return undefined;
  const frames: unknown[] = stacktrace.frames;
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i];
    // As in Relay, a frame without any path ends the search rather than being skipped.
    const path = isObject(frame) ? framePath(frame) : undefined;
    if (path === undefined) return undefined;
    if (!ANONYMOUS_SOURCES.has(path)) return path;
  }
  return undefined;
}

/** Relay's normalization moves `filename` into a missing `abs_path`. */
function framePath(frame: Record<string, unknown>): string | undefined {
  if (typeof frame.abs_path === "string" && frame.abs_path !== "") return frame.abs_path;
  return typeof frame.filename === "string" && frame.filename !== "" ? frame.filename : undefined;
}

const WEB_CRAWLERS = new RegExp(
  [
    "Mediapartners-Google",
    "AdsBot-Google",
    "Googlebot",
    "FeedFetcher-Google",
    "Storebot-Google",
    "BingBot",
    "BingPreview",
    "Baiduspider",
    // Yahoo
    "Slurp",
    "Sogou",
    "facebook",
    // meta-externalagent, meta-externalfetcher
    "meta-",
    // Alexa
    "ia_archiver",
    // Generic bots and spiders, as a word followed by a version, a space, `)`, `;` or the end
    String.raw`bots?(?:[/\s);]|$)`,
    String.raw`spider(?:[/\s);]|$)`,
    // https://api.slack.com/robots
    "Slack",
    String.raw`Calypso\sAppCrawler`,
    "pingdom",
    "lyticsbot",
    // Causes DisallowedHost errors in Django (https://github.com/getsentry/sentry-python/issues/641)
    String.raw`AWS\sSecurity\sScanner`,
    String.raw`HubSpot\sCrawler`,
    "Bytespider",
    String.raw`Better\sUptime`,
    "Cloudflare-Healthchecks",
    "GTmetrix",
    "BrightEdgeOnCrawl",
    "ELB-HealthChecker",
    // Yeti (Naver)
    "naver.me/spd",
    "ClaudeBot",
    "CCBot",
    "OAI-SearchBot",
    "GPTBot",
    "PerplexityBot",
    "Applebot",
    "DuckDuckBot",
  ].join("|"),
  "i",
);

/** Matched by the list above but acting for a person (or for Sentry's own uptime checks). */
const ALLOWED_WEB_CRAWLERS = /Slackbot\s1\.\d+|SentryUptimeBot|ChatGPT-User/i;

function isFromWebCrawler(event: SentryEvent, ctx: FilterContext): boolean {
  const userAgent = eventUserAgent(event) ?? ctx.userAgent;
  return (
    typeof userAgent === "string" && WEB_CRAWLERS.test(userAgent) && !ALLOWED_WEB_CRAWLERS.test(userAgent)
  );
}

function eventUserAgent(event: SentryEvent): string | undefined {
  const request = event.request;
  return isObject(request) ? headerValue(request.headers, "user-agent") : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringsIn(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** Relay accepts numbers where it expects `release` or an exception `value`, as their text. */
function lenientString(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  return typeof value === "number" && Number.isFinite(value) ? String(value) : undefined;
}

/**
 * The first header of that name (given lowercase), from either of the protocol's shapes: an
 * object, or an array of [name, value] pairs.
 */
function headerValue(headers: unknown, lowerName: string): string | undefined {
  if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (Array.isArray(pair) && isHeaderName(pair[0], lowerName)) {
        return typeof pair[1] === "string" ? pair[1] : undefined;
      }
    }
    return undefined;
  }
  if (!isObject(headers)) return undefined;
  for (const name in headers) {
    if (isHeaderName(name, lowerName)) {
      const value = headers[name];
      return typeof value === "string" ? value : undefined;
    }
  }
  return undefined;
}

function isHeaderName(name: unknown, lowerName: string): boolean {
  // The length test spares a lowercase copy of every header name that cannot match.
  return typeof name === "string" && name.length === lowerName.length && name.toLowerCase() === lowerName;
}
