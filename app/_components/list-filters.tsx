// The filter row's parts the list pages share (releases, crons, feedback, issues).

type ProjectOption = { id: number; slug: string; name: string };

/** "All projects" or one, sent as `project` by the page's GET form: its id, or its slug. */
export function ProjectSelect({ projects, selected, by }: { projects: ProjectOption[]; selected: string; by: "id" | "slug" }) {
  return (
    <select name="project" defaultValue={selected} aria-label="Project" className="rounded-md border border-slate-300 px-2 py-2 text-sm">
      <option value="">All projects</option>
      {projects.map((p) => (
        <option key={p.id} value={by === "id" ? p.id : p.slug}>
          {p.name}
        </option>
      ))}
    </select>
  );
}

export function SubmitFilter({ label = "Filter" }: { label?: string }) {
  return (
    <button type="submit" className="rounded-md bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-700">
      {label}
    </button>
  );
}

/** Why the list could not be read (a bad query, an unknown project), when there is a reason. */
export function ListProblem({ problem }: { problem: string | null | undefined }) {
  if (!problem) return null;
  return (
    <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
      {problem}
    </p>
  );
}
