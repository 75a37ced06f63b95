// Loaded with `node --import` before the app, as Sentry's docs say for ESM: the SDK must hook
// node:http before the app imports it. No traceLifecycle option: SDK 11 streams spans by default.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "spans@2.0.0",
  environment: "staging",
  tracesSampleRate: 1,
  sendClientReports: false,
});
