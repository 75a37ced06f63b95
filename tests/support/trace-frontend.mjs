// The frontend of a trace across two projects: the official @sentry/node SDK with tracing on,
// in its own process, whose transaction calls the backend (tests/support/trace-backend.mjs,
// another project's DSN) with fetch. The SDK puts its trace on the requests (sentry-trace and
// baggage headers) because the backend's URL matches tracePropagationTargets, so the backend's
// transactions join this trace under this transaction's http.client spans.
// Prints the trace id, this transaction's span id and each answer's status; flushes and exits.
import * as Sentry from "@sentry/node";

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  release: "frontend@1.0.0",
  environment: "production",
  tracesSampleRate: 1,
  ...(process.env.SENTRY_TRACE_LIFECYCLE === "stream" ? {} : { traceLifecycle: "static" }),
  tracePropagationTargets: [/^http:\/\/127\.0\.0\.1:\d+\/api\//],
  sendClientReports: false,
});

await Sentry.startSpan({ name: "checkout flow", op: "task" }, async (root) => {
  console.log(`trace ${root.spanContext().traceId}`);
  console.log(`root ${root.spanContext().spanId}`);
  for (const path of ["/api/products", "/api/checkout"]) {
    const response = await fetch(`${process.env.BACKEND_URL}${path}`);
    await response.text();
    console.log(`status ${path} ${response.status}`);
  }
});
console.log(`flushed ${await Sentry.flush(5000)}`);
