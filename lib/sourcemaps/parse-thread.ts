import { Worker } from "node:worker_threads";
import type { CompactMap } from "./compact-map";
import { InvalidSourceMapError, type LoadedMap, MapTooLargeError, type SourceLines } from "./loaded-map";
import type { ScopeIndex } from "./scopes";

/**
 * Loading a cold source map is CPU work measured in seconds for a large app (a 4.9 MB map and
 * its 0.9 MB minified file: ~0.15-0.4 s decoding the mappings, 0.5-1.1 s for acorn). On the
 * worker's main thread that stalls every tenant's drains, alerts and maintenance meanwhile, so
 * it runs in one worker thread: started when first needed, one map at a time, replaced when it
 * dies or overruns its time, stopped when idle (its heap is freed with it).
 *
 * Maps wait in one queue per tenant, served in turn (round-robin), so a tenant with a hundred
 * cold maps delays another's one map by one parse, not a hundred. The queue is bounded in
 * entries and bytes, and per tenant in entries; past them a map is refused, not queued.
 */

export type ParseRequest = { url: string; map: Uint8Array; minified: string | null };
export type ParseReply =
  | { ok: true; map: CompactMap; scopes: ScopeIndex | null; minifiedLineStarts: Int32Array | null; sourceLines: SourceLines; weight: number }
  /** refusal: not a source map (invalid) or past the bounds (too-large); null for anything else */
  | { ok: false; refusal: "invalid" | "too-large" | null; message: string };

/** Why the thread gave no answer: it overran its time or heap, it died, or its queue was full. */
export class ParseThreadError extends Error {
  constructor(
    readonly reason: "timeout" | "memory" | "died" | "busy",
    message: string,
  ) {
    super(message);
  }
}

export type ParseThreadOptions = {
  timeoutMs: number;
  maxQueued: number;
  maxQueuedBytes: number;
  /** maps one tenant may have waiting: its flood is refused before it fills the queue */
  maxQueuedPerTenant: number;
  /** the thread is stopped after this long without work */
  idleMs: number;
  /** the thread's old-generation heap: a map past it kills the thread, not the worker */
  maxHeapMb: number;
  /** the thread's entry (tests); by default the one beside this module or bundle */
  entry?: URL;
};

type Job = {
  tenant: string;
  request: ParseRequest;
  bytes: number;
  resolve: (loaded: LoadedMap) => void;
  reject: (error: Error) => void;
};

export class ParseThread {
  private worker: Worker | null = null;
  /** waiting maps by tenant; a Map iterates in insertion order, and a served tenant goes to the back */
  private readonly queues = new Map<string, Job[]>();
  private queuedCount = 0;
  private queuedBytes = 0;
  private lastTenant: string | null = null;
  private current: Job | null = null;
  private deadline: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  /** threads started so far (tests: a dead or stuck thread is replaced) */
  started = 0;
  /** maps the thread answered for, parsed or refused (tests: a remembered failure is not parsed again) */
  answered = 0;

  constructor(readonly options: ParseThreadOptions) {}

  /**
   * The map (and the minified file's scope index) parsed in the thread. `mapBytes` is handed
   * over: when it owns its memory, that memory moves to the thread instead of being copied.
   * `tenant` is whose map it is, for taking turns. Rejects with InvalidSourceMapError for what
   * is not a source map, MapTooLargeError past the bounds (bounds.ts), else ParseThreadError.
   */
  parse(url: string, mapBytes: Uint8Array, minified: string | null, tenant = ""): Promise<LoadedMap> {
    const bytes = mapBytes.byteLength + (minified?.length ?? 0);
    const waiting = this.queues.get(tenant);
    if ((waiting?.length ?? 0) >= this.options.maxQueuedPerTenant)
      return Promise.reject(new ParseThreadError("busy", `source map parse queue full for this tenant (${waiting!.length} waiting)`));
    if (this.queuedCount >= this.options.maxQueued || this.queuedBytes + bytes > this.options.maxQueuedBytes)
      return Promise.reject(new ParseThreadError("busy", `source map parse queue full (${this.queuedCount} waiting)`));
    const owned =
      mapBytes.byteOffset === 0 && mapBytes.byteLength === mapBytes.buffer.byteLength && mapBytes.buffer instanceof ArrayBuffer;
    const map = owned ? new Uint8Array(mapBytes.buffer) : new Uint8Array(mapBytes);
    return new Promise<LoadedMap>((resolve, reject) => {
      const job = { tenant, request: { url, map, minified }, bytes, resolve, reject };
      if (waiting) waiting.push(job);
      else this.queues.set(tenant, [job]);
      this.queuedCount++;
      this.queuedBytes += bytes;
      this.next();
    });
  }

  /** Maps waiting, not counting the one being parsed. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Stops the thread; what is queued or running is refused. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    clearTimeout(this.deadline);
    clearTimeout(this.idle);
    const jobs = [this.current, ...[...this.queues.values()].flat()];
    this.queues.clear();
    this.current = null;
    this.queuedCount = 0;
    this.queuedBytes = 0;
    for (const job of jobs) job?.reject(new ParseThreadError("died", "source map thread closed"));
    await worker?.terminate();
  }

  private next(): void {
    if (this.current) return;
    const job = this.takeTurn();
    if (!job) {
      this.goIdle();
      return;
    }
    this.queuedCount--;
    this.queuedBytes -= job.bytes;
    this.current = job;
    clearTimeout(this.idle);
    const worker = this.worker ?? this.spawn();
    worker.ref(); // a parse under way keeps the process up; an idle thread does not
    this.deadline = setTimeout(() => {
      // synchronous work cannot be interrupted: the thread goes, the next job gets a new one
      this.lose(worker, new ParseThreadError("timeout", `source map parse took longer than ${this.options.timeoutMs} ms`));
    }, this.options.timeoutMs);
    worker.postMessage(job.request, [job.request.map.buffer as ArrayBuffer]);
  }

  /**
   * The first waiting tenant's oldest map; that tenant goes behind the others. The tenant just
   * served waits behind the others too, though its queue emptied and started again meanwhile.
   */
  private takeTurn(): Job | undefined {
    for (const [tenant, jobs] of this.queues) {
      this.queues.delete(tenant);
      if (tenant === this.lastTenant && this.queues.size > 0) {
        this.queues.set(tenant, jobs);
        continue;
      }
      this.lastTenant = tenant;
      const job = jobs.shift();
      if (jobs.length > 0) this.queues.set(tenant, jobs);
      if (job) return job;
    }
    return undefined;
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.entry ?? threadEntry(), {
      execArgv: [], // the worker's own node flags (heap sizes, --import) are not the thread's
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb },
    });
    this.worker = worker;
    this.started++;
    worker.on("message", (reply: ParseReply) => this.answer(worker, reply));
    worker.on("error", (error: Error & { code?: string }) => {
      const memory = error.code === "ERR_WORKER_OUT_OF_MEMORY";
      this.lose(
        worker,
        new ParseThreadError(memory ? "memory" : "died", memory ? `source map parse ran out of its ${this.options.maxHeapMb} MB heap` : `source map thread failed: ${error.message}`),
      );
    });
    worker.on("messageerror", (error) => this.lose(worker, new ParseThreadError("died", `source map thread reply unreadable: ${error.message}`)));
    worker.on("exit", (code) => this.lose(worker, new ParseThreadError("died", `source map thread exited (${code})`)));
    return worker;
  }

  private answer(worker: Worker, reply: ParseReply): void {
    const job = this.current;
    if (worker !== this.worker || !job) return;
    clearTimeout(this.deadline);
    this.current = null;
    this.answered++;
    if (reply.ok) {
      const { url, minified } = job.request;
      job.resolve({
        url,
        map: reply.map,
        // kept for scope naming only: not when it has no scope index (the thread left it out of the weight)
        minified: reply.scopes ? minified : null,
        scopes: reply.scopes,
        minifiedLineStarts: reply.minifiedLineStarts ?? undefined,
        sourceLines: reply.sourceLines,
        weight: reply.weight,
      });
    } else {
      const { refusal, message } = reply;
      job.reject(
        refusal === "invalid" ? new InvalidSourceMapError(message) : refusal === "too-large" ? new MapTooLargeError(message) : new Error(message),
      );
    }
    this.next();
  }

  /** The thread is gone or given up (died, overran): its job fails, the next one gets a new thread. */
  private lose(worker: Worker, error: ParseThreadError): void {
    if (worker !== this.worker) return; // an earlier thread, already replaced
    this.worker = null;
    void worker.terminate(); // nothing when it has exited already
    clearTimeout(this.deadline);
    const job = this.current;
    this.current = null;
    job?.reject(error);
    this.next();
  }

  private goIdle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker !== worker || this.current) return;
      this.worker = null;
      void worker.terminate();
    }, this.options.idleMs);
    this.idle.unref();
  }
}

/**
 * Run from TypeScript (tsx, vitest), the thread starts from a plain module that registers tsx
 * in it (a thread does not inherit the loader); from the esbuild bundle (dist/workers/), from
 * sourcemap-thread.js, which `npm run build:workers` writes beside worker.js.
 */
function threadEntry(): URL {
  return import.meta.url.endsWith(".ts")
    ? new URL("./map-thread-boot.mjs", import.meta.url)
    : new URL("./sourcemap-thread.js", import.meta.url);
}
