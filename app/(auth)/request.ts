import "server-only";
import { headers } from "next/headers";
import { clientIp } from "@/lib/client-ip";
import { PEER_ADDRESS_HEADER } from "@/lib/web-peer";

/**
 * Who is asking: the client's IP by the same rule as ingest (lib/client-ip.ts), and the user
 * agent. The socket's address comes from workers/web.ts, which sets it on every request. Under a
 * bare `next start` (tests) there is no such header, and the last X-Forwarded-For entry, which
 * Next.js fills with the socket's address when the client sent none, is the best there is.
 */
export async function requestMeta(): Promise<{ ip: string; userAgent: string | undefined }> {
  const h = await headers();
  const forwardedFor = h.get("x-forwarded-for");
  const socket = h.get(PEER_ADDRESS_HEADER) ?? forwardedFor?.split(",").at(-1)?.trim();
  return { ip: clientIp(forwardedFor, socket) || "unknown", userAgent: h.get("user-agent") ?? undefined };
}
