import type { serializeEvent } from "@/lib/api/serializers/event";

/**
 * An event's interfaces as the issue page shows them, drawn from the REST API's event shape
 * (`entries`, `contexts`, `user`, `sdk`), so the dashboard and the API never disagree.
 */

type Event = ReturnType<typeof serializeEvent>;
type Entry = Event["entries"][number];
type Json = Record<string, unknown>;
type Frame = {
  filename: string | null;
  module: string | null;
  function: string | null;
  lineNo: number | null;
  colNo: number | null;
  inApp: boolean;
  context: [number, string][];
  vars: Json | null;
};
type Stacktrace = { frames: Frame[]; framesOmitted: unknown };
type ExceptionValue = {
  type: string | null;
  value: string | null;
  mechanism: Json | null;
  stacktrace: Stacktrace | null;
  // the frames as the SDK sent them, kept when source maps rewrote `stacktrace`
  rawStacktrace: Stacktrace | null;
};

const entry = (event: Event, type: string): Entry | undefined => event.entries.find((e) => e.type === type);
const section = "space-y-2";
const h3 = "text-sm font-semibold uppercase tracking-wide text-slate-500";

/** Whether any exception of the event has minified frames kept beside its symbolicated ones. */
export function hasRawFrames(event: Event): boolean {
  const exception = entry(event, "exception")?.data as { values: ExceptionValue[] } | undefined;
  return exception?.values.some((v) => v.rawStacktrace !== null && v.rawStacktrace !== undefined) ?? false;
}

export function EventEntries({ event, fullFrames, minified = false }: { event: Event; fullFrames: boolean; minified?: boolean }) {
  const exception = entry(event, "exception")?.data as { values: ExceptionValue[] } | undefined;
  const stacktrace = entry(event, "stacktrace")?.data as Stacktrace | undefined;
  const message = entry(event, "message")?.data as { formatted: string } | undefined;
  const breadcrumbs = entry(event, "breadcrumbs")?.data as { values: Json[] } | undefined;
  const request = entry(event, "request")?.data as Json | undefined;
  return (
    <div className="space-y-6">
      <ProcessingHints errors={event.errors} />
      {message?.formatted ? (
        <section className={section}>
          <h3 className={h3}>Message</h3>
          <pre className="whitespace-pre-wrap break-words rounded bg-slate-50 p-3 text-sm">{message.formatted}</pre>
        </section>
      ) : null}
      {exception ? (
        <section className={section} data-testid="stack-trace">
          <h3 className={h3}>Exception{exception.values.length > 1 ? "s (most recent first)" : ""}</h3>
          {/* Sentry stores causes first; the outermost (the issue's title) reads first. */}
          {[...exception.values].reverse().map((value, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: an event's lists render once and are never reordered
            <div key={`${value.type}-${i}`} className="space-y-2">
              {i > 0 ? <p className="text-xs text-slate-500">caused by</p> : null}
              <p className="break-words font-mono text-sm">
                <strong>{value.type}</strong>
                {value.value ? `: ${value.value}` : ""}
                {value.mechanism && value.mechanism.handled === false ? (
                  <span className="ml-2 rounded bg-red-100 px-1.5 text-xs text-red-800">unhandled</span>
                ) : null}
              </p>
              {minified && value.rawStacktrace ? (
                <Frames stacktrace={value.rawStacktrace} full={fullFrames} />
              ) : value.stacktrace ? (
                <Frames stacktrace={value.stacktrace} full={fullFrames} />
              ) : null}
            </div>
          ))}
        </section>
      ) : null}
      {!exception && stacktrace ? (
        <section className={section} data-testid="stack-trace">
          <h3 className={h3}>Stack trace</h3>
          <Frames stacktrace={stacktrace} full={fullFrames} />
        </section>
      ) : null}
      {breadcrumbs ? (
        <section className={section} data-testid="breadcrumbs">
          <h3 className={h3}>Breadcrumbs</h3>
          <div className="overflow-x-auto">
            <table className="w-full text-left text-xs">
              <thead>
                <tr className="border-b text-slate-500">
                  <th className="py-1 pr-2">Time</th>
                  <th className="pr-2">Category</th>
                  <th className="pr-2">Level</th>
                  <th>Message / data</th>
                </tr>
              </thead>
              <tbody>
                {breadcrumbs.values.map((crumb, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: an event's lists render once and are never reordered
                  <tr key={`${String(crumb.timestamp)}-${i}`} className="border-b align-top">
                    <td className="whitespace-nowrap py-1 pr-2 font-mono">{String(crumb.timestamp ?? "").slice(11, 23)}</td>
                    <td className="pr-2">{String(crumb.category ?? crumb.type ?? "")}</td>
                    <td className="pr-2">{String(crumb.level ?? "")}</td>
                    <td className="break-all font-mono">
                      {crumb.message ? String(crumb.message) : null}
                      {crumb.data ? <span className="text-slate-500"> {JSON.stringify(crumb.data)}</span> : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      {request ? (
        <section className={section} data-testid="request">
          <h3 className={h3}>Request</h3>
          <p className="break-all font-mono text-sm">
            <strong>{String(request.method ?? "")}</strong> {String(request.url ?? "")}
          </p>
          <KeyValues rows={[...pairsOf(request.query).map(([k, v]): [string, string] => [`query ${k}`, v]), ...pairsOf(request.headers)]} />
        </section>
      ) : null}
      {event.user ? (
        <section className={section}>
          <h3 className={h3}>User</h3>
          <KeyValues rows={Object.entries(event.user).filter(([, v]) => v !== null).map(([k, v]) => [k, display(v)])} />
        </section>
      ) : null}
      {Object.keys(event.contexts).length > 0 ? (
        <section className={section}>
          <h3 className={h3}>Contexts</h3>
          <div className="grid gap-3 sm:grid-cols-2">
            {Object.entries(event.contexts).map(([name, context]) => (
              <div key={name}>
                <p className="text-sm font-medium">{name}</p>
                <KeyValues rows={Object.entries((context ?? {}) as Json).map(([k, v]) => [k, display(v)])} />
              </div>
            ))}
          </div>
        </section>
      ) : null}
      <section className={section}>
        <h3 className={h3}>Tags</h3>
        <div className="flex flex-wrap gap-1">
          {event.tags.map((t) => (
            <span key={t.key} className="rounded bg-slate-100 px-2 py-0.5 text-xs">
              {t.key}: <strong>{t.value}</strong>
            </span>
          ))}
        </div>
      </section>
      {event.sdk ? (
        <p className="text-xs text-slate-500">
          SDK {event.sdk.name} {event.sdk.version}
        </p>
      ) : null}
    </div>
  );
}

function Frames({ stacktrace, full }: { stacktrace: Stacktrace; full: boolean }) {
  const all = [...stacktrace.frames].reverse();
  const inApp = all.filter((f) => f.inApp);
  // Like Sentry: in-app frames only unless asked, and all frames when none is in-app.
  const frames = full || inApp.length === 0 ? all : inApp;
  return (
    <ol className="divide-y divide-slate-200 rounded border border-slate-200 bg-white text-sm">
      {frames.map((frame, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: an event's lists render once and are never reordered
        <li key={`${frame.filename}-${frame.lineNo}-${i}`} className={frame.inApp ? "" : "bg-slate-50 text-slate-600"}>
          <details open={i === 0}>
            <summary className="cursor-pointer break-all px-3 py-1.5 font-mono text-xs">
              {frame.filename ?? frame.module ?? "?"}
              {frame.function ? <span> in <strong>{frame.function}</strong></span> : null}
              {frame.lineNo !== null ? ` at line ${frame.lineNo}${frame.colNo !== null ? `:${frame.colNo}` : ""}` : ""}
              {frame.inApp ? <span className="ml-2 rounded bg-indigo-100 px-1 text-indigo-800">in app</span> : null}
            </summary>
            {frame.context.length > 0 ? (
              <pre className="overflow-x-auto bg-slate-900 py-1 text-xs text-slate-200">
                {frame.context.map(([line, code]) => (
                  <div key={line} className={line === frame.lineNo ? "bg-red-900/60 px-3" : "px-3"}>
                    <span className="mr-3 inline-block w-10 select-none text-right text-slate-500">{line}</span>
                    {code}
                  </div>
                ))}
              </pre>
            ) : null}
            {frame.vars ? (
              <div className="px-3 py-1">
                <KeyValues rows={Object.entries(frame.vars).map(([k, v]) => [k, display(v)])} />
              </div>
            ) : null}
          </details>
        </li>
      ))}
    </ol>
  );
}

// What went wrong while symbolicating, said as what to fix (Sentry's own words, which the API
// serializer gives as `message`, cover the other types), so a team sees why a frame stayed minified.
const HINTS: Record<string, string> = {
  js_no_source: "Source map not found for",
  js_invalid_source: "The minified file was not valid JavaScript:",
  js_invalid_sourcemap: "The source map is invalid or could not be parsed:",
  js_invalid_sourcemap_location: "The source map has no mapping for this position in",
  js_missing_sources_content: "The source map has no sourcesContent (no source lines to show) for",
  js_too_large: "The file is too large to process:",
  js_no_column: "No column number in the frame, so the source map cannot be applied to",
};

function ProcessingHints({ errors }: { errors: Event["errors"] }) {
  if (errors.length === 0) return null;
  return (
    <section className="rounded border border-amber-200 bg-amber-50 p-3 text-sm" data-testid="processing-errors">
      <h3 className="font-medium text-amber-900">
        {errors.length === 1 ? "There was 1 problem processing this event" : `There were ${errors.length} problems processing this event`}
      </h3>
      <ul className="mt-1 list-disc space-y-0.5 pl-5 text-amber-900">
        {errors.map((error, i) => {
          const { url, ...rest } = error.data as Json;
          const details = Object.entries(rest).filter(([, v]) => v !== null && v !== undefined);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: an event's lists render once and are never reordered
            <li key={`${error.type}-${i}`} className="break-all">
              {HINTS[error.type] ?? error.message}
              {typeof url === "string" ? (
                <>
                  {" "}
                  <code>{url}</code>
                </>
              ) : null}
              {details.length > 0 ? <span className="text-amber-800"> ({details.map(([k, v]) => `${k}: ${display(v)}`).join(", ")})</span> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function KeyValues({ rows }: { rows: [string, string][] }) {
  if (rows.length === 0) return null;
  return (
    <table className="w-full text-left text-xs">
      <tbody>
        {rows.map(([key, value], i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: an event's lists render once and are never reordered
          <tr key={`${key}-${i}`} className="border-b align-top">
            <th className="w-40 py-0.5 pr-2 font-medium text-slate-600">{key}</th>
            <td className="break-all font-mono">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function pairsOf(value: unknown): [string, string][] {
  return Array.isArray(value) ? value.filter((p): p is [string, string] => Array.isArray(p) && p.length === 2).map(([k, v]) => [String(k), display(v)]) : [];
}

function display(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
