/**
 * URLs as artifact bundles name files: `~/assets/main.js` stands for that path on any host
 * (sentry-cli's `--url-prefix ~/`), full URLs for one host.
 */

const TILDE_BASE = "http://tilde.invalid";

/** The names a frame's URL may have been uploaded under, most specific first (Sentry's order). */
export function candidateUrls(absPath: string): string[] {
  const urls = [absPath];
  const parsed = parseUrl(absPath);
  if (parsed && parsed.origin !== "null" && /^(?:https?|app|file):$/.test(parsed.protocol)) {
    if (parsed.search) urls.push(`~${parsed.pathname}${parsed.search}`);
    urls.push(`~${parsed.pathname}`);
  } else if (absPath.startsWith("/")) {
    urls.push(`~${absPath}`);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(absPath)) {
    // app:///main.js and other schemes without an origin: the path after the slashes
    const path = absPath.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "").replace(/[?#].*$/, "");
    if (path.startsWith("/")) urls.push(`~${path}`);
  }
  return [...new Set(urls)];
}

/** `ref` resolved against `base`, both possibly `~/` URLs; null when it cannot be. */
export function resolveUrl(base: string, ref: string): string | null {
  const tilde = base.startsWith("~/");
  const resolved = parseUrl(ref, tilde ? TILDE_BASE + base.slice(1) : base);
  if (!resolved) return null;
  if (resolved.origin === TILDE_BASE) return `~${resolved.pathname}${resolved.search}`;
  return resolved.href;
}

/**
 * Where the minified file says its map is: the `sourcemap` / `SourceMap` / `X-SourceMap`
 * header its upload carried, else its last `//# sourceMappingURL=` comment.
 */
export function sourceMapReference(headers: unknown, minified: string | null): string | null {
  if (typeof headers === "object" && headers !== null) {
    for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
      const name = key.toLowerCase();
      if ((name === "sourcemap" || name === "x-sourcemap") && typeof value === "string" && value.trim())
        return value.trim();
    }
  }
  if (minified === null) return null;
  // only the tail: the comment is the file's last line, and a 10 MB file need not be scanned
  const tail = minified.slice(-4096);
  const matches = [...tail.matchAll(/\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/gm)];
  return matches.at(-1)?.[1] ?? null;
}

/** The bytes of a `data:` URL (base64 or percent-encoded), null for anything else. */
export function dataUrlBytes(url: string): Buffer | null {
  const match = /^data:([^,]*),(.*)$/s.exec(url);
  if (!match) return null;
  try {
    return match[1]!.endsWith(";base64")
      ? Buffer.from(match[2]!, "base64")
      : Buffer.from(decodeURIComponent(match[2]!), "utf8");
  } catch {
    return null;
  }
}

function parseUrl(value: string, base?: string): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}

/**
 * A source's place as Sentry shows it: `abs_path` the source URL (resolved against the map's
 * URL), `filename` relative like `./src/app.ts` (webpack:// prefixes and leading `../` gone).
 */
export function sourcePaths(mapUrl: string, source: string): { absPath: string; filename: string } {
  const webpack = /^webpack:\/\/[^/]*\/?(.*)$/.exec(source);
  if (webpack) {
    const path = webpack[1]!.replace(/^(?:\.\/)?/, "");
    return { absPath: source, filename: path.startsWith("~/") ? path : `./${path}` };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) {
    const path = source.replace(/^[a-z][a-z0-9+.-]*:(?:\/\/[^/]*)?/i, "").replace(/^\/+/, "");
    return { absPath: source, filename: `./${path}` };
  }
  const absPath = resolveUrl(mapUrl, source) ?? source;
  const relative = source.replace(/^(?:\.\.?\/)+/, "").replace(/^\/+/, "");
  return { absPath, filename: `./${relative}` };
}

const NOT_IN_APP = /(?:^|\/)node_modules\/|^webpack\/bootstrap|webpack:\/\/[^/]*\/webpack\/bootstrap|\/webpack\/bootstrap/;

/** Sources from dependencies and bundler runtime are not the app's own code. */
export function isThirdPartySource(absPath: string, filename: string): boolean {
  return NOT_IN_APP.test(filename) || NOT_IN_APP.test(absPath);
}
