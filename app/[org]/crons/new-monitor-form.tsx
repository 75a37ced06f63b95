import { ActionForm, Field } from "../../_components/action-form";
import { createMonitorAction } from "./actions";

const select = "mt-1 block w-full rounded-md border border-slate-300 px-3 py-2";
const UNITS = ["minute", "hour", "day", "week", "month", "year"] as const;

/**
 * The "New monitor" form: both schedule kinds are on the form at once (no client script picks
 * one); the radio says which counts. Empty numbers take Sentry's defaults.
 */
export function NewMonitorForm({ org, projects }: { org: string; projects: { id: number; name: string; slug: string }[] }) {
  return (
    <ActionForm action={createMonitorAction.bind(null, org)} submit="Create monitor" keepInput className="space-y-4">
      <div className="grid gap-3 sm:grid-cols-3">
        <label className="block">
          <span className="text-sm font-medium">Project</span>
          <select name="project" required className={select}>
            {projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <Field label="Name" name="name" required maxLength={128} placeholder="Nightly report" />
        <Field label="Slug (from the name if empty)" name="slug" maxLength={50} pattern="[a-z0-9_\-]+" placeholder="nightly-report" />
      </div>
      <fieldset className="space-y-2">
        <legend className="text-sm font-medium">Schedule</legend>
        <div className="flex flex-wrap items-end gap-3">
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="scheduleType" value="crontab" defaultChecked /> Crontab
          </label>
          <input
            name="crontab"
            defaultValue="0 * * * *"
            aria-label="Crontab"
            maxLength={100}
            className="rounded-md border border-slate-300 px-3 py-2 font-mono text-sm"
          />
          <label className="flex items-center gap-2 text-sm">
            <input type="radio" name="scheduleType" value="interval" /> Every
          </label>
          <input
            name="intervalValue"
            type="number"
            min={1}
            defaultValue={1}
            aria-label="Interval"
            className="w-20 rounded-md border border-slate-300 px-2 py-2 text-sm"
          />
          <select name="intervalUnit" aria-label="Interval unit" defaultValue="hour" className="rounded-md border border-slate-300 px-2 py-2 text-sm">
            {UNITS.map((unit) => (
              <option key={unit} value={unit}>
                {unit}s
              </option>
            ))}
          </select>
        </div>
      </fieldset>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Time zone" name="timezone" list="time-zones" placeholder="UTC" maxLength={64} />
        <Field label="Check-in margin (minutes)" name="checkinMargin" type="number" min={1} placeholder="1" />
        <Field label="Max runtime (minutes)" name="maxRuntime" type="number" min={1} placeholder="30" />
        <Field label="Failures before an issue" name="failureIssueThreshold" type="number" min={1} placeholder="1" />
        <Field label="OKs before it resolves" name="recoveryThreshold" type="number" min={1} placeholder="1" />
      </div>
      <datalist id="time-zones">
        {Intl.supportedValuesOf("timeZone").map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
    </ActionForm>
  );
}
