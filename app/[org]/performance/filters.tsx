// The performance pages' filter controls, sent by a GET form (no script): environment,
// release and period, beside the shared project select and submit button.

/** The periods the pages offer, as Sentry's statsPeriod; the first of the list pages is 24h. */
export const PERIODS = ["1h", "24h", "7d", "14d", "30d"] as const;
export const DEFAULT_PERIOD = "24h";

const control = "rounded-md border border-slate-300 px-2 py-2 text-sm";

/** The period of the URL when it is one of PERIODS, else the default. */
export const periodOf = (value: string | undefined) => ((PERIODS as readonly string[]).includes(value ?? "") ? value! : DEFAULT_PERIOD);

export function EnvironmentSelect({ environments, selected }: { environments: string[]; selected: string }) {
  return (
    <select name="environment" defaultValue={selected} aria-label="Environment" className={control}>
      <option value="">All environments</option>
      {environments.map((e) => (
        <option key={e}>{e}</option>
      ))}
    </select>
  );
}

export function ReleaseInput({ value }: { value: string }) {
  return (
    <label>
      <span className="sr-only">Release</span>
      <input name="release" defaultValue={value} placeholder="Release" className={`${control} w-40 font-mono`} />
    </label>
  );
}

export function PeriodSelect({ selected }: { selected: string }) {
  return (
    <select name="statsPeriod" defaultValue={selected} aria-label="Time range" className={control}>
      {PERIODS.map((p) => (
        <option key={p} value={p}>
          Last {p}
        </option>
      ))}
    </select>
  );
}
