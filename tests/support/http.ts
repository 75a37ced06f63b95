import { request } from "node:http";

// biome-ignore lint/suspicious/noExplicitAny: tests assert on the shape of the JSON they get
export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: () => any };

/**
 * A raw HTTP request: the body goes as given (no re-encoding), chunked when `chunked` is set,
 * with exactly the headers passed (plus content-length unless chunked).
 */
export function send(
  url: string,
  options: { method?: string; body?: Buffer | string; headers?: Record<string, string>; chunked?: boolean } = {},
): Promise<Reply> {
  const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? "POST",
      headers: {
        ...(body && !options.chunked ? { "content-length": String(body.length) } : {}),
        ...options.headers,
      },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body && options.chunked) {
      // Several writes make Node send a chunked body, as Sentry's Node transport does.
      const step = Math.max(1, Math.ceil(body.length / 4));
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else {
      req.end(body);
    }
  });
}
