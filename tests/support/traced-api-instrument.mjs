// Loaded with `node --import` before the app, as Sentry's docs say for ESM: the SDK must hook
// node:http before the app imports it. The SDK's defaults otherwise (span streaming in 11).
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: process.env.SENTRY_RELEASE,
  environment: "production",
  tracesSampleRate: 1,
  sendClientReports: false,
});
