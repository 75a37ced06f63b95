import { createHash } from "node:crypto";
import { normalizeMessageForGrouping } from "./parameterize";
import type { ExceptionValue, Frame, NormalizedEvent } from "./types";

/**
 * Issue grouping, after Sentry's (grouping/strategies/newstyle.py, eventtypes/*.py, Relay's
 * security_report.rs). Hashes depend on the grouping version; titles, culprits and metadata
 * are display only and shared by all versions.
 *
 * Precedence: custom fingerprint > stack frames > exception type and value > message;
 * CSP reports group by directive and blocked origin.
 */

export const GROUPING_VERSION = "v1";
/**
 * Events whose frames were symbolicated (mapped from minified JavaScript to the original code,
 * lib/sourcemaps) group by the original frames under this version, and by the v1 hash of their
 * minified frames as well: issues found by the minified frames before a map was uploaded keep
 * receiving their events, and a new build of the same code (other minified names) finds the
 * issue by its original frames.
 */
export const SYMBOLICATED_GROUPING_VERSION = "v2";

export type Grouping = {
  /** md5 hex; the first is the primary hash, an issue is found by any of them */
  hashes: string[];
  title: string;
  culprit: string;
  /** Sentry issue metadata: {type, value, filename, function, in_app_frame_mix} for errors, {title} for default, {directive, uri, message} for csp */
  metadata: Record<string, unknown>;
  groupingVersion: string;
};

/** `rawExceptions`: the exceptions as the SDK sent them, when symbolication changed their frames. */
export function groupEvent(event: NormalizedEvent, rawExceptions?: ExceptionValue[] | null): Grouping {
  const view = viewOf(event);
  if (rawExceptions) {
    const symbolicated = VARIANTS_BY_VERSION[SYMBOLICATED_GROUPING_VERSION]!(view);
    const raw = VARIANTS_BY_VERSION[GROUPING_VERSION]!(viewOf({ ...event, exceptions: rawExceptions }));
    return {
      hashes: [
        ...new Set([
          ...symbolicated.map((v) => hashVariant(SYMBOLICATED_GROUPING_VERSION, v)),
          ...raw.map((v) => hashVariant(GROUPING_VERSION, v)),
        ]),
      ],
      ...describe(view),
      groupingVersion: SYMBOLICATED_GROUPING_VERSION,
    };
  }
  const variants = VARIANTS_BY_VERSION[GROUPING_VERSION]!(view);
  return {
    hashes: [...new Set(variants.map((v) => hashVariant(GROUPING_VERSION, v)))],
    ...describe(view),
    groupingVersion: GROUPING_VERSION,
  };
}

// ---------------------------------------------------------------------------------------------
// Hashing

export type Component = string | Component[];
/** What an event is grouped by: the name keeps strategies apart ("stacktrace" vs "message"). */
export type Variant = { name: string; components: Component[] };

/** Exported for tests: the version is part of every hash input, so v2 rules never collide with v1 hashes. */
export function hashVariant(version: string, variant: Variant): string {
  const input = JSON.stringify([version, variant.name, ...variant.components]);
  // The same errors recur: most events hash an input seen moments ago.
  return memo(hashCache, input, () => createHash("md5").update(input).digest("hex"));
}

/**
 * A new version adds its rules here; issues keep the hashes they were found by. v2 (symbolicated
 * frames) uses v1's rules: what differs is the frames it reads and the version in its hashes,
 * which keeps original and minified frames that happen to look alike apart.
 */
const VARIANTS_BY_VERSION: Record<string, (view: EventView) => Variant[]> = { v1: variantsV1, v2: variantsV1 };

// ---------------------------------------------------------------------------------------------
// A defensive view of the event: grouping must never throw, whatever the normalizer let through.

type ExceptionView = { type?: string; value?: string; synthetic: boolean; frames: Frame[] };
type EventView = {
  event: NormalizedEvent;
  kind: "error" | "default" | "csp" | "transaction";
  platform: string;
  /** Sentry order: the outermost exception, the one the issue is titled by, is last */
  exceptions: ExceptionView[];
  /** the top-level stacktrace (message events with attached stack traces) */
  frames: Frame[];
  message?: string;
};

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null;
const text = (x: unknown): string | undefined => (typeof x === "string" && x.trim() !== "" ? x : undefined);

function framesOf(stacktrace: unknown): Frame[] {
  if (!isObject(stacktrace) || !Array.isArray(stacktrace.frames)) return [];
  return stacktrace.frames.filter(isObject).map((f) => ({
    filename: text(f.filename),
    absPath: text(f.absPath),
    module: text(f.module),
    function: text(f.function),
    lineno: typeof f.lineno === "number" ? f.lineno : undefined,
    colno: typeof f.colno === "number" ? f.colno : undefined,
    inApp: f.inApp === true,
    platform: text(f.platform),
    package: text(f.package),
  }));
}

function viewOf(event: NormalizedEvent): EventView {
  const e: Record<string, unknown> = isObject(event) ? event : {};
  const exceptions = (Array.isArray(e.exceptions) ? e.exceptions : [])
    .filter(isObject)
    .map((x) => ({
      type: text(x.type)?.trim(),
      value: text(x.value),
      synthetic: isObject(x.mechanism) && x.mechanism.synthetic === true,
      frames: framesOf(x.stacktrace),
    }))
    .filter((x) => x.type !== undefined || x.value !== undefined || x.frames.length > 0);
  const kind =
    e.type === "csp"
      ? "csp"
      : e.type === "transaction"
        ? "transaction"
        : exceptions.length
          ? "error"
          : "default";
  return {
    event: e as NormalizedEvent,
    kind,
    platform: text(e.platform) ?? "other",
    exceptions,
    frames: framesOf(e.stacktrace),
    message: text(e.message),
  };
}

// ---------------------------------------------------------------------------------------------
// v1 grouping rules

function variantsV1(view: EventView): Variant[] {
  const defaults = defaultVariants(view);
  const custom = fingerprintVariant(view, defaults[0]!);
  return custom ? [custom] : defaults;
}

/** Never empty: the first variant is the primary one. */
function defaultVariants(view: EventView): Variant[] {
  if (view.kind === "csp") return [cspVariant(view)];
  if (view.kind === "transaction")
    return [{ name: "transaction", components: [view.event.transaction ?? ""] }];
  if (view.exceptions.length > 0) {
    const stack = stackVariants(
      "exception-stacktrace",
      view.exceptions.map((x) => ({ type: x.synthetic ? "" : (x.type ?? ""), frames: x.frames })),
      view.platform,
    );
    if (stack.length) return stack;
    if (view.exceptions.some((x) => (x.type && !x.synthetic) || x.value)) {
      const typesAndValues = view.exceptions.map((x) => [
        x.synthetic ? "" : (x.type ?? ""),
        x.value === undefined ? "" : normalizeMessageForGrouping(x.value),
      ]);
      return [{ name: "exception", components: typesAndValues }];
    }
  } else {
    const stack = stackVariants("stacktrace", [{ frames: view.frames }], view.platform);
    if (stack.length) return stack;
  }
  if (view.message) return [{ name: "message", components: [normalizeMessageForGrouping(view.message)] }];
  // Sentry's fallback: every event without anything to group by lands in one issue.
  return [{ name: "fallback", components: [] }];
}

/**
 * Stack grouping uses in-app frames when there are any (Sentry's "app" variant), all frames
 * otherwise ("system"). When both exist and differ, the system hash comes second, as in
 * Sentry: an event whose frames lost or gained their in-app flag (SDK upgrade, changed
 * in-app rules) still finds its issue. Both hash the same frames the same way, so a stack
 * that is all in-app and the same stack with no in-app flags match too.
 */
function stackVariants(
  name: string,
  stacks: { type?: string; frames: Frame[] }[],
  platform: string,
): Variant[] {
  // Each frame's part is the same in both variants: computed once, then picked per variant.
  const parts = stacks.map((s) => frameParts(s.frames, platform));
  const hasInApp = stacks.some((s) => s.frames.some((f) => f.inApp));
  const components = (inAppOnly: boolean): Component[] | undefined => {
    let usable = 0;
    const perStack = stacks.map((s, i) => {
      const frames: Component[] = [];
      for (const { inApp, part } of parts[i]!) if (inApp || !inAppOnly) frames.push(part);
      usable += frames.length;
      return s.type === undefined ? frames : [s.type, ...frames];
    });
    if (usable === 0) return undefined;
    return stacks.length === 1 && stacks[0]!.type === undefined ? perStack[0] : perStack;
  };
  const app = hasInApp ? components(true) : undefined;
  const system = components(false);
  // in-app frames that yield nothing usable leave the system variant as the primary one
  return [app, system].filter((c) => c !== undefined).map((c) => ({ name, components: c }));
}

/**
 * Each frame contributes where it is (module, else normalized path) and its normalized
 * function name, never line or column numbers: those move with every unrelated edit.
 */
function frameParts(frames: Frame[], platform: string): { inApp: boolean; part: [string, string] }[] {
  const out: { inApp: boolean; part: [string, string] }[] = [];
  let previous: Frame | undefined;
  for (const frame of frames) {
    const recursion = previous !== undefined && sameFrame(frame, previous);
    previous = frame;
    if (recursion) continue;
    const framePlatform = frame.platform ?? platform;
    if (isJavaScript(framePlatform) && isLowQualityJsFrame(frame)) continue;
    const fn = frame.function === undefined ? "" : cachedFunction(frame.function, framePlatform);
    // A native frame without symbols has only its binary and an address that moves with every
    // run (ASLR): it contributes nothing, so such crashes group by type and value, as in Sentry.
    const where =
      moduleOf(frame, framePlatform) ||
      cachedPath(frame.filename ?? frame.absPath) ||
      (fn ? binaryName(frame) : "");
    if (where || fn) out.push({ inApp: frame.inApp === true, part: [where, fn] });
  }
  return out;
}

// Frames repeat across events (same files, same functions), and their normalized forms are
// pure functions of the raw strings: memoized, with a bound.
const CACHE_MAX = 20_000;
const pathCache = new Map<string, string>();
const moduleCache = new Map<string, string>();
const hashCache = new Map<string, string>();
// per platform, so the lookup needs no key built from both
const functionCaches = new Map<string, Map<string, string>>();

function memo(cache: Map<string, string>, key: string, compute: () => string): string {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= CACHE_MAX) cache.clear();
    value = compute();
    cache.set(key, value);
  }
  return value;
}

function cachedFunction(raw: string, platform: string): string {
  let cache = functionCaches.get(platform);
  if (!cache) {
    if (functionCaches.size >= 100) functionCaches.clear();
    cache = new Map();
    functionCaches.set(platform, cache);
  }
  return memo(cache, raw, () => normalizeFunction(raw, platform));
}

function cachedPath(raw: string | undefined): string {
  return raw === undefined ? normalizePath(raw) : memo(pathCache, raw, () => normalizePath(raw));
}

/** Sentry's recursion rule: the very same frame repeated contributes once, so depth does not split issues. */
function sameFrame(a: Frame, b: Frame): boolean {
  return (
    a.absPath === b.absPath &&
    a.module === b.module &&
    a.filename === b.filename &&
    a.function === b.function &&
    a.lineno === b.lineno &&
    a.colno === b.colno
  );
}

const binaryName = (frame: Frame) => frame.package?.split(/[/\\]/).at(-1) ?? "";

const isJavaScript = (platform: string) => platform === "javascript" || platform === "node";

function isLowQualityJsFrame(frame: Frame): boolean {
  const path = frame.absPath ?? frame.filename;
  return (
    frame.function === "eval" ||
    ["[native code]", "native code", "eval code", "<anonymous>"].includes(path ?? "")
  );
}

function moduleOf(frame: Frame, platform: string): string {
  const module = frame.module?.trim();
  if (!module) return "";
  // browser SDKs derive a "module" from the URL path; it carries the same bundle hashes
  if (isJavaScript(platform) && module.includes("/") && (frame.absPath ?? "").endsWith(module)) return "";
  return memo(moduleCache, module, () => normalizeGeneratedNames(module));
}

const UNUSABLE_PATHS = new Set([
  "<anonymous>",
  "[native code]",
  "native",
  "native code",
  "eval code",
  "<unknown>",
  "?",
]);

/**
 * `https://cdn.example.com/assets/app.3f2a9c.js?v=1` → `assets/app.<hash>.js`: origin, query
 * and build-specific parts go so that a rebuild or another CDN host groups the same. Unlike
 * Sentry (basename only), directories stay: `index.js` is in every folder.
 */
export function normalizePath(raw: string | undefined): string {
  let path = raw?.trim().replace(/\\/g, "/") ?? "";
  if (UNUSABLE_PATHS.has(path)) return "";
  const query = path.search(/[?#]/);
  if (query >= 0) path = path.slice(0, query);
  path = path
    .replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, "") // https://host, webpack://app, app://, file://
    .replace(/^\/+/, "")
    .replace(/^[A-Za-z]:\//, ""); // Windows drive
  const segments = path.split("/").filter((s) => s !== "" && s !== ".");
  return segments
    .map((segment, i) => normalizePathSegment(segment, i === segments.length - 1))
    .join("/")
    .toLowerCase();
}

function normalizePathSegment(segment: string, isFile: boolean): string {
  // release directories (`releases/20240101120000`, `builds/3f2a9c1`) and Next.js build ids
  if (!isFile && (isHexHash(segment) || isRandomId(segment))) return "<hash>";
  const versioned = segment.replace(/(^|[^A-Za-z0-9])v?\d+(?:\.\d+)+(?=$|[^A-Za-z0-9])/g, "$1<version>");
  // name chunks between separators: "app" "." "3f2a9c" "." "js"; the first is the name itself
  const chunks = versioned.split(/([.~@-])/);
  const beforeExtension = isFile ? chunks.length - 3 : -1;
  return chunks
    .map((chunk, i) => {
      if (i === 0 || i % 2 === 1) return chunk;
      return isHexHash(chunk) || (i === beforeExtension && isShortBuildHash(chunk)) ? "<hash>" : chunk;
    })
    .join("");
}

const isRandomId = (s: string) =>
  /^[A-Za-z0-9_-]{16,}$/.test(s) && /\d/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);

/** webpack and Next.js content hashes: `app.3f2a9c.js`, `_app-5f4dcc3b5aa765d6.js` */
function isHexHash(chunk: string): boolean {
  return /^[0-9a-f]+$/i.test(chunk) && (chunk.length >= 12 || (chunk.length >= 5 && /\d/.test(chunk)));
}

/**
 * Rollup/Vite/esbuild's 8-character base64/base32 hashes right before the extension
 * (`index-DiwrgTda.js`, `chunk-5XQ2GZRT.js`). Without a digit they look like camelCase
 * words, so `user-listView.js` is taken for one too: a rare merge beats splitting every deploy.
 */
function isShortBuildHash(chunk: string): boolean {
  if (!/^[A-Za-z0-9]{8}$/.test(chunk)) return false;
  return (/\d/.test(chunk) && /[A-Za-z]/.test(chunk)) || /[A-Z]/.test(chunk.slice(1));
}

const UNKNOWN_FUNCTIONS = new Set([
  "?",
  "<anonymous>",
  "<anonymous function>",
  "Anonymous function",
  "<unknown>",
  "<redacted>",
]);

/**
 * Function names as Sentry's JavaScript rules see them: the last dotted part (`Object.foo`,
 * `Module.foo` and Firefox's bare `foo` agree), anonymous markers dropped. Everywhere,
 * generated numbering (lambdas, closures, addresses) goes.
 */
export function normalizeFunction(raw: string | undefined, platform: string): string {
  let fn = raw?.trim().replace(/ \[as [^\]]*\]$/, "") ?? ""; // V8: "Object.foo [as bar]"
  const lastPart = fn.slice(fn.lastIndexOf(".") + 1);
  if (!lastPart || UNKNOWN_FUNCTIONS.has(lastPart)) return "";
  if (isJavaScript(platform)) {
    fn = lastPart;
    if (fn.endsWith("/<")) return ""; // Firefox's nested anonymous functions
  }
  if (fn.startsWith("class@anonymous")) {
    // PHP: "class@anonymous\0/path/to/file.php:12$0::method"
    const method = fn.lastIndexOf("::");
    return method >= 0 ? `class@anonymous${fn.slice(method)}` : "class@anonymous";
  }
  return normalizeGeneratedNames(fn.replace(/^block \(\d+ levels\) in /, "block in "));
}

/** Names compilers and runtimes number per build or per process. */
function normalizeGeneratedNames(name: string): string {
  return name
    .replace(/\$\$Lambda(?:\$\d+)?(?:\/0x[0-9a-fA-F]+)?/g, "$$$$Lambda") // Java: Foo$$Lambda$123/0x0000000800c01234
    .replace(/(lambda\$(?:\w+\$)?)\d+/g, "$1") // Java: lambda$main$0
    .replace(/(\$\$\w*?CGLIB\$\$)[0-9a-fA-F]+(?:_\d+)?/g, "$1") // Spring CGLIB proxies
    .replace(/(\$\$_javassist)(?:_seam)?(?:_\d+)?/g, "$1")
    .replace(
      /((?:sun|jdk\.internal)\.reflect\.Generated(?:Serialization)?(?:Constructor|Method)Accessor)\d+/g,
      "$1",
    )
    .replace(/(\$fn__)\d+/g, "$1") // Clojure
    .replace(/<lambda>_\d+/g, "<lambda>") // Python
    .replace(/(>[bd]__|DisplayClass)\d+(?:_\d+)?/g, "$1") // .NET closures and state machines
    .replace(/__\d{4,}_\d{4,}$/, "") // Ruby ERB templates
    .replace(/0x[0-9a-fA-F]+/g, "<addr>");
}

// --- custom fingerprints

const FINGERPRINT_VARIABLE = /^\{\{\s*(\S+)\s*\}\}$/;

/**
 * `{{ default }}` stands for the default grouping; a fingerprint that is only that groups
 * exactly like no fingerprint. Entries that are variables resolve as in Sentry, including its
 * `<no-…>` placeholders for missing values; unknown variables stay literal.
 */
function fingerprintVariant(view: EventView, defaultVariant: Variant): Variant | undefined {
  const raw: unknown = view.event.fingerprint;
  const entries = (Array.isArray(raw) ? raw : [])
    .map((x) => (typeof x === "number" || typeof x === "boolean" ? String(x) : x))
    .filter((x): x is string => typeof x === "string");
  if (entries.length === 0) return undefined;
  const keys = entries.map((entry) => FINGERPRINT_VARIABLE.exec(entry)?.[1]);
  if (entries.length === 1 && keys[0] === "default") return undefined;
  const components = entries.map((entry, i): Component => {
    const key = keys[i];
    if (key === "default") return ["default", defaultVariant.name, ...defaultVariant.components];
    return key === undefined ? entry : (resolveFingerprintVariable(view, key) ?? entry);
  });
  return { name: "fingerprint", components };
}

function resolveFingerprintVariable(view: EventView, key: string): string | undefined {
  const { event } = view;
  const last = view.exceptions.at(-1);
  const frame = () => crashFrame(crashFrames(view), () => true);
  switch (key) {
    case "transaction":
      return text(event.transaction) ?? "<no-transaction>";
    case "message":
      return view.message ?? last?.value ?? "<no-message>";
    case "type":
    case "error.type":
      return last?.type ?? "<no-type>";
    case "value":
    case "error.value":
      return last?.value ?? "<no-value>";
    case "function":
    case "stack.function":
      return frame()?.function ?? "<no-function>";
    case "path":
    case "stack.abs_path":
      return frame()?.absPath ?? frame()?.filename ?? "<no-abs-path>";
    case "stack.filename":
      return frame()?.filename ?? frame()?.absPath ?? "<no-filename>";
    case "module":
    case "stack.module":
      return frame()?.module ?? "<no-module>";
    case "level":
      return text(event.level) ?? "<no-level>";
    case "logger":
      return text(event.logger) ?? "<no-logger>";
  }
  if (key.startsWith("tags.")) {
    const name = key.slice("tags.".length);
    const tag = (Array.isArray(event.tags) ? event.tags : []).find((t) => Array.isArray(t) && t[0] === name);
    return typeof tag?.[1] === "string" ? tag[1] : `<no-value-for-tag-${name}>`;
  }
  return undefined;
}

// --- CSP reports (Relay's security_report.rs, Sentry's csp:v1 strategy)

type CspView = { directive: string; blockedUri: string; uri: string; violation?: string };

function cspOf(view: EventView): CspView {
  const csp: Record<string, unknown> = isObject(view.event.csp) ? view.event.csp : {};
  const violated = text(csp.violatedDirective)?.trim() ?? "";
  // Firefox reports no effective directive; Relay falls back to the violated one's name
  const directive = (text(csp.effectiveDirective) ?? violated).trim().split(/\s+/)[0] ?? "";
  const blockedUri = typeof csp.blockedUri === "string" ? csp.blockedUri : "self";
  const uri = normalizeCspUri(blockedUri);
  let violation: string | undefined;
  if (directive === "script-src" && uri === "'self'") {
    if (violated.includes("'unsafe-inline'")) violation = "unsafe-inline";
    else if (violated.includes("'unsafe-eval'")) violation = "unsafe-eval";
  }
  return { directive, blockedUri, uri, violation };
}

/** Sentry groups local script violations by kind, everything else by the blocked origin. */
function cspVariant(view: EventView): Variant {
  const csp = cspOf(view);
  return { name: "csp", components: [csp.directive, csp.violation ? `'${csp.violation}'` : csp.uri] };
}

const isLocalUri = (uri: string) => uri === "" || uri === "self" || uri === "'self'";

const SCHEMES_WITH_HOST = new Set(
  "ftp http gopher nntp telnet imap wais file mms https shttp snews prospero rtsp rtspu rsync svn svn+ssh sftp nfs git git+ssh ws wss".split(
    " ",
  ),
);

/** Python's urlunsplit((scheme, host, "", "", "")), which Relay mimics. */
function unsplitUri(scheme: string, host: string): string {
  if (host || SCHEMES_WITH_HOST.has(scheme)) return `${scheme}://${host}`;
  return scheme ? `${scheme}:${host}` : "";
}

/** Relay's normalize_uri: `'self'` for local, the host (and port) for http(s), the scheme otherwise. */
function normalizeCspUri(value: string): string {
  if (isLocalUri(value)) return "'self'";
  if (!value.includes(":")) return unsplitUri(value, "");
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  const scheme = url.protocol.slice(0, -1);
  const host = scheme === "http" || scheme === "https" ? url.hostname : unsplitUri(scheme, url.hostname);
  return url.port ? `${host}:${url.port}` : host;
}

const CSP_LOCAL_MESSAGES: Record<string, string> = {
  "child-src": "Blocked inline 'child'",
  "connect-src": "Blocked inline 'connect'",
  "font-src": "Blocked inline 'font'",
  "img-src": "Blocked inline 'image'",
  "manifest-src": "Blocked inline 'manifest'",
  "media-src": "Blocked inline 'media'",
  "object-src": "Blocked inline 'object'",
  "script-src-attr": "Blocked unsafe 'script' element",
  "script-src-elem": "Blocked inline script attribute",
  "style-src": "Blocked inline 'style'",
  "style-src-elem": "Blocked 'style' or 'link' element",
  "style-src-attr": "Blocked style attribute",
  "script-src": "Blocked unsafe (eval() or inline) 'script'",
};

const CSP_REMOTE_MESSAGES: Record<string, (uri: string) => string> = {
  "child-src": (uri) => `Blocked 'child' from '${uri}'`,
  "connect-src": (uri) => `Blocked 'connect' from '${uri}'`,
  "font-src": (uri) => `Blocked 'font' from '${uri}'`,
  "form-action": (uri) => `Blocked 'form' action to '${uri}'`,
  "img-src": (uri) => `Blocked 'image' from '${uri}'`,
  "manifest-src": (uri) => `Blocked 'manifest' from '${uri}'`,
  "media-src": (uri) => `Blocked 'media' from '${uri}'`,
  "object-src": (uri) => `Blocked 'object' from '${uri}'`,
  "script-src": (uri) => `Blocked 'script' from '${uri}'`,
  "script-src-attr": (uri) => `Blocked inline script attribute from '${uri}'`,
  "script-src-elem": (uri) => `Blocked 'script' from '${uri}'`,
  "style-src": (uri) => `Blocked 'style' from '${uri}'`,
  "style-src-elem": (uri) => `Blocked 'style' from '${uri}'`,
  "style-src-attr": (uri) => `Blocked style attribute from '${uri}'`,
};

/** Relay's get_message, for reports the normalizer did not give a message. */
function cspMessage(csp: CspView): string {
  if (csp.directive === "script-src" && csp.blockedUri === "inline") return "Blocked unsafe inline 'script'";
  if (csp.directive === "script-src" && csp.blockedUri === "eval") return "Blocked unsafe eval() 'script'";
  if (isLocalUri(csp.blockedUri))
    return CSP_LOCAL_MESSAGES[csp.directive] ?? `Blocked inline '${csp.directive}'`;
  const remote = CSP_REMOTE_MESSAGES[csp.directive];
  return remote ? remote(csp.uri) : `Blocked '${csp.directive}' from '${csp.uri}'`;
}

/** Relay's get_culprit: the violated directive with its sources normalized against the document. */
function cspCulprit(view: EventView, csp: CspView): string {
  const raw: Record<string, unknown> = isObject(view.event.csp) ? view.event.csp : {};
  const [name, ...sources] = (text(raw.violatedDirective) ?? "").trim().split(/\s+/);
  // Relay leaves the culprit empty here; the directive says more than nothing
  if (!name) return csp.directive;
  const documentUri = text(raw.documentUri) ?? "";
  const document = normalizeCspUri(documentUri);
  const normalize = (source: string): string => {
    if (["'none'", "'self'", "'unsafe-inline'", "'unsafe-eval'"].includes(source)) return source;
    if (/^(?:data|mediastream|blob|filesystem|http|https|file):/.test(source)) {
      return normalizeCspUri(source) === document ? "'self'" : source;
    }
    if (source === document) return "'self'";
    const scheme = documentUri.includes(":") ? documentUri.slice(0, documentUri.indexOf(":")) : "";
    return !scheme || scheme === "http" || scheme === "https" ? source : unsplitUri(scheme, source);
  };
  return [name, ...sources.map(normalize)].join(" ");
}

// ---------------------------------------------------------------------------------------------
// Title, culprit and metadata, as Sentry shows them

/** Sentry's limits: titles show 100 characters of the value or message, culprits 200. */
const TITLE_TEXT_MAX = 100;
const TYPE_MAX = 128;
const CULPRIT_MAX = 200;
const METADATA_VALUE_MAX = 1024;

function describe(view: EventView): Pick<Grouping, "title" | "culprit" | "metadata"> {
  switch (view.kind) {
    case "csp": {
      const csp = cspOf(view);
      const title = view.message?.trim() ?? cspMessage(csp);
      return {
        title,
        culprit: truncate(cspCulprit(view, csp) || text(view.event.culprit)?.trim() || "", CULPRIT_MAX),
        metadata: { directive: csp.directive, uri: csp.uri, message: title },
      };
    }
    case "transaction": {
      const name = text(view.event.transaction)?.trim();
      return { title: name ?? "<unlabeled transaction>", culprit: name ?? "", metadata: { title: name } };
    }
    case "default": {
      const title = view.message ? truncate(firstLine(view.message), TITLE_TEXT_MAX) : "<unlabeled event>";
      return { title, culprit: culpritOf(view), metadata: { title } };
    }
    case "error":
      return errorDescription(view);
  }
}

function errorDescription(view: EventView): Pick<Grouping, "title" | "culprit" | "metadata"> {
  const titled = view.exceptions.at(-1)!;
  // a synthetic exception's type is made up by the SDK (Sentry keeps it out of title and grouping)
  const type = titled.synthetic ? undefined : titled.type && truncate(titled.type, TYPE_MAX);
  const line = titled.value ? truncate(firstLine(titled.value), TITLE_TEXT_MAX) : "";
  const title = type && line ? `${type}: ${line}` : type || line || "<unlabeled event>";

  const metadata: Record<string, unknown> = {
    value: truncate(titled.value?.trim() ?? "", METADATA_VALUE_MAX),
  };
  if (type) metadata.type = type;
  const crash = crashFrame(
    crashFrames(view),
    (f) => f.function !== undefined && !["<redacted>", "<unknown>"].includes(f.function),
  );
  const filename = crash?.filename ?? crash?.absPath;
  if (filename) metadata.filename = filename;
  if (crash?.function) metadata.function = crash.function;
  // counted in loops: Array.prototype.flatMap is slow in this V8, and this runs per event
  let frames = 0;
  let inApp = 0;
  for (const exception of view.exceptions) {
    frames += exception.frames.length;
    for (const frame of exception.frames) if (frame.inApp) inApp++;
  }
  if (frames) {
    metadata.in_app_frame_mix = inApp === frames ? "in-app-only" : inApp === 0 ? "system-only" : "mixed";
  }
  return { title, culprit: culpritOf(view), metadata };
}

/**
 * The frames the event crashed in: the titled (last) exception's, else the last exception
 * that has frames (Sentry's culprit rule), else the top-level stacktrace.
 */
function crashFrames(view: EventView): Frame[] {
  for (let i = view.exceptions.length - 1; i >= 0; i--) {
    if (view.exceptions[i]!.frames.length) return view.exceptions[i]!.frames;
  }
  return view.frames;
}

/** The last in-app frame that passes `accept`, else the last frame that does. */
function crashFrame(frames: Frame[], accept: (f: Frame) => boolean): Frame | undefined {
  let fallback: Frame | undefined;
  for (let i = frames.length - 1; i >= 0; i--) {
    const frame = frames[i]!;
    if (!accept(frame)) continue;
    if (frame.inApp) return frame;
    fallback ??= frame;
  }
  return fallback;
}

/**
 * `function(file)` of the crash frame, by our product spec (Sentry writes `module in function`
 * outside JavaScript, and prefers the SDK's culprit and the transaction over the frame).
 */
function culpritOf(view: EventView): string {
  const crash = crashFrame(crashFrames(view), (f) => frameCulprit(f) !== "");
  const culprit =
    (crash && frameCulprit(crash)) || text(view.event.culprit) || text(view.event.transaction) || "";
  return truncate(culprit.trim(), CULPRIT_MAX);
}

function frameCulprit(frame: Frame): string {
  const fn = frame.function?.trim();
  const where = displayPath(frame.filename ?? frame.absPath) || frame.module?.trim();
  if (fn && where) return `${fn}(${where})`;
  return where || fn || "";
}

/** The path as users know it: no origin or query, but no normalization either. */
function displayPath(raw: string | undefined): string {
  let path = raw?.trim() ?? "";
  if (UNUSABLE_PATHS.has(path)) return "";
  const query = path.search(/[?#]/);
  if (query >= 0) path = path.slice(0, query);
  return path.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, "").replace(/^\/(?:\.\/)+/, "/");
}

function firstLine(value: string): string {
  return (
    value
      .split(/\r\n|\r|\n/, 50)
      .find((l) => l.trim())
      ?.trim() ?? ""
  );
}

/** Sentry's truncatechars: at most `max` characters including the "...". */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 3;
  // never cut a surrogate pair in half
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${value.slice(0, end)}...`;
}
