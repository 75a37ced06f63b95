import type { IncomingMessage } from "node:http";

/**
 * The header through which the web server (workers/web.ts) hands the socket's address to the
 * app: Next.js exposes request headers, not the socket. The server overwrites it on every
 * request, so a client cannot choose it.
 */
export const PEER_ADDRESS_HEADER = "x-errorhub-peer-address";

export function setPeerAddress(req: IncomingMessage): void {
  req.headers[PEER_ADDRESS_HEADER] = req.socket.remoteAddress ?? "";
}
