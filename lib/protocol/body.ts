import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { ProtocolError } from "./errors";
import { LIMITS } from "./limits";

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotli = promisify(zlib.brotliDecompress);

/**
 * Reads a request body, refusing it as soon as it passes the compressed-size limit (413),
 * then undoes its Content-Encoding with the output capped, so a decompression bomb stops at
 * the limit instead of filling memory.
 */
export async function readBody(req: IncomingMessage, limits = LIMITS): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (declared > limits.bodyBytes) throw new ProtocolError(413, `body is larger than ${limits.bodyBytes} bytes`);

  const raw = await collect(req, limits.bodyBytes);
  return decode(raw, req.headers["content-encoding"], limits.decompressedBytes);
}

// Plain listeners rather than `for await`: this runs for every request, and the async
// iterator costs a promise per chunk.
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off("data", onData);
        req.pause();
        reject(new ProtocolError(413, `body is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once("error", reject);
    req.once("aborted", () => reject(new ProtocolError(400, "request aborted")));
  });
}

async function decode(body: Buffer, header: string | undefined, maxOutputLength: number): Promise<Buffer> {
  // Encodings apply in the order listed, so undo them from last to first.
  const encodings = (header ?? "").split(",").map((e) => e.trim().toLowerCase()).filter((e) => e && e !== "identity");
  let data = body;
  for (const encoding of encodings.reverse()) {
    data = await decodeOne(data, encoding, maxOutputLength);
  }
  return data;
}

async function decodeOne(data: Buffer, encoding: string, maxOutputLength: number): Promise<Buffer> {
  try {
    switch (encoding) {
      case "gzip":
      case "x-gzip":
        return await gunzip(data, { maxOutputLength });
      case "deflate":
        // "deflate" means zlib-wrapped, but some clients send raw deflate: accept both.
        return await inflate(data, { maxOutputLength }).catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ERR_BUFFER_TOO_LARGE") throw error;
          return inflateRaw(data, { maxOutputLength });
        });
      case "br":
        return await brotli(data, { maxOutputLength });
      default:
        throw new ProtocolError(415, `unsupported Content-Encoding: ${encoding}`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      throw new ProtocolError(413, `body is larger than ${maxOutputLength} bytes when decompressed`);
    }
    throw new ProtocolError(400, `body is not valid ${encoding} data`);
  }
}
