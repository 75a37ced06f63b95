import http from "node:http";
import https from "node:https";
import packageJson from "../../../package.json" with { type: "json" };
import { env } from "../../env";

export const USER_AGENT = `errorhub-webhooks/${packageJson.version}`;
const TIMEOUT_MS = 5_000;
// Enough of an error page to say what went wrong in the delivery log, never a whole page.
const MAX_RESPONSE_BYTES = 4096;

/**
 * How one POST went. `retry` says whether trying again later may help: a 5xx, 408, 429, a
 * timeout or a connection error may; any other answer (a revoked webhook's 404 or 410, a 3xx
 * we do not follow), a refused address or a bad URL will not.
 */
export type PostResult = { ok: boolean; status: number | null; error: string | null; retry: boolean };

// The agents check the address actually connected to (after DNS), so a name that resolves to
// a public address when saved and a private one later (DNS rebinding) is still refused.
let agents: { http: http.Agent; https: https.Agent; allowPrivate: boolean } | undefined;
// Loaded with the first delivery rather than by every process that imports this module.
let filtering: Promise<typeof import("request-filtering-agent")> | undefined;
async function agentsFor(allowPrivate: boolean) {
  filtering ??= import("request-filtering-agent");
  const { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } = await filtering;
  if (agents?.allowPrivate !== allowPrivate) {
    const options = { allowPrivateIPAddress: allowPrivate, keepAlive: true, maxSockets: 64 };
    agents = { http: new RequestFilteringHttpAgent(options), https: new RequestFilteringHttpsAgent(options), allowPrivate };
  }
  return agents;
}

/** POSTs a JSON body to a receiver's URL, under the SSRF guard unless WEBHOOK_ALLOW_PRIVATE_NETWORKS. */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string> = {},
  options: { allowPrivate?: boolean; timeoutMs?: number } = {},
): Promise<PostResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, status: null, error: "invalid URL", retry: false });
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    return Promise.resolve({ ok: false, status: null, error: `only http and https URLs (not ${target.protocol})`, retry: false });
  }
  const allowPrivate = options.allowPrivate ?? env().WEBHOOK_ALLOW_PRIVATE_NETWORKS;
  const secure = target.protocol === "https:";
  const pool = await agentsFor(allowPrivate);
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = (secure ? https : http).request(target, {
      method: "POST",
      agent: secure ? pool.https : pool.http,
      headers: {
        "Content-Type": "application/json",
        "Content-Length": String(Buffer.byteLength(body)),
        "User-Agent": USER_AGENT,
        ...headers,
      },
    });
    // One deadline for connecting, sending and the answer: a slow receiver holds one slot at most this long.
    const timer = setTimeout(() => {
      request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    request.on("error", (error) => {
      // request-filtering-agent refuses with a plain Error whose message says "... is not allowed".
      const refused = /is not allowed/.test(error.message);
      finish({
        ok: false,
        status: null,
        error: refused ? `refused: ${target.hostname} is a private, loopback or link-local address` : short(error.message),
        retry: !refused,
      });
    });
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        if (size >= MAX_RESPONSE_BYTES) return;
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_RESPONSE_BYTES) response.destroy();
      });
      const done = () => {
        if (status >= 200 && status < 300) return finish({ ok: true, status, error: null, retry: false });
        const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString("utf8").trim();
        const what = status >= 300 && status < 400 ? `redirect to ${response.headers.location ?? "?"} (not followed)` : `HTTP ${status}`;
        finish({ ok: false, status, error: short(text ? `${what}: ${text}` : what), retry: status >= 500 || status === 408 || status === 429 });
      };
      response.on("end", done);
      response.on("close", done);
      response.on("error", done);
    });
    request.end(body);
  });
}

function short(text: string): string {
  const oneLine = text.replace(/\s+/g, " ");
  return oneLine.length > 300 ? `${oneLine.slice(0, 299)}…` : oneLine;
}
