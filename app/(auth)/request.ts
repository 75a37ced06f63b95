import "server-only";
import { headers } from "next/headers";
import { clientIp } from "@/lib/client-ip";
import { PEER_ADDRESS_HEADER } from "@/lib/web-peer";

/**
 * Who is asking: the client's IP by the same rule as ingest (lib/client-ip.ts), and the user
 * agent. The socket's address comes from workers/web.ts, which sets it on every request.
 */
export async function requestMeta(): Promise<{ ip: string; userAgent: string | undefined }> {
  const h = await headers();
  return {
    ip: clientIp(h.get("x-forwarded-for"), h.get(PEER_ADDRESS_HEADER) ?? undefined) || "unknown",
    userAgent: h.get("user-agent") ?? undefined,
  };
}
