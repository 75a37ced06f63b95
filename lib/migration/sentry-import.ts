import { z } from "zod";
import { unsafeCreateDefaultAlertRule } from "../alerts/rules";
import { audit } from "../audit";
import { db } from "../db";
import { env } from "../env";
import { AppError } from "../errors";
import { formatDsn } from "../projects/dsn";
import { newProjectKey } from "../projects";
import { PLATFORM_IDS, type PlatformId } from "../projects/platforms";
import { slugSchema, slugify } from "../slug";

// Copies a Sentry (or GlitchTip) organization's projects and client keys into one of ours,
// through the source's REST API:
//   GET {url}/api/0/organizations/{org}/projects/           (Link-header paging)
//   GET {url}/api/0/projects/{org}/{project}/keys/          (Link-header paging)
// Keys keep their public and secret parts, so a DSN changes only in its host and project id.
// Idempotent: a project whose slug exists in the target org is kept, a key that exists is
// skipped, so a rerun copies only what is new.

export type ImportInput = {
  /** base URL of the source server, e.g. https://sentry.io */
  url: string;
  token: string;
  /** the organization's slug at the source */
  org: string;
  /** the slug of our organization the projects go into */
  into: string;
  /** for tests: the HTTP client */
  fetch?: typeof fetch;
  /** each line of the report as it happens */
  log?: (line: string) => void;
};

export type KeyOutcome = "copied" | "exists" | "in_use" | "invalid";
export type ProjectReport = {
  slug: string;
  sourceSlug: string;
  status: "created" | "exists";
  platform: string;
  keys: { publicKey: string; outcome: KeyOutcome }[];
  /** a key made here because none of the source's could be copied */
  newKey: boolean;
  dsn: string | null;
};
export type ImportReport = {
  source: string;
  org: string;
  into: string;
  projects: ProjectReport[];
  summary: {
    created: number;
    existed: number;
    copied: number;
    keysExisted: number;
    inUse: number;
    invalid: number;
  };
};

const sourceProject = z.object({
  slug: z.string().min(1),
  name: z.string().nullish(),
  platform: z.string().nullish(),
});

// Sentry sends 32 hex digits; GlitchTip the same (older versions: a dashed UUID).
const hexKey = z
  .string()
  .transform((k) => k.replaceAll("-", "").toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{32}$/));

const sourceKey = z.object({
  public: z.string(),
  secret: z.string().nullish(),
  label: z.string().nullish(),
  name: z.string().nullish(),
  isActive: z.boolean().nullish(),
  rateLimit: z.object({ count: z.number().nullish(), window: z.number().nullish() }).nullish(),
});

const MAX_PAGES = 1000;
const TIMEOUT_MS = 30_000;

/** Runs the import and returns what it did (also told line by line through `log`). */
export async function unsafeImportFromSentry(input: ImportInput): Promise<ImportReport> {
  const base = parseBase(input.url);
  const log = input.log ?? (() => {});
  const client = sourceClient(base, input.token, input.fetch ?? fetch);
  const target = await db().organization.findUnique({
    where: { slug: input.into },
    select: { id: true, slug: true },
  });
  if (!target)
    throw new AppError(
      "not_found",
      `no organization "${input.into}" here: create it first (or check --into)`,
    );
  const org = encodeURIComponent(input.org);

  log(
    `importing projects of "${input.org}" from ${base.origin}${base.pathname.replace(/\/$/, "")} into "${target.slug}"`,
  );
  const projects = (
    await client.list(`api/0/organizations/${org}/projects/`, `the projects of "${input.org}"`)
  ).map((raw, i) => parse(sourceProject, raw, `project ${i + 1} of the list`));
  const report: ImportReport = {
    source: base.href,
    org: input.org,
    into: target.slug,
    projects: [],
    summary: { created: 0, existed: 0, copied: 0, keysExisted: 0, inUse: 0, invalid: 0 },
  };
  for (const project of projects) {
    const keys = (
      await client.list(
        `api/0/projects/${org}/${encodeURIComponent(project.slug)}/keys/`,
        `the keys of project "${project.slug}"`,
      )
    ).map((raw, i) => parse(sourceKey, raw, `key ${i + 1} of project "${project.slug}"`));
    const result = await importProject(target.id, project, keys);
    report.projects.push(result);
    const s = report.summary;
    if (result.status === "created") s.created++;
    else s.existed++;
    for (const key of result.keys) {
      if (key.outcome === "copied") s.copied++;
      else if (key.outcome === "exists") s.keysExisted++;
      else if (key.outcome === "in_use") s.inUse++;
      else s.invalid++;
    }
    logProject(log, result);
  }
  const s = report.summary;
  log(
    `${projects.length} project${projects.length === 1 ? "" : "s"}: ${s.created} created, ${s.existed} existed; ` +
      `${s.copied + s.keysExisted + s.inUse + s.invalid} keys: ${s.copied} copied, ${s.keysExisted} existed, ${s.inUse} in use elsewhere` +
      (s.invalid ? `, ${s.invalid} unreadable` : ""),
  );
  if (report.projects.some((p) => p.dsn)) {
    log("DSNs (only the host and project id change):");
    const width = Math.max(...report.projects.map((p) => p.slug.length));
    for (const p of report.projects) if (p.dsn) log(`  ${p.slug.padEnd(width)}  ${p.dsn}`);
  }
  return report;
}

function logProject(log: (line: string) => void, p: ProjectReport): void {
  const renamed = p.slug === p.sourceSlug ? "" : ` (was ${p.sourceSlug})`;
  log(
    p.status === "created"
      ? `project ${p.slug}${renamed}: created (${p.platform})`
      : `project ${p.slug}${renamed}: exists, skipped`,
  );
  for (const key of p.keys) {
    const short = `${key.publicKey.slice(0, 8)}…`;
    const text = {
      copied: "copied",
      exists: "exists",
      in_use: "in use by another project here: not copied",
      invalid: "not a Sentry key: skipped",
    }[key.outcome];
    log(`  key ${short}: ${text}`);
  }
  if (p.newKey) log("  no key could be copied: made a new one (this DSN changes completely)");
}

type SourceProject = z.infer<typeof sourceProject>;
type SourceKey = z.infer<typeof sourceKey>;

/** Creates the project (unless its slug exists) and the keys it lacks, in one transaction. */
async function importProject(
  orgId: number,
  source: SourceProject,
  keys: SourceKey[],
): Promise<ProjectReport> {
  const slug = ourSlug(source.slug);
  const platform = platformFromSentry(source.platform);
  return db().$transaction(async (tx) => {
    const existing = await tx.project.findUnique({
      where: { orgId_slug: { orgId, slug } },
      select: { id: true, platform: true },
    });
    const project =
      existing ??
      (await tx.project.create({
        data: { orgId, slug, name: (source.name?.trim() || source.slug).slice(0, 100), platform },
        select: { id: true, platform: true },
      }));
    // The source's alert rules are not copied (its API keeps them apart from projects), so a
    // new project starts with the default rule like one made here.
    if (!existing) await unsafeCreateDefaultAlertRule(tx, project.id);
    const outcomes: ProjectReport["keys"] = [];
    for (const key of keys) {
      const publicKey = hexKey.safeParse(key.public);
      const secretKey = hexKey.safeParse(key.secret ?? "");
      if (!publicKey.success) {
        outcomes.push({ publicKey: key.public, outcome: "invalid" });
        continue;
      }
      const holder = await tx.projectKey.findUnique({
        where: { publicKey: publicKey.data },
        select: { projectId: true },
      });
      if (holder) {
        outcomes.push({
          publicKey: publicKey.data,
          outcome: holder.projectId === project.id ? "exists" : "in_use",
        });
        continue;
      }
      await tx.projectKey.create({
        data: {
          projectId: project.id,
          publicKey: publicKey.data,
          // Only the public key is in a DSN; a source without a secret gets a fresh one.
          secretKey: secretKey.success ? secretKey.data : newProjectKey(),
          label: (key.label || key.name || "Default").slice(0, 64),
          active: key.isActive ?? true,
          ...rateLimitOf(key.rateLimit),
        },
      });
      outcomes.push({ publicKey: publicKey.data, outcome: "copied" });
    }
    let newKey = false;
    if (!existing && !outcomes.some((k) => k.outcome === "copied")) {
      await tx.projectKey.create({
        data: { projectId: project.id, publicKey: newProjectKey(), secretKey: newProjectKey() },
      });
      newKey = true;
    }
    if (!existing) {
      await audit(
        { userId: null, orgId },
        {
          action: "project.imported",
          targetType: "project",
          targetId: project.id,
          data: { slug, source: source.slug, keys: outcomes.length },
        },
        tx,
      );
    }
    const first = await tx.projectKey.findFirst({
      where: { projectId: project.id, active: true },
      orderBy: { id: "asc" },
      select: { publicKey: true },
    });
    return {
      slug,
      sourceSlug: source.slug,
      status: existing ? "exists" : "created",
      platform: existing ? existing.platform : platform,
      keys: outcomes,
      newKey,
      dsn: first ? formatDsn(env().INGEST_URL, first.publicKey, project.id) : null,
    };
  });
}

/** Our slug for a source slug: Sentry allows underscores and more; ours are [a-z0-9-]. */
export function ourSlug(sourceSlug: string): string {
  const direct = slugSchema.safeParse(sourceSlug);
  return direct.success ? direct.data : slugify(sourceSlug, "project");
}

// Sentry's platform ids are "<language>[-<framework>]" ("python-django", "node-express",
// "javascript-react"); ours are the languages of platforms.ts.
const PLATFORM_PREFIXES: [string, PlatformId][] = [
  ["javascript-nextjs", "nextjs"],
  ["node", "node"],
  ["javascript", "javascript"],
  ["python", "python"],
  ["ruby", "ruby"],
  ["go", "go"],
  ["java", "java"],
  ["android", "java"],
  ["php", "php"],
];

export function platformFromSentry(platform: string | null | undefined): PlatformId {
  const p = (platform ?? "").toLowerCase();
  if ((PLATFORM_IDS as readonly string[]).includes(p)) return p as PlatformId;
  return PLATFORM_PREFIXES.find(([prefix]) => p === prefix || p.startsWith(`${prefix}-`))?.[1] ?? "other";
}

// Our key rate limits: both parts or neither, within what lib/projects/manage.ts allows.
function rateLimitOf(limit: SourceKey["rateLimit"]): { rateLimitCount?: number; rateLimitWindow?: number } {
  const count = limit?.count;
  const window = limit?.window;
  if (!count || !window || count < 1 || window < 1 || count > 1_000_000_000 || window > 86_400) return {};
  return { rateLimitCount: Math.floor(count), rateLimitWindow: Math.floor(window) };
}

function parseBase(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new AppError(
      "bad_request",
      `--url must be the source server's address, e.g. https://sentry.io (got "${url}")`,
    );
  }
  if (base.protocol !== "https:" && base.protocol !== "http:")
    throw new AppError("bad_request", "--url must be an http(s) address");
  // The API lives under the server's root (or its path prefix): relative paths resolve from here.
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  base.search = "";
  base.hash = "";
  return base;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success)
    throw new AppError(
      "bad_request",
      `the source answered an unexpected shape for ${what}: ${z.prettifyError(result.error)}`,
    );
  return result.data;
}

/** The source's API: authenticated GETs, and lists followed through their Link headers. */
function sourceClient(base: URL, token: string, fetcher: typeof fetch) {
  async function get(url: URL, what: string): Promise<{ body: unknown; next: URL | null }> {
    let res: Response;
    try {
      res = await fetcher(url, {
        headers: { authorization: `Bearer ${token}`, accept: "application/json" },
        // A redirect is reported, not followed: the token must not travel anywhere unexpected.
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new AppError(
        "bad_request",
        `cannot reach ${url.origin} for ${what}: ${error instanceof Error ? error.message : error}`,
      );
    }
    const text = await res.text();
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      throw new AppError(
        "bad_request",
        `${url.origin} redirects ${what} to ${location ?? "elsewhere"}: give that server as --url`,
      );
    }
    if (!res.ok) {
      const hint =
        res.status === 401
          ? ": the token was refused"
          : res.status === 403
            ? ": the token lacks a scope (it needs org:read and project:read)"
            : res.status === 404
              ? ": not found (check --org and --url)"
              : "";
      throw new AppError(
        "bad_request",
        `${url.origin} answered ${res.status} for ${what}${hint} ${detailOf(text)}`.trim(),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError(
        "bad_request",
        `${url.origin} did not answer JSON for ${what}: is --url the Sentry server's address?`,
      );
    }
    return { body, next: nextPage(res.headers.get("link"), url) };
  }

  return {
    /** Every item of a list, page after page. */
    async list(path: string, what: string): Promise<unknown[]> {
      const items: unknown[] = [];
      const seen = new Set<string>();
      let url: URL | null = new URL(path, base);
      for (let page = 0; url; page++) {
        if (page === MAX_PAGES || seen.has(url.href))
          throw new AppError("bad_request", `the source's paging of ${what} does not end`);
        seen.add(url.href);
        const { body, next } = await get(url, what);
        if (!Array.isArray(body))
          throw new AppError("bad_request", `the source answered a non-list for ${what}`);
        items.push(...body);
        // The token goes to the source's own host only, never wherever a Link header points.
        if (next && next.origin !== base.origin)
          throw new AppError(
            "bad_request",
            `the source's next page of ${what} is on another host (${next.origin})`,
          );
        url = next;
      }
      return items;
    },
  };
}

function detailOf(text: string): string {
  try {
    const detail = (JSON.parse(text) as { detail?: unknown }).detail;
    return typeof detail === "string" ? `(${detail})` : "";
  } catch {
    return "";
  }
}

/**
 * The next page from Sentry's Link header:
 * `<url>; rel="previous"; results="false"; cursor="...", <url>; rel="next"; results="true"; cursor="..."`.
 * Only followed while `results` is "true" (GlitchTip and others may leave `results` out).
 */
export function nextPage(header: string | null, current: URL): URL | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const params = new Map(
      [...match[2]!.matchAll(/;\s*([a-z]+)\s*=\s*"?([^";]*)"?/gi)].map(
        (m) => [m[1]!.toLowerCase(), m[2]!] as const,
      ),
    );
    if (params.get("rel") !== "next") continue;
    if (params.get("results") === "false") return null;
    try {
      return new URL(match[1]!, current);
    } catch {
      return null;
    }
  }
  return null;
}
