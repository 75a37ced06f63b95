// The Content-Security-Policy of every page, sent by proxy.ts with a fresh nonce per request.
// Next.js reads the nonce back from the request's policy and puts it on its own scripts (and
// app/layout.tsx hands it to Clerk's), so no inline script runs without it: no
// 'unsafe-inline' for scripts. No imports: proxy.ts runs before anything else is loaded.

// Turnstile, the bot check Clerk's sign-up shows, runs in a frame from here.
const CLOUDFLARE_CHALLENGES = "https://challenges.cloudflare.com";
// Profile pictures shown by Clerk's components.
const CLERK_IMAGES = "https://img.clerk.com";

/** A fresh nonce: 128 random bits, base64 (the CSP grammar's base64-value). */
export function createNonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

export function contentSecurityPolicy(options: {
  nonce: string;
  development: boolean;
  clerkFrontendApi?: string | null;
}): string {
  // 'strict-dynamic': a script the nonce admitted may load further scripts (Next's chunks,
  // clerk-js's UI), and browsers that know it then ignore 'self' and host sources, which stay
  // for those that do not. React uses eval only in development, for its error stacks.
  const script = ["'self'", `'nonce-${options.nonce}'`, "'strict-dynamic'"];
  if (options.development) script.push("'unsafe-eval'");
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
    // Styles may stay inline: React's style attributes need it, and styles run no code.
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
