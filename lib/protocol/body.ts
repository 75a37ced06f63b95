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

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.bodyBytes) throw new ProtocolError(413, `body is larger than ${limits.bodyBytes} bytes`);
    chunks.push(chunk);
  }
  const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
  return decode(raw, req.headers["content-encoding"], limits.decompressedBytes);
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
