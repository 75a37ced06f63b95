import { AppError } from "../errors";

/**
 * A multipart/form-data body (already bounded) parsed by the platform's own parser; 400 if it is
 * not one, or if it has more than `maxParts` parts. The parts are counted first (a scan for the
 * boundary): a body of hundreds of thousands of tiny parts costs the parser seconds of the web
 * process's CPU, and no client of these endpoints sends more than a few dozen.
 */
export async function multipartForm(request: Request, body: Buffer, maxParts: number): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) throw new AppError("bad_request", "The body must be multipart/form-data");
  const boundary = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(type);
  if (!boundary) throw new AppError("bad_request", "The multipart/form-data body has no boundary");
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let parts = 0;
  for (let at = body.indexOf(delimiter); at >= 0; at = body.indexOf(delimiter, at + delimiter.length)) {
    // the closing delimiter is one more than the parts
    if (++parts > maxParts + 1) throw new AppError("bad_request", `Too many parts: at most ${maxParts} per request`);
  }
  try {
    return await new Response(new Uint8Array(body), { headers: { "content-type": type } }).formData();
  } catch {
    throw new AppError("bad_request", "Malformed multipart/form-data body");
  }
}
