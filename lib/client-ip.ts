import { env } from "./env";

/**
 * The client's address, one rule for ingest and the web. Behind a reverse proxy
 * (TRUST_PROXY=true) it is the address the proxy appended last to X-Forwarded-For; anything
 * left of it is whatever the client claimed, so rotating it changes nothing. Otherwise the
 * header is the client's own words and only the socket's address counts.
 */
export function clientIp(forwardedFor: string | string[] | null | undefined, socketAddress: string | undefined, trustProxy = env().TRUST_PROXY === "true"): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor;
  const address = trustProxy && header ? header.split(",").at(-1)!.trim() : (socketAddress ?? "");
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
