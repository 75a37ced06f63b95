import autocannon, { type Instance, type Options, type Result } from "autocannon";
import { eventIdOf, type PoolEntry, stamp } from "./payloads";

const HEADERS = {
  "content-type": "application/x-sentry-envelope",
  "user-agent": "sentry.javascript.node/11.12.0",
  accept: "*/*",
};

/** What autocannon's per-connection Client exposes that the raw mode relies on (autocannon 9). */
type AutocannonClient = {
  getRequestBuffer?: () => Buffer;
  requestIterator?: { context?: Record<string, unknown> };
};

export type LoadMode = "raw" | "setup-request";

/**
 * Load generation with autocannon: `connections` keep-alive connections, no pipelining, each
 * request one envelope of the pool, stamped with an event id never sent before (pool entries
 * are reused round-robin, their ids are not).
 *
 * - "raw" (default): every request is pre-built as bytes (request line, headers, body) and
 *   handed to autocannon's connection as it writes (setupClient replaces the Client's
 *   getRequestBuffer). Stamping writes 16 bytes in place, so autocannon costs what it does with
 *   one fixed body, and the load generator takes as little CPU as it can from the servers.
 * - "setup-request": autocannon's documented `requests: [{ setupRequest }]`, which rebuilds the
 *   request (headers and body copy) for every request; on 2 cores it caps the bare server at
 *   a lower rate, which makes ratios look better than they are.
 */
export class Load {
  private next = 0;
  private seq = 0;
  private readonly entries: PoolEntry[];
  private current: Instance | undefined;

  constructor(
    pool: PoolEntry[],
    private readonly path: string,
    private readonly connections: number,
    private readonly mode: LoadMode,
  ) {
    if (mode === "setup-request") {
      this.entries = pool;
    } else {
      // Same bytes for every target: servers ignore Host, and the pool is built once.
      this.entries = pool.map(({ body, idOffsets }) => {
        const head = Buffer.from(
          `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n` +
            Object.entries(HEADERS)
              .map(([name, value]) => `${name}: ${value}\r\n`)
              .join("") +
            `content-length: ${body.length}\r\n\r\n`,
          "latin1",
        );
        return { body: Buffer.concat([head, body]), idOffsets: idOffsets.map((at) => at + head.length) };
      });
    }
  }

  /** Requests handed to autocannon so far (all runs). */
  get sent(): number {
    return this.seq;
  }

  /** Stops the run in progress, if any (its promise still resolves with what was measured). */
  stop(): void {
    this.current?.stop();
  }

  private take(): PoolEntry {
    const entry = this.entries[this.next]!;
    this.next = this.next + 1 === this.entries.length ? 0 : this.next + 1;
    stamp(entry, ++this.seq);
    return entry;
  }

  /**
   * One autocannon run for `duration` seconds or `amount` requests. With `onSent`/`onAnswer`
   * (the distinct-id check) each answer is matched with the event id its request carried.
   */
  async run(
    url: string,
    options: {
      duration?: number;
      amount?: number;
      onSent?: (id: string) => void;
      onAnswer?: (status: number, body: string, sentId: string) => void;
    },
  ): Promise<Result> {
    const { onSent, onAnswer } = options;
    const base: Options = {
      url,
      connections: this.connections,
      pipelining: 1,
      ...(options.amount ? { amount: options.amount } : { duration: options.duration }),
      timeout: 10,
      method: "POST",
      headers: HEADERS,
    };
    const onResponse = onAnswer
      ? (status: number, body: string, context: Record<string, unknown>) =>
          onAnswer(status, body, String(context.sent))
      : undefined;

    let instance: Instance;
    if (this.mode === "setup-request") {
      instance = autocannon({
        ...base,
        requests: [
          {
            path: this.path,
            setupRequest: (request, context) => {
              const entry = this.take();
              if (onSent) {
                context.sent = eventIdOf(entry);
                onSent(context.sent as string);
              }
              // autocannon copies the body into the request it writes before calling us again.
              request.body = entry.body;
              return request;
            },
            ...(onResponse ? { onResponse } : {}),
          },
        ],
      });
    } else {
      // autocannon builds this one fixed request once per connection and never sends it: the
      // connection's getRequestBuffer hands out pool entries instead. An entry is rewritten
      // only after the rest of the pool was sent; by then its last write has long completed
      // (its answer came back first, there is no pipelining).
      const template = this.entries[0]!.body;
      instance = autocannon({
        ...base,
        body: template.subarray(template.indexOf("\r\n\r\n") + 4),
        requests: [{ path: this.path, ...(onResponse ? { onResponse } : {}) }],
        setupClient: (client: AutocannonClient) => {
          if (typeof client.getRequestBuffer !== "function" || !client.requestIterator) {
            throw new Error(
              "autocannon's Client has no getRequestBuffer/requestIterator: run with --setup-request",
            );
          }
          const iterator = client.requestIterator;
          client.getRequestBuffer = () => {
            const entry = this.take();
            if (onSent) {
              // The iterator's context is the one onResponse receives for this request.
              const id = eventIdOf(entry);
              if (iterator.context) iterator.context.sent = id;
              onSent(id);
            }
            return entry.body;
          };
        },
      });
    }
    this.current = instance;
    try {
      return await instance;
    } finally {
      this.current = undefined;
    }
  }
}
