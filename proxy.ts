import { clerkMiddleware } from "@clerk/nextjs/server";
import { type NextFetchEvent, type NextMiddleware, type NextRequest, NextResponse } from "next/server";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { contentSecurityPolicy, createNonce } from "@/lib/csp";

// Next's proxy (formerly middleware). With Clerk configured it runs Clerk's middleware, which
// verifies the session token (cookie or Authorization header) and hands the result to auth()
// in pages and actions; app/(auth)/session.ts turns that into our user. It protects nothing by
// itself: pages decide (requireUser/requireViewer), so a signed-out request passes through.

// Every page gets a Content-Security-Policy with a fresh nonce: Next.js reads it from the
// request's policy and stamps it on its scripts, app/layout.tsx hands it (x-nonce) to Clerk's.
// The pages are rendered per request already (the root layout awaits connection()), so the
// nonce costs no prerendering.
function withPolicy(request: NextRequest, clerkFrontendApi: string | null): NextResponse {
  const nonce = createNonce();
  const policy = contentSecurityPolicy({ nonce, development: process.env.NODE_ENV === "development", clerkFrontendApi });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

// Built on the first request, from the environment at run time (not at build time).
let clerk: NextMiddleware | null | undefined;

function clerkHandler() {
  if (clerk !== undefined) return clerk;
  const settings = clerkSettings();
  clerk =
    settings &&
    // Clerk adds its own request headers to the response our handler returns.
    clerkMiddleware((_auth, request) => withPolicy(request, settings.frontendApi), {
      // The secret key is not passed: Clerk reads CLERK_SECRET_KEY itself, and passing it here
      // would make Clerk require CLERK_ENCRYPTION_KEY to forward it to pages.
      publishableKey: settings.publishableKey,
      // With the PEM key the token's signature is checked locally: no call to Clerk.
      jwtKey: settings.jwtKey,
      // A token minted for another site (its azp) is refused.
      authorizedParties: settings.authorizedParties,
      signInUrl: "/sign-in",
      signUpUrl: "/sign-up",
    });
  return clerk;
}

export default async function proxy(request: NextRequest, event: NextFetchEvent) {
  const handler = clerkHandler();
  if (!handler) return withPolicy(request, null);
  return (await handler(request, event)) ?? withPolicy(request, null);
}

export const config = {
  matcher: [
    // Everything but Next's own files, static files, the health check, the Sentry ingest
    // protocol's paths (SDKs authenticate with DSN keys, and must never see a redirect) and
    // webhooks (signed by their sender, not sent in anyone's session).
    "/((?!_next/|_health|api/webhooks/|api/[^/]+/(?:envelope|store|security|csp-report)(?:/|$)|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
  ],
};
