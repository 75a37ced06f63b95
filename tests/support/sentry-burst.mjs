// Runs the official @sentry/node SDK against a DSN as an app in trouble would: one error after
// another (COUNT of them), each flushed before the next, so the SDK has read the answer to the
// previous envelope (and any rate limit in it) before it decides whether to send the next.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "burst@1.0.0",
  environment: "test",
  sendClientReports: false,
});

const count = Number(process.env.COUNT ?? 5);
for (let i = 1; i <= count; i++) {
  console.log(`captured ${Sentry.captureException(new Error(`Checkout failed (${i})`))}`);
  await Sentry.flush(5000);
}
console.log("done");
