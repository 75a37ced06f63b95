import { env } from "../env";

/**
 * Where to go after sign-in, sign-up or verification: `next` when it is a path on this site,
 * else `fallback`. Parsed the way a browser would (`/\evil.example` is `//evil.example` there)
 * and kept only when its origin is APP_URL's, so the sign-in page cannot send anyone away.
 */
export function safeNext(next: string | null | undefined, fallback = "/"): string {
  if (!next) return fallback;
  const site = new URL(env().APP_URL);
  let target: URL;
  try {
    target = new URL(next, site);
  } catch {
    return fallback;
  }
  if (target.origin !== site.origin) return fallback;
  const path = `${target.pathname}${target.search}${target.hash}`;
  // A path like `/.//evil.example` normalizes to `//evil.example`, which a browser would read
  // as another host: only a path with a single leading slash is returned.
  return path.startsWith("//") ? fallback : path;
}
