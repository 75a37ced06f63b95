import { Sparkline } from "../../_components/charts";
import { LevelBadge } from "../../_components/issue-bits";

// A mock-up of an issue as the dashboard shows it, drawn in HTML (not a screenshot): what a
// visitor's first error will look like. Every value here is made up.

type Frame = {
  file: string;
  fn: string;
  line: number;
  col: number;
  inApp: boolean;
  context?: [number, string][];
};

const FRAMES: Frame[] = [
  {
    file: "src/cart.mjs",
    fn: "checkout",
    line: 42,
    col: 19,
    inApp: true,
    context: [
      [40, "export function checkout(session) {"],
      [41, "  const cart = session.cart;"],
      [42, "  return cart.total;"],
      [43, "}"],
    ],
  },
  { file: "src/routes/orders.mjs", fn: "handleOrder", line: 18, col: 12, inApp: true },
  { file: "node_modules/express/lib/router/layer.js", fn: "Layer.handle", line: 95, col: 5, inApp: false },
  {
    file: "node:internal/process/task_queues",
    fn: "process.processTicksAndRejections",
    line: 105,
    col: 5,
    inApp: false,
  },
];

const TAGS: [string, string][] = [
  ["environment", "production"],
  ["release", "my-app@1.0.0"],
  ["runtime", "node v20.19.0"],
  ["transaction", "POST /api/orders"],
  ["server_name", "api-3"],
];

const BREADCRUMBS: [string, string, string][] = [
  ["14:02:11", "http", "GET /api/cart [200]"],
  ["14:02:11", "query", "select * from carts where id = $1"],
  ["14:02:12", "cart", "Loading the cart"],
];

// Events per hour over the last day: quiet, then the deploy at 11:00.
const HOURLY = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 41, 96, 120, 88, 102, 131, 97, 76, 140, 118, 92, 100];

export function ExampleIssue() {
  const series = HOURLY.map((count, i): [number, number] => [i * 3600, count]);
  const total = HOURLY.reduce((a, b) => a + b, 0);
  return (
    <figure
      aria-labelledby="example-issue-caption"
      className="overflow-hidden rounded-xl border border-slate-200 bg-white text-left shadow-lg"
      data-testid="example-issue"
    >
      <div className="flex items-center gap-2 border-b border-slate-200 bg-slate-50 px-4 py-2 text-xs text-slate-600">
        <span aria-hidden="true" className="flex gap-1">
          <span className="h-2.5 w-2.5 rounded-full bg-slate-300" />
          <span className="h-2.5 w-2.5 rounded-full bg-slate-300" />
          <span className="h-2.5 w-2.5 rounded-full bg-slate-300" />
        </span>
        <span>acme / checkout-api / Issues / CHECKOUT-API-1F</span>
      </div>
      <div className="space-y-5 p-4 sm:p-6">
        <div className="space-y-2">
          <div className="flex flex-wrap items-center gap-2">
            <LevelBadge level="error" />
            <span className="rounded bg-indigo-100 px-1.5 py-0.5 text-xs font-medium text-indigo-800">
              New
            </span>
            <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-800">
              unhandled
            </span>
            <span className="text-xs text-slate-600">CHECKOUT-API-1F</span>
          </div>
          <p className="break-words font-mono text-base font-semibold text-slate-900">
            TypeError: Cannot read properties of undefined (reading &apos;total&apos;)
          </p>
          <p className="font-mono text-sm text-slate-600">checkout(src/cart.mjs)</p>
        </div>

        <dl className="grid grid-cols-2 gap-3 text-sm sm:grid-cols-4">
          {[
            ["Events", total.toLocaleString("en-US")],
            ["Users", "87"],
            ["First seen", "3 hours ago"],
            ["Last seen", "2 minutes ago"],
          ].map(([term, value]) => (
            <div key={term} className="rounded-md bg-slate-50 px-3 py-2">
              <dt className="text-xs text-slate-600">{term}</dt>
              <dd className="font-semibold tabular-nums text-slate-900">{value}</dd>
            </div>
          ))}
        </dl>
        <Sparkline
          series={series}
          width={600}
          height={40}
          label={`${total} events in the last 24 hours`}
          className="h-10 w-full"
        />

        <div className="space-y-2">
          <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">
            Stack trace (most recent call first)
          </p>
          <ol className="divide-y divide-slate-200 overflow-hidden rounded-md border border-slate-200 font-mono text-xs">
            {FRAMES.map((frame) => (
              <li
                key={`${frame.file}:${frame.line}`}
                className={frame.inApp ? "bg-white" : "bg-slate-50 text-slate-600"}
              >
                <p className="flex flex-wrap items-baseline gap-x-2 px-3 py-2">
                  <span className={frame.inApp ? "font-semibold text-slate-900" : ""}>{frame.file}</span>
                  <span>
                    in <span className={frame.inApp ? "font-semibold text-slate-900" : ""}>{frame.fn}</span>{" "}
                    at line {frame.line}:{frame.col}
                  </span>
                  {frame.inApp ? (
                    <span className="rounded bg-indigo-50 px-1 text-[0.7rem] text-indigo-800">in app</span>
                  ) : null}
                </p>
                {frame.context ? (
                  <div className="overflow-x-auto border-t border-slate-200 bg-slate-900 py-1 text-slate-200">
                    {frame.context.map(([n, code]) => (
                      <div
                        key={n}
                        className={`flex gap-3 px-3 ${n === frame.line ? "bg-red-900 text-white" : ""}`}
                      >
                        <span
                          className={`w-6 shrink-0 text-right ${n === frame.line ? "text-white" : "text-slate-400"}`}
                        >
                          {n}
                        </span>
                        <code className="whitespace-pre">{code}</code>
                      </div>
                    ))}
                  </div>
                ) : null}
              </li>
            ))}
          </ol>
        </div>

        <div className="grid gap-5 md:grid-cols-2">
          <div className="space-y-2">
            <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">Tags</p>
            <ul className="flex flex-wrap gap-1.5 text-xs">
              {TAGS.map(([key, value]) => (
                <li key={key} className="rounded border border-slate-200">
                  <span className="bg-slate-100 px-1.5 py-0.5 text-slate-700">{key}</span>
                  <span className="px-1.5 py-0.5 text-slate-900">{value}</span>
                </li>
              ))}
            </ul>
          </div>
          <div className="space-y-2">
            <p className="text-xs font-semibold uppercase tracking-wide text-slate-600">Breadcrumbs</p>
            <ul className="space-y-1 text-xs">
              {BREADCRUMBS.map(([time, category, message]) => (
                <li key={message} className="flex gap-2">
                  <span className="tabular-nums text-slate-600">{time}</span>
                  <span className="w-12 shrink-0 font-medium text-slate-800">{category}</span>
                  <span className="min-w-0 break-words font-mono text-slate-900">{message}</span>
                </li>
              ))}
            </ul>
          </div>
        </div>
      </div>
      <figcaption
        id="example-issue-caption"
        className="border-t border-slate-200 bg-slate-50 px-4 py-2 text-xs text-slate-600"
      >
        An example issue, drawn the way your dashboard shows one: grouped events, the stack trace with your
        code first, tags and the breadcrumbs that led to it.
      </figcaption>
    </figure>
  );
}
