import { connect, type Socket } from "node:net";
import { percentile } from "./harness";
import { eventIdOf, type PoolEntry, stamp } from "./payloads";

const HEADERS = {
  "content-type": "application/x-sentry-envelope",
  "user-agent": "sentry.javascript.node/11.12.0",
  accept: "*/*",
};

const REQUEST_TIMEOUT_MS = 10_000;
const HEADER_END = Buffer.from("\r\n\r\n");

/** What one run measured. Latencies in milliseconds, of answered requests only. */
export type LoadResult = {
  seconds: number;
  /** Requests written. */
  sent: number;
  ok: number;
  non2xx: number;
  /** Requests that got no answer: the connection failed or closed first. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latency: { p50: number; p90: number; p99: number; max: number };
  /** The first thing that went wrong, if anything did (connection refused, malformed answer). */
  firstError?: string;
};

/**
 * The load generator: `connections` keep-alive HTTP/1.1 connections, no pipelining, each
 * request one envelope of the pool stamped with an event id never sent before (pool entries
 * are reused round-robin, their ids are not).
 *
 * Requests are pre-built bytes (request line, headers, body) written straight to the socket,
 * and answers are read just far enough to find the status and the body's length. It speaks
 * only what the servers under test answer (HTTP/1.1 with content-length), and it is lean on
 * purpose: it shares the machine's two cores with the servers it measures, and every CPU
 * second it takes is one they lose. Against the bare server it takes 25-28 µs of CPU per
 * request, autocannon (used before) 36-42 µs; more than half of what is left is the write
 * syscall itself.
 */
export class Load {
  private next = 0;
  private seq = 0;
  private readonly entries: PoolEntry[];
  private stopping: (() => void) | undefined;

  constructor(
    pool: PoolEntry[],
    path: string,
    private readonly connections: number,
  ) {
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

  /** Requests written so far (all runs). */
  get sent(): number {
    return this.seq;
  }

  /** Stops the run in progress, if any: no new request; its promise resolves once the ones in flight end. */
  stop(): void {
    this.stopping?.();
  }

  private take(): PoolEntry {
    const entry = this.entries[this.next]!;
    this.next = this.next + 1 === this.entries.length ? 0 : this.next + 1;
    stamp(entry, ++this.seq);
    return entry;
  }

  /**
   * One run for `duration` seconds or `amount` requests. With `onSent`/`onAnswer` (the
   * distinct-id check) each answer is matched with the event id its request carried.
   *
   * An entry is rewritten only after the rest of the pool was sent; by then its last write has
   * long completed (its answer came back first, there is no pipelining), so the pool must hold
   * more entries than there are connections.
   */
  run(
    url: string,
    options: {
      duration?: number;
      amount?: number;
      onSent?: (id: string) => void;
      onAnswer?: (status: number, body: string, sentId: string) => void;
    },
  ): Promise<LoadResult> {
    if (this.entries.length <= this.connections)
      throw new Error(`the pool (${this.entries.length}) must be larger than the connections (${this.connections})`);
    const { hostname, port } = new URL(url);
    const { onSent, onAnswer } = options;
    const started = performance.now();
    const deadline = options.duration ? started + options.duration * 1000 : Number.POSITIVE_INFINITY;
    const amount = options.amount ?? Number.POSITIVE_INFINITY;
    const result: LoadResult = {
      seconds: 0,
      sent: 0,
      ok: 0,
      non2xx: 0,
      errors: 0,
      timeouts: 0,
      statusCodes: {},
      latency: { p50: 0, p90: 0, p99: 0, max: 0 },
    };
    const latencies = new Latencies();
    let stopped = false;

    return new Promise<LoadResult>((resolve) => {
      // Requests in flight by connection, with the time they were written: one sweep a second
      // ends those past the timeout (a timer per request would cost more than the rest).
      const waiting = new Map<Socket, number>();
      const sweep = setInterval(() => {
        const now = performance.now();
        for (const [socket, sentAt] of waiting) {
          if (now - sentAt < REQUEST_TIMEOUT_MS) continue;
          waiting.delete(socket);
          result.timeouts++;
          socket.destroy();
        }
      }, 1000);
      let open = this.connections;
      const finishConnection = () => {
        if (--open > 0) return;
        clearInterval(sweep);
        result.seconds = (performance.now() - started) / 1000;
        result.latency = latencies.summary();
        this.stopping = undefined;
        resolve(result);
      };
      const more = () => !stopped && result.sent < amount && performance.now() < deadline;
      this.stopping = () => {
        stopped = true;
      };

      const startConnection = () => {
        const socket: Socket = connect({ host: hostname, port: Number(port), noDelay: true });
        let buffered: Buffer | null = null;
        let sentId = "";

        const send = () => {
          if (!more()) {
            socket.end();
            return;
          }
          const entry = this.take();
          result.sent++;
          if (onSent || onAnswer) {
            sentId = eventIdOf(entry);
            onSent?.(sentId);
          }
          waiting.set(socket, performance.now());
          socket.write(entry.body);
        };

        let connected = false;
        const fail = (reason: string) => {
          result.firstError ??= reason;
          socket.destroy();
        };

        socket.on("connect", () => {
          connected = true;
          send();
        });
        socket.on("data", (chunk: Buffer) => {
          buffered = buffered ? Buffer.concat([buffered, chunk]) : chunk;
          const answer = parseAnswer(buffered);
          if (answer === null) return;
          if (typeof answer === "string") return fail(answer);
          // Bytes past the answer: the server spoke out of turn.
          if (answer.length !== buffered.length) return fail("bytes after a complete answer");
          const sentAt = waiting.get(socket);
          // Answered after the sweep gave up on it: already counted as a timeout.
          if (sentAt === undefined) return;
          waiting.delete(socket);
          latencies.add(performance.now() - sentAt);
          const { status, close } = answer;
          const body = onAnswer ? buffered.toString("utf8", answer.bodyStart) : "";
          buffered = null;
          result.statusCodes[status] = (result.statusCodes[status] ?? 0) + 1;
          if (status >= 200 && status < 300) result.ok++;
          else result.non2xx++;
          onAnswer?.(status, body, sentId);
          if (close) socket.destroy();
          else send();
        });
        socket.on("error", (error) => {
          result.firstError ??= error.message;
        });
        socket.on("close", () => {
          if (waiting.delete(socket)) result.errors++;
          if (!connected) {
            // Nothing listens: the run cannot go on.
            result.errors++;
            stopped = true;
          }
          // A connection the server closed (or that broke) is replaced while the run goes on.
          if (more()) startConnection();
          else finishConnection();
        });
      };
      for (let i = 0; i < this.connections; i++) startConnection();
    });
  }
}

type Answer = { status: number; bodyStart: number; length: number; close: boolean };

/**
 * The answer at the start of `data` once it is complete: its status, where its body starts,
 * its whole length and whether the server closes the connection after it; null while more
 * bytes are needed, a reason when it cannot be read (chunked answers, for one: the servers
 * under test always send content-length).
 */
function parseAnswer(data: Buffer): Answer | null | string {
  const headerEnd = data.indexOf(HEADER_END);
  if (headerEnd === -1) return null;
  const head = data.toString("latin1", 0, headerEnd).toLowerCase();
  const status = Number(head.slice(9, 12));
  const lengthAt = head.indexOf("\r\ncontent-length:");
  if (!head.startsWith("http/1.1 ") || !Number.isInteger(status) || lengthAt === -1)
    return `unreadable answer: ${JSON.stringify(head.slice(0, 200))}`;
  const lineEnd = head.indexOf("\r\n", lengthAt + 2);
  const bodyLength = Number.parseInt(head.slice(lengthAt + 17, lineEnd === -1 ? undefined : lineEnd), 10);
  const bodyStart = headerEnd + 4;
  if (data.length < bodyStart + bodyLength) return null;
  return { status, bodyStart, length: bodyStart + bodyLength, close: head.includes("\r\nconnection: close") };
}

/** Latencies of one run, kept whole (a run is at most a few hundred thousand requests). */
class Latencies {
  private values = new Float64Array(1 << 16);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  /** Percentiles in whole milliseconds, rounded up. */
  summary(): LoadResult["latency"] {
    if (this.count === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
    const sorted = this.values.subarray(0, this.count).sort();
    const at = (p: number) => Math.ceil(percentile(sorted, p)!);
    return { p50: at(50), p90: at(90), p99: at(99), max: Math.ceil(sorted[this.count - 1]!) };
  }
}
