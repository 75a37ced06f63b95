import type { ServerResponse } from "node:http";
import { Counter } from "prom-client";
import { metricsEnabled, metricsRegistry } from "./registry";

// Next.js gives route code no hook around every request; workers/web.ts's own node:http server
// sees each one, and counts it here once its response is finished.
let requests: Counter<"status_class"> | null | undefined;

export function countWebRequest(res: ServerResponse): void {
  if (requests === undefined) {
    requests = metricsEnabled()
      ? new Counter({ name: "errorhub_web_requests_total", help: "Web HTTP requests answered, by status class (2xx, 4xx, ...)", labelNames: ["status_class"], registers: [metricsRegistry("web")] })
      : null;
  }
  const counter = requests;
  if (!counter) return;
  res.once("finish", () => counter.inc({ status_class: `${Math.floor(res.statusCode / 100)}xx` }));
}
