import { AppError } from "../errors";

/**
 * The request's body, refused (400) once it passes `maxBytes`: a Content-Length above the bound
 * is refused before reading anything, and a body without one stops being read at the bound, so
 * no upload can make the server hold more than that.
 */
export async function boundedBody(request: Request, maxBytes: number, what: string): Promise<Buffer> {
  const tooLarge = () => new AppError("bad_request", `${what} is too large: at most ${maxBytes} bytes per request`);
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    parts.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(parts, total);
}
