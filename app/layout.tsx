import { ClerkProvider } from "@clerk/nextjs";
import type { Metadata } from "next";
import { headers } from "next/headers";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { clerkSettings } from "@/lib/auth/clerk/config";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "errorhub", template: "%s · errorhub" },
  description: "Error tracking that works with the Sentry SDKs you already use.",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Whether Clerk is on is read per request, not frozen into pages prerendered at build time:
  // one build serves the self-hosted (built-in accounts) and the hosted (Clerk) service.
  await connection();
  const clerk = clerkSettings();
  // proxy.ts's per-request nonce: clerk-js's script tag needs it under the page's policy.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 text-slate-900 antialiased">
        {clerk ? (
          // Only the publishable key reaches the browser; clerk-js keeps the session fresh.
          <ClerkProvider publishableKey={clerk.publishableKey} nonce={nonce} signInUrl="/sign-in" signUpUrl="/sign-up">
            {children}
          </ClerkProvider>
        ) : (
          children
        )}
      </body>
    </html>
  );
}
