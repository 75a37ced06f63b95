import type { IncomingMessage } from "node:http";
import type { Transform } from "node:stream";
import zlib from "node:zlib";
import { ProtocolError } from "./errors";

const NEWLINE = 0x0a;
// What a client that meets the body-memory cap is told to wait: in-flight bodies are gone
// within a second or two, and SDKs back off at least this long.
const RETRY_AFTER_SECONDS = 5;

let heldBytes = 0;

/**
 * The share of the process-wide body-memory budget one request holds: the body as sent and
 * what decompressing it produced. Past the budget the request is refused with 429, so a few
 * large or bomb-like bodies cannot take memory the process needs for everyone else.
 */
export class BodyMemory {
  private held = 0;

  constructor(private readonly capBytes: number) {}

  /** Counts `bytes` against the budget; false (nothing counted) when it would pass the cap. */
  take(bytes: number): boolean {
    if (heldBytes + bytes > this.capBytes) return false;
    heldBytes += bytes;
    this.held += bytes;
    return true;
  }

  /** Gives back everything this request holds; call once it is answered. */
  release(): void {
    heldBytes -= this.held;
    this.held = 0;
  }
}

/** Bytes all requests in this process hold now (tests, logs). */
export function bodyBytesHeld(): number {
  return heldBytes;
}

export const overloaded = () =>
  new ProtocolError(429, "ingest is holding too many request bodies at once, retry later", RETRY_AFTER_SECONDS);

/**
 * Reads a request body as it arrives, counting every chunk against the request's BodyMemory.
 * It can stop part way (see readUntil), so that a body is read only as far as needed to find
 * its key, and further once the key is known.
 */
export class BodyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private ended = false;

  constructor(
    private readonly req: IncomingMessage,
    private readonly memory: BodyMemory,
  ) {}

  /** Everything read so far, as one buffer. */
  get buffer(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.size)];
    return this.chunks[0]!;
  }

  get complete(): boolean {
    return this.ended;
  }

  /**
   * Reads on until the body ends (resolves true) or more than `pauseAt` bytes are in (false,
   * the request paused). Refuses with 413 past `maxBytes`, 413 at once when Content-Length
   * says so, and 429 when the process-wide budget is used up.
   */
  readUntil(maxBytes: number, pauseAt = maxBytes): Promise<boolean> {
    const req = this.req;
    if (this.ended) return Promise.resolve(true);
    if (Number(req.headers["content-length"]) > maxBytes) {
      return Promise.reject(new ProtocolError(413, `body is larger than ${maxBytes} bytes`));
    }
    if (this.size > pauseAt) return Promise.resolve(false);
    // Plain listeners rather than `for await`: this runs for every request, and the async
    // iterator costs a promise per chunk.
    return new Promise((resolve, reject) => {
      const stop = (outcome: () => void) => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        req.off("aborted", onAborted);
        req.pause();
        outcome();
      };
      const onData = (chunk: Buffer) => {
        this.size += chunk.length;
        if (this.size > maxBytes) return stop(() => reject(new ProtocolError(413, `body is larger than ${maxBytes} bytes`)));
        if (!this.memory.take(chunk.length)) return stop(() => reject(overloaded()));
        this.chunks.push(chunk);
        if (this.size > pauseAt) stop(() => resolve(false));
      };
      // The request is done with: its listeners go with it, no need to take them off.
      const onEnd = () => {
        this.ended = true;
        resolve(true);
      };
      const onError = (error: Error) => stop(() => reject(error));
      const onAborted = () => stop(() => reject(new ProtocolError(400, "request aborted")));
      req.on("data", onData);
      req.on("end", onEnd);
      req.on("error", onError);
      req.on("aborted", onAborted);
      req.resume();
    });
  }
}

// Nobody compresses twice on purpose; thousands of layers would each cost a decompressor.
const MAX_CODINGS = 2;

/** Content-Encoding's codings in the order to undo them (the last applied first). */
export function encodingsOf(header: string | undefined): string[] {
  if (!header) return [];
  const codings = header
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e && e !== "identity")
    .reverse();
  if (codings.length > MAX_CODINGS) throw new ProtocolError(415, `more than ${MAX_CODINGS} content codings`);
  return codings;
}

/**
 * Undoes a body's Content-Encoding with the output capped at `maxOutputLength` (413), each
 * decompressed chunk counted against `memory` (429 past the process budget), so a
 * decompression bomb stops at the limit instead of filling memory.
 */
export async function decode(body: Buffer, encodings: string[], maxOutputLength: number, memory: BodyMemory): Promise<Buffer> {
  let data = body;
  for (const encoding of encodings) {
    data = await decodeOne(data, encoding, { maxOutputLength, memory });
  }
  return data;
}

/**
 * The first line of a body that may be compressed and may have been read only in part,
 * decompressing no more than `maxBytes` of it: 413 when the line is longer. For finding an
 * envelope's header (and its dsn) before the key is known.
 */
export async function firstLine(body: Buffer, encodings: string[], maxBytes: number, memory: BodyMemory): Promise<Buffer> {
  let data = body;
  for (const [i, encoding] of encodings.entries()) {
    const innermost = i === encodings.length - 1;
    // The inner coding's first line needs about as many bytes of this coding's output.
    data = await decodeOne(data, encoding, { maxOutputLength: 2 * maxBytes, memory, partial: true, stopAtNewline: innermost });
  }
  const end = data.indexOf(NEWLINE);
  if (end === -1 ? data.length > maxBytes : end > maxBytes) {
    throw new ProtocolError(413, `envelope header is longer than ${maxBytes} bytes`);
  }
  return end === -1 ? data : data.subarray(0, end);
}

type DecodeOptions = {
  maxOutputLength: number;
  memory: BodyMemory;
  /** The input may be cut off: decode what is there, stopping without error at the limit. */
  partial?: boolean;
  stopAtNewline?: boolean;
};

async function decodeOne(data: Buffer, encoding: string, options: DecodeOptions): Promise<Buffer> {
  const flush = options.partial ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {};
  try {
    switch (encoding) {
      case "gzip":
      case "x-gzip":
        return await run(data, zlib.createGunzip(flush), options);
      case "deflate":
        // "deflate" means zlib-wrapped, but some clients send raw deflate: accept both.
        return await run(data, zlib.createInflate(flush), options).catch((error: unknown) => {
          if (error instanceof ProtocolError) throw error;
          return run(data, zlib.createInflateRaw(flush), options);
        });
      case "br":
        // The decoder allocates the window the stream declares, up to 16 MiB, whatever it
        // outputs: a few hundred 89-byte bodies at once took 3.4 GB before this was counted.
        if (options.memory && !options.memory.take(brotliWindowBytes(data))) throw overloaded();
        return await run(
          data,
          zlib.createBrotliDecompress(options.partial ? { finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH } : {}),
          options,
        );
      default:
        throw new ProtocolError(415, `unsupported Content-Encoding: ${encoding}`);
    }
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(400, `body is not valid ${encoding} data`);
  }
}

/**
 * Feeds `data` through a decompression stream and collects the output. Past
 * `maxOutputLength` it stops: with 413, or, when only a prefix was asked for, with the
 * output so far.
 */
function run(data: Buffer, stream: Transform, options: DecodeOptions): Promise<Buffer> {
  const { maxOutputLength, memory, partial, stopAtNewline } = options;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (outcome: () => void) => {
      stream.off("data", onData);
      stream.destroy();
      outcome();
    };
    const output = () => (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onData = (chunk: Buffer) => {
      if (partial) {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= maxOutputLength || (stopAtNewline && chunk.includes(NEWLINE))) finish(() => resolve(output()));
        return;
      }
      size += chunk.length;
      if (size > maxOutputLength) {
        return finish(() => reject(new ProtocolError(413, `body is larger than ${maxOutputLength} bytes when decompressed`)));
      }
      if (!memory.take(chunk.length)) return finish(() => reject(overloaded()));
      chunks.push(chunk);
    };
    stream.on("data", onData);
    stream.once("end", () => {
      resolve(output());
      (stream as zlib.Gunzip).close();
    });
    stream.once("error", reject);
    stream.end(data);
  });
}

/** The sliding window a brotli stream declares in its first bits (RFC 7932, section 9.1). */
function brotliWindowBytes(data: Buffer): number {
  const first = data[0] ?? 0;
  let windowBits = 16;
  if (first & 1) {
    const n = (first >> 1) & 7;
    const m = (first >> 4) & 7;
    windowBits = n ? 17 + n : m ? 8 + m : 17;
  }
  // Large windows (m = 1) are refused by the decoder; 24 bits is the most it allocates.
  return 2 ** Math.min(windowBits, 24);
}
