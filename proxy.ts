import { clerkMiddleware } from "@clerk/nextjs/server";
import { type NextFetchEvent, type NextMiddleware, type NextRequest, NextResponse } from "next/server";
import { clerkSettings } from "@/lib/auth/clerk/config";
import { contentSecurityPolicy } from "@/lib/csp";

// Next's proxy (formerly middleware). With Clerk configured it runs Clerk's middleware, which
// verifies the session token (cookie or Authorization header) and hands the result to auth()
// in pages and actions; app/(auth)/session.ts turns that into our user. It protects nothing by
// itself: pages decide (requireUser/requireViewer), so a signed-out request passes through.
// Without Clerk it passes every request through untouched.

// Built on the first request, from the environment at run time (not at build time).
let clerk: { handler: NextMiddleware; csp: string } | null | undefined;

function clerkHandler() {
  if (clerk !== undefined) return clerk;
  const settings = clerkSettings();
  clerk = settings && {
    handler: clerkMiddleware({
      // The secret key is not passed: Clerk reads CLERK_SECRET_KEY itself, and passing it here
      // would make Clerk require CLERK_ENCRYPTION_KEY to forward it to pages.
      publishableKey: settings.publishableKey,
      // With the PEM key the token's signature is checked locally: no call to Clerk.
      jwtKey: settings.jwtKey,
      // A token minted for another site (its azp) is refused.
      authorizedParties: settings.authorizedParties,
      signInUrl: "/sign-in",
      signUpUrl: "/sign-up",
    }),
    // Replaces next.config.ts's policy: this one also admits Clerk's scripts and API.
    csp: contentSecurityPolicy({
      development: process.env.NODE_ENV === "development",
      clerkFrontendApi: settings.frontendApi,
    }),
  };
  return clerk;
}

export default async function proxy(request: NextRequest, event: NextFetchEvent) {
  const active = clerkHandler();
  if (!active) return NextResponse.next();
  const response = (await active.handler(request, event)) ?? NextResponse.next();
  response.headers.set("Content-Security-Policy", active.csp);
  return response;
}

export const config = {
  matcher: [
    // Everything but Next's own files, static files, the health check, the Sentry ingest
    // protocol's paths (SDKs authenticate with DSN keys, and must never see a redirect) and
    // webhooks (signed by their sender, not sent in anyone's session).
    "/((?!_next/|_health|api/webhooks/|api/[^/]+/(?:envelope|store|security|csp-report)(?:/|$)|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
  ],
};
