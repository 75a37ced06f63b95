// Runs the official @sentry/node SDK against a DSN, in its own process as an app would:
// one exception, one message and one release-health session, then flushes and exits.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "sdk-test@1.0.0",
  environment: "test",
  sendClientReports: false,
});

function checkout() {
  const cart = undefined;
  return cart.total;
}

Sentry.addBreadcrumb({ category: "cart", message: "Loading the cart", level: "info" });
try {
  checkout();
} catch (error) {
  console.log(`exception ${Sentry.captureException(error)}`);
}
console.log(`message ${Sentry.captureMessage("Payment provider timed out after 30s", "warning")}`);
Sentry.startSession();
Sentry.endSession();
const flushed = await Sentry.flush(5000);
console.log(`flushed ${flushed}`);
