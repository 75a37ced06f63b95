// A process that goes quiet keeps its heap at the high-water mark of its last burst: V8
// collects when JavaScript allocates, and its memory reducer did not run in 25 s of quiet
// (the worker sat at 85 MB of heap for 48 MB live, plus Buffers already garbage). One full
// collection once the process has been quiet for a while gives that memory back. It needs
// `node --expose-gc` (the start:* scripts pass it); without it, this does nothing.

const QUIET_MS = 10_000;
// Below this much to gain, a collection is not worth its pause.
const WORTH_BYTES = 8 * 1024 * 1024;

export type IdleCollector = {
  /** A unit of work (a request, a job) began. */
  begin(): void;
  /** It ended; once nothing has run for a while, the heap is collected. */
  end(): void;
};

/** Collects the heap when no work has run for QUIET_MS and there is memory to give back. */
export function idleCollector(): IdleCollector {
  const gc = (globalThis as { gc?: () => void }).gc;
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  const collect = () => {
    if (running > 0 || !gc) return;
    const { heapTotal, heapUsed, arrayBuffers } = process.memoryUsage();
    if (heapTotal - heapUsed + arrayBuffers >= WORTH_BYTES) gc();
  };
  // Starting up is a burst too (modules, the first queries).
  if (gc) timer = setTimeout(collect, QUIET_MS).unref();
  return {
    begin() {
      running++;
      clearTimeout(timer);
    },
    end() {
      running = Math.max(0, running - 1);
      if (running > 0 || !gc) return;
      clearTimeout(timer);
      timer = setTimeout(collect, QUIET_MS);
      timer.unref();
    },
  };
}
