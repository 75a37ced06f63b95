// The Content-Security-Policy of every page. next.config.ts sends it (decided at build time);
// with Clerk configured, proxy.ts replaces it per request with one that also admits Clerk's
// sign-in UI, since whether Clerk is on is only known at run time. No imports: next.config.ts
// loads this file before anything is built.

// Turnstile, the bot check Clerk's sign-up shows, runs in a frame from here.
const CLOUDFLARE_CHALLENGES = "https://challenges.cloudflare.com";
// Profile pictures shown by Clerk's components.
const CLERK_IMAGES = "https://img.clerk.com";

export function contentSecurityPolicy(options: {
  development: boolean;
  clerkFrontendApi?: string | null;
}): string {
  // React needs eval only in development; Next's hydration scripts are inline.
  const script = options.development
    ? ["'self'", "'unsafe-inline'", "'unsafe-eval'"]
    : ["'self'", "'unsafe-inline'"];
  const img = ["'self'", "data:"];
  const connect = ["'self'"];
  const extra: string[] = [];
  if (options.clerkFrontendApi) {
    // clerk-js and Clerk's UI are loaded from the instance's Frontend API and talk to it.
    const frontendApi = `https://${options.clerkFrontendApi}`;
    script.push(frontendApi, CLOUDFLARE_CHALLENGES);
    connect.push(frontendApi);
    img.push(CLERK_IMAGES);
    extra.push(`frame-src 'self' ${CLOUDFLARE_CHALLENGES}`, "worker-src 'self' blob:");
  }
  return [
    "default-src 'self'",
    `script-src ${script.join(" ")}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src ${img.join(" ")}`,
    "font-src 'self'",
    `connect-src ${connect.join(" ")}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
    ...extra,
  ].join("; ");
}
