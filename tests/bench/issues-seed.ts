// Set-based seeding for the issues-list benchmark (tests/bench/issues.bench.ts): everything is
// generated inside PostgreSQL with generate_series and insert ... select, from a handful of
// staging tables that are dropped at the end. Counters are derived from the generated events,
// so issues.times_seen / user_count, issue_tag_values and issue_hourly_counts
// agree with the events rows the way the real pipeline (lib/events/store-errors.ts) keeps them.
import type pg from "pg";

export type Kind = "browser" | "node" | "python" | "mobile";

export type SeedOptions = {
  issues: number;
  events: number;
  otherIssues: number;
  otherEvents: number;
  projects: number;
  days: number;
  /** Zipf exponent of events per issue (rank^-skew): 0.9 puts ~6% of the events on the top issue. */
  skew: number;
  /** Distinct end users of an org (user tag values "id:N"). */
  userSpace: number;
  log: (message: string) => void;
};

export type SeededOrg = { id: number; slug: string; ownerId: number; projectIds: number[] };
export type SeedResult = {
  org: SeededOrg;
  other: SeededOrg;
  steps: { step: string; ms: number; rows: number | null }[];
  totalMs: number;
  now: Date;
};

// Both orgs' projects; the first `projects` of MAIN_PROJECTS go to the org under test.
const MAIN_PROJECTS: { slug: string; name: string; platform: string; kind: Kind }[] = [
  { slug: "web-frontend", name: "Web frontend", platform: "javascript", kind: "browser" },
  { slug: "api-server", name: "API server", platform: "node", kind: "node" },
  { slug: "billing-worker", name: "Billing worker", platform: "python", kind: "python" },
  { slug: "mobile-app", name: "Mobile app", platform: "react-native", kind: "mobile" },
  { slug: "admin-panel", name: "Admin panel", platform: "javascript", kind: "browser" },
];
const OTHER_PROJECTS: { slug: string; name: string; platform: string; kind: Kind }[] = [
  { slug: "shop-web", name: "Shop web", platform: "javascript", kind: "browser" },
  { slug: "shop-api", name: "Shop API", platform: "python", kind: "python" },
];

// Placeholders: {id} identifier+issue number, {n} issue number, {ms} a timeout, {host}, {path},
// {comp}, {svc}, {fn}. Roughly one title in six mentions a timeout; one culprit function in 20
// is withTimeout.
const TEMPLATES: Record<Kind, [title: string, culprit: string][]> = {
  browser: [
    ["TypeError: Cannot read properties of undefined (reading '{id}')", "app/components/{comp}.tsx in {fn}"],
    ["TypeError: Cannot read properties of null (reading '{id}')", "app/components/{comp}.tsx in {fn}"],
    ["TypeError: {id} is not a function", "app/hooks/use{comp}.ts in {fn}"],
    ["ReferenceError: {id} is not defined", "app/pages/{comp}Page.tsx in {fn}"],
    ["ChunkLoadError: Loading chunk {n} failed.", "webpack/runtime/jsonp chunk loading in {fn}"],
    ["Error: Request timeout after {ms}ms ({path})", "app/lib/api-client.ts in {fn}"],
    ["AxiosError: timeout of {ms}ms exceeded", "app/lib/http.ts in {fn}"],
    ["TypeError: Failed to fetch ({host}{path})", "app/lib/api-client.ts in {fn}"],
    ["Error: Minified React error #{n}; visit https://react.dev/errors/{n} for the full message", "app/components/{comp}.tsx in {fn}"],
    ["SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON ({path}?v={n})", "app/lib/http.ts in {fn}"],
    ["Error: Non-Error promise rejection captured with value: {id}", "app/store/{svc}.ts in {fn}"],
    ["RangeError: Invalid time value ({id})", "app/components/{comp}.tsx in {fn}"],
  ],
  node: [
    ["Error: connect ECONNREFUSED 10.0.3.12:5432 ({svc}-{n})", "src/db/pool.ts in {fn}"],
    ["KnexTimeoutError: Knex: Timeout acquiring a connection. The pool is probably full. ({svc}/{n})", "src/services/{svc}.ts in {fn}"],
    ["QueryFailedError: canceling statement due to statement timeout ({svc}.{id})", "src/repositories/{svc}.ts in {fn}"],
    ["TypeError: Cannot destructure property '{id}' of 'undefined' as it is undefined.", "src/services/{svc}.ts in {fn}"],
    ["Error: ENOENT: no such file or directory, open '/srv/app/data/{id}.json'", "src/services/{svc}.ts in {fn}"],
    ["PrismaClientKnownRequestError: Unique constraint failed on the fields: (`{id}`)", "src/repositories/{svc}.ts in {fn}"],
    ["RangeError: Maximum call stack size exceeded ({svc}.{id})", "src/services/{svc}.ts in {fn}"],
    ["Error: getaddrinfo ENOTFOUND {host}", "src/clients/{svc}.ts in {fn}"],
    ["ValidationError: \"{id}\" is required", "src/routes/{svc}.ts in {fn}"],
    ["Error: socket hang up ({host}{path})", "src/clients/{svc}.ts in {fn}"],
  ],
  python: [
    ["KeyError: '{id}'", "app.tasks.{svc} in {fn}"],
    ["ValueError: invalid literal for int() with base 10: '{n}'", "app.views.{svc} in {fn}"],
    ["AttributeError: 'NoneType' object has no attribute '{id}'", "app.models.{svc} in {fn}"],
    ["requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='{host}', port=443): Read timed out. (read timeout={n})", "app.clients.{svc} in {fn}"],
    ["OperationalError: could not connect to server: Connection refused ({svc}-{n})", "app.db in {fn}"],
    ["ZeroDivisionError: division by zero ({svc}.{id})", "app.reports.{svc} in {fn}"],
    ["IntegrityError: duplicate key value violates unique constraint \"{id}_key\"", "app.models.{svc} in {fn}"],
    ["TypeError: unsupported operand type(s) for +: 'NoneType' and 'int' ({id})", "app.tasks.{svc} in {fn}"],
    ["celery.exceptions.SoftTimeLimitExceeded: SoftTimeLimitExceeded() ({svc}.{n})", "app.tasks.{svc} in {fn}"],
  ],
  mobile: [
    ["TypeError: Network request failed ({host}{path})", "src/api/client.ts in {fn}"],
    ["TypeError: undefined is not an object (evaluating '{id}.length')", "src/screens/{comp}Screen.tsx in {fn}"],
    ["Error: Request timeout ({path}, {ms}ms)", "src/api/client.ts in {fn}"],
    ["Invariant Violation: Tried to register two views with the same name {comp}{n}", "src/navigation/index.tsx in {fn}"],
    ["Error: Unable to resolve module {id} from src/screens/{comp}Screen.tsx", "src/screens/{comp}Screen.tsx in {fn}"],
    ["RangeError: Maximum call stack size exceeded ({comp}.{id})", "src/store/{svc}.ts in {fn}"],
  ],
};

const IDENTS = ["user", "items", "config", "props", "data", "session", "token", "cart", "order", "profile",
  "settings", "payload", "response", "element", "node", "length", "map", "id", "value", "children"];
const COMPS = ["Dashboard", "Checkout", "CartSummary", "UserMenu", "OrderTable", "ProductCard", "SearchBar",
  "Sidebar", "InvoiceList", "ProfileForm", "SettingsPanel", "Notifications", "DataGrid", "Chart", "Modal",
  "Header", "Footer", "LoginForm", "PaymentForm", "Wizard"];
const SVCS = ["billing", "orders", "users", "auth", "inventory", "search", "notifications", "payments",
  "shipping", "reports", "sessions", "uploads", "webhooks", "exports", "imports", "cache", "queue", "mailer",
  "analytics", "catalog"];
const FNS = ["render", "handleClick", "onSubmit", "fetchData", "useEffect", "componentDidMount", "loadMore",
  "parseResponse", "withTimeout", "dispatch", "processQueue", "handleMessage", "serialize", "validate",
  "resolve", "save", "sync", "connect", "retry", "flush"];
const PATHS = ["/", "/dashboard", "/settings", "/checkout", "/cart", "/orders", "/orders/:id", "/products",
  "/products/:slug", "/search", "/account", "/invoices", "/reports", "/login", "/signup", "/admin/users",
  "/api/graphql", "/api/v2/orders", "/api/v2/users/:id", "/help"];
const ROUTES = ["GET /api/v2/orders", "POST /api/v2/orders", "GET /api/v2/orders/:id", "GET /api/v2/users/:id",
  "POST /api/v2/login", "POST /api/v2/checkout", "GET /api/v2/search", "POST /api/v2/webhooks/stripe",
  "GET /api/v2/reports/:id", "PUT /api/v2/users/:id", "tasks.send_invoice", "tasks.sync_inventory",
  "tasks.generate_report", "tasks.charge_customer", "tasks.cleanup_sessions"];

// The tags of an event, in the order the pipeline's buildTags emits them; a null value is no tag.
export const TAG_KEYS = ["level", "release", "environment", "server_name", "transaction", "user", "browser",
  "browser.name", "os", "os.name", "runtime", "runtime.name", "device", "url", "mechanism", "handled"];

const sqlArray = (values: string[]) => `array[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(",")}]`;

/** Picks from a text array with a [0, 1) expression. */
const pick = (values: string[], r: string) => `(${sqlArray(values)})[1 + floor((${r}) * ${values.length})::int]`;

export async function seed(client: pg.Client, o: SeedOptions): Promise<SeedResult> {
  const steps: SeedResult["steps"] = [];
  const started = performance.now();
  const step = async (name: string, sql: string, values: unknown[] = []): Promise<number | null> => {
    const t0 = performance.now();
    const result = await client.query(sql, values);
    const ms = performance.now() - t0;
    const rows = result.rowCount ?? null;
    steps.push({ step: name, ms, rows });
    o.log(`seed: ${name}: ${rows ?? "-"} rows in ${(ms / 1000).toFixed(1)} s`);
    return rows;
  };
  // One clock for everything generated: event times are spread over [now - days, now].
  const now = new Date();
  const nowSql = `'${now.toISOString()}'::timestamptz`;

  await client.query("set timezone = 'UTC'");
  await client.query("set work_mem = '256MB'");
  await client.query("set maintenance_work_mem = '512MB'");
  await client.query("set synchronous_commit = off");
  // The data is consistent by construction: no per-row foreign key triggers while seeding.
  await client.query("set session_replication_role = replica");

  // -- tenants ---------------------------------------------------------------------------------
  const mainProjects = MAIN_PROJECTS.slice(0, o.projects);
  const orgs = await client.query<{ id: number; slug: string }>(
    `insert into organizations (slug, name) values ('bench', 'Bench Org'), ('bench-other', 'Other Org') returning id, slug`,
  );
  const orgId = orgs.rows.find((r) => r.slug === "bench")!.id;
  const otherOrgId = orgs.rows.find((r) => r.slug === "bench-other")!.id;
  const users = await client.query<{ id: number; email: string }>(
    `insert into users (email, name) values
       ('owner@bench.local', 'Bench Owner'), ('alice@bench.local', 'Alice'), ('bob@bench.local', 'Bob'),
       ('carol@bench.local', 'Carol'), ('dave@bench.local', 'Dave'), ('owner@other.local', 'Other Owner')
     returning id, email`,
  );
  const userId = (email: string) => users.rows.find((u) => u.email === email)!.id;
  const mainUsers = users.rows.filter((u) => u.email.endsWith("@bench.local")).map((u) => u.id);
  await client.query(
    `insert into memberships (org_id, user_id, role)
     select $1, u, case when u = $2 then 'owner' else 'member' end::"Role" from unnest($3::int[]) u
     union all select $4::int, $5::int, 'owner'`,
    [orgId, userId("owner@bench.local"), mainUsers, otherOrgId, userId("owner@other.local")],
  );
  const projectRows: { idx: number; id: number; org: number; slug: string; kind: Kind }[] = [];
  for (const [org, list] of [
    [orgId, mainProjects],
    [otherOrgId, OTHER_PROJECTS],
  ] as const) {
    for (const p of list) {
      const row = await client.query<{ id: number }>(
        "insert into projects (org_id, slug, name, platform) values ($1, $2, $3, $4) returning id",
        [org, p.slug, p.name, p.platform],
      );
      projectRows.push({ idx: projectRows.length, id: row.rows[0]!.id, org, slug: p.slug, kind: p.kind });
    }
  }
  await client.query("create unlogged table bench_projects (idx int, id int, org int, slug text, kind text)");
  await client.query(
    `insert into bench_projects select * from unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::text[])`,
    [
      projectRows.map((p) => p.idx),
      projectRows.map((p) => p.id),
      projectRows.map((p) => p.org),
      projectRows.map((p) => p.slug),
      projectRows.map((p) => p.kind),
    ],
  );
  const templates = Object.entries(TEMPLATES).flatMap(([kind, list]) =>
    list.map(([title, culprit], idx) => ({ kind, idx, title, culprit })),
  );
  await client.query("create unlogged table bench_templates (kind text, idx int, title text, culprit text)");
  await client.query("insert into bench_templates select * from unnest($1::text[], $2::int[], $3::text[], $4::text[])", [
    templates.map((t) => t.kind),
    templates.map((t) => t.idx),
    templates.map((t) => t.title),
    templates.map((t) => t.culprit),
  ]);

  // -- issues (staging): template, level, status, lifetime, share of the events -----------------
  const nMain = mainProjects.length;
  const nOther = OTHER_PROJECTS.length;
  const fill = (col: string) =>
    `replace(replace(replace(replace(replace(replace(replace(replace(${col},
       '{id}', ident || g), '{n}', g::text), '{ms}', (1000 * (1 + g % 60))::text),
       '{host}', 'api' || (g % 40) || '.example.com'), '{path}', ${pick(PATHS, "r_path")}),
       '{comp}', ${pick(COMPS, "r_comp")}), '{svc}', ${pick(SVCS, "r_svc")}), '{fn}', ${pick(FNS, "r_fn")})`;
  await step(
    "staging issues",
    `create unlogged table bench_issues as
     with base as (
       select g, p.org, p.id as project_id, p.slug, p.kind,
              random() as r_tpl, random() as r_level, random() as r_status, random() as r_first,
              random() as r_last, random() as r_env, random() as r_assign, random() as r_rank, random() as r_handled,
              random() as r_path, random() as r_comp, random() as r_svc, random() as r_fn,
              ${pick(IDENTS, "random()")} as ident
       from generate_series(1, ${o.issues + o.otherIssues}) g
       join bench_projects p on p.idx = case when g <= ${o.issues} then g % ${nMain} else ${nMain} + g % ${nOther} end
     ), titled as (
       select b.*, ${fill("t.title")} as title, ${fill("t.culprit")} as culprit
       from base b
       join (select kind, count(*) as c from bench_templates group by kind) tc on tc.kind = b.kind
       join bench_templates t on t.kind = b.kind and t.idx = floor(b.r_tpl * tc.c)::int
     ), timed as (
       select *,
              ${nowSql} - ${o.days} * interval '1 day' * r_first as first_t,
              -- most issues are still active: last seen close to now
              ${nowSql} - ${o.days} * interval '1 day' * r_first * power(r_last, 3) as last_t,
              row_number() over (partition by org order by r_rank) as rnk,
              count(*) over (partition by org) as n_org,
              case when org = ${orgId} then ${o.events} else ${o.otherEvents} end as org_events
       from titled
     ), weighted as (
       select *, 1 + floor((org_events - n_org) * power(rnk, -${o.skew})
                           / sum(power(rnk, -${o.skew})) over (partition by org))::int as cnt0
       from timed
     )
     select row_number() over (order by first_t, g)::int as id, org, project_id, slug, kind, title, culprit,
            split_part(title, ': ', 1) as exc_type, substr(title, strpos(title, ': ') + 2) as exc_value,
            split_part(culprit, ' in ', 1) as file, split_part(culprit, ' in ', 2) as fn,
            case when r_level < 0.03 then 'fatal' when r_level < 0.83 then 'error'
                 when r_level < 0.95 then 'warning' else 'info' end as level,
            case when r_status < 0.80 then 'unresolved' when r_status < 0.95 then 'resolved' else 'ignored' end as status,
            case when r_env < 0.08 then 'staging' when r_env < 0.10 then 'development' end as env_only,
            case when r_handled < 0.3 then 'no' else 'yes' end as handled,
            case when r_assign < 0.1 and org = ${orgId}
                 then (${`array[${mainUsers.join(",")}]`})[1 + floor(r_assign * 10 * ${mainUsers.length})::int] end as assignee_id,
            first_t, greatest(last_t, first_t) as last_t, rnk,
            cnt0 + case when rnk <= org_events - sum(cnt0) over (partition by org) then 1 else 0 end as cnt
     from weighted`,
  );
  await client.query(`create function bench_release(slug text, ts timestamptz) returns text language sql immutable as $$
    select slug || '@1.' || (v / 10) || '.' || (v % 10)
    from (select least(59, greatest(0, floor(extract(epoch from ts - (${nowSql} - ${o.days} * interval '1 day'))
                                          / (${o.days} * 86400 / 60.0))))::int as v) x $$`);

  const tagVals = `array[level, rel, env, server_name, route, usr, browser, bname,
                         case when kind in ('browser', 'mobile') then os end,
                         case when kind in ('browser', 'mobile') then osname end,
                         case kind when 'node' then 'node v20.11.1' when 'python' then 'CPython 3.11.7' end,
                         case kind when 'node' then 'node' when 'python' then 'CPython' end,
                         case when kind = 'mobile' then (case when osname = 'iOS' then 'iPhone15,2' else 'SM-S918B' end) end,
                         url,
                         case when handled = 'no' then (case kind when 'browser' then 'onunhandledrejection'
                              when 'node' then 'onuncaughtexception' else 'excepthook' end) else 'generic' end,
                         handled]`;
  // -- events (staging): one row per event with its tag values ---------------------------------
  const browserOs = `case when r_os < 0.40 then 'Windows' when r_os < 0.65 then 'Mac OS X' when r_os < 0.80 then 'Android'
                          when r_os < 0.92 then 'iOS' else 'Linux' end`;
  await step(
    "staging events",
    `create unlogged table bench_events as
     select issue_id, project_id, kind, level, handled, k, ts, rel, env, usr, bname, browser, osname, os,
            server_name, route, url, ${tagVals} as vals
     from (
     select s.id as issue_id, s.project_id, s.org, s.kind, s.slug, s.level, s.handled, k, ts,
            bench_release(s.slug, ts) as rel, env, usr,
            bname, bname || ' ' || bver as browser, osname, osname || coalesce(' ' || osver, '') as os,
            server_name, route, url
     from bench_issues s
     cross join lateral generate_series(1, s.cnt) k
     cross join lateral (
       select case when k = 1 then s.first_t when k = s.cnt then s.last_t
                   else s.first_t + (s.last_t - s.first_t) * random() end as ts,
              coalesce(s.env_only, case when r_env < 0.8 then 'production' when r_env < 0.95 then 'staging'
                                        else 'development' end) as env,
              case when r_user < 0.1 then null
                   else 'id:' || ((s.id * 7919 + floor(greatest(1, least(5000, s.cnt / 3)) * power(r_user, 2))::int)
                                  % ${o.userSpace}) end as usr,
              case when s.kind <> 'browser' then null when r_b < 0.6 then 'Chrome' when r_b < 0.8 then 'Safari'
                   when r_b < 0.9 then 'Firefox' when r_b < 0.98 then 'Edge' else 'Samsung Internet' end as bname,
              case when r_b < 0.6 then (118 + floor(r_v * 14))::text || '.0.0'
                   when r_b < 0.8 then '17.' || floor(r_v * 6)
                   else (115 + floor(r_v * 16))::text || '.0' end as bver,
              case when s.kind = 'browser' then ${browserOs}
                   when s.kind = 'mobile' then case when r_os < 0.55 then 'iOS' else 'Android' end
                   else 'Linux' end as osname,
              case when s.kind = 'node' or s.kind = 'python' then null
                   when r_os < 0.40 then (case when r_v < 0.7 then '10' else '11' end)
                   when r_os < 0.65 then '14.' || floor(r_v * 7) when r_os < 0.80 then (12 + floor(r_v * 3))::text
                   when r_os < 0.92 then '17.' || floor(r_v * 6) end as osver,
              case when s.kind in ('node', 'python') then 'web-' || lpad((1 + floor(r_srv * 40))::text, 2, '0') end
                as server_name,
              case when s.kind in ('node', 'python') then ${pick(ROUTES, "r_srv2")} end as route,
              case when s.kind in ('browser', 'mobile') then 'https://app.example.com' || ${pick(PATHS, "r_srv2")} end
                as url
       from (select random() as r_env, random() as r_user, random() as r_b, random() as r_v, random() as r_os,
                    random() as r_srv, random() as r_srv2, k as dep) r
     ) e
     ) x`,
  );

  // -- the real tables ---------------------------------------------------------------------------
  const keys = sqlArray(TAG_KEYS);
  await step(
    "events",
    `insert into events (project_id, issue_id, event_id, timestamp, received_at, level, platform, release, environment,
                         user_tag, title, tags, payload)
     select e.project_id, e.issue_id, md5(e.issue_id || ':' || e.k), e.ts, e.ts + random() * interval '2 seconds',
            e.level, p.platform, e.rel, e.env, e.usr, s.title,
            (select jsonb_agg(jsonb_build_array(tk, tv)) from unnest(${keys}, e.vals) t(tk, tv) where tv is not null),
            jsonb_strip_nulls(jsonb_build_object(
              'event_id', md5(e.issue_id || ':' || e.k), 'platform', p.platform, 'level', e.level,
              'timestamp', round(extract(epoch from e.ts), 3), 'release', e.rel,
              'environment', e.env, 'server_name', e.server_name, 'transaction', e.route,
              'user', case when e.usr is not null then jsonb_build_object('id', substr(e.usr, 4)) end,
              'request', case when e.url is not null then jsonb_build_object('url', e.url, 'method', 'GET') end,
              'exception', jsonb_build_object('values', jsonb_build_array(jsonb_build_object(
                'type', s.exc_type, 'value', s.exc_value,
                'mechanism', jsonb_build_object('type', e.vals[15], 'handled', e.handled = 'yes'),
                'stacktrace', jsonb_build_object('frames', jsonb_build_array(
                  jsonb_build_object('filename', s.file, 'function', s.fn, 'lineno', 10 + e.k % 400,
                                     'colno', 1 + e.k % 80, 'in_app', true)))))),
              'contexts', case when e.bname is not null
                then jsonb_build_object('browser', jsonb_build_object('name', e.bname, 'version', split_part(e.browser, ' ', 2)),
                                        'os', jsonb_build_object('name', e.osname, 'version', split_part(e.os, ' ', 2)))
                else jsonb_build_object('runtime', jsonb_build_object('name', e.vals[12], 'version', split_part(e.vals[11], ' ', 2)),
                                        'os', jsonb_build_object('name', e.osname)) end,
              'sdk', jsonb_build_object('name', case e.kind when 'browser' then 'sentry.javascript.browser'
                when 'node' then 'sentry.javascript.node' when 'python' then 'sentry.python'
                else 'sentry.javascript.react-native' end, 'version', '8.40.0')))
     from bench_events e
     join bench_issues s on s.id = e.issue_id
     join projects p on p.id = e.project_id`,
  );
  await step(
    "issue_tag_values",
    `insert into issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen)
     select issue_id, tk, tv, count(*), min(ts), max(ts)
     from bench_events e, unnest(${keys}, e.vals) t(tk, tv)
     where tv is not null
     group by issue_id, tk, tv`,
  );
  await step(
    "issue_hourly_counts (14 days)",
    `insert into issue_hourly_counts (issue_id, hour, count)
     select issue_id, date_trunc('hour', ts), count(*) from bench_events
     where ts >= date_trunc('hour', ${nowSql}) - interval '14 days'
     group by 1, 2`,
  );
  await step(
    "issues",
    `insert into issues (id, project_id, short_id, title, culprit, type, level, platform, metadata, status, substatus,
                         times_seen, user_count, first_seen, last_seen, first_release, last_release, resolved_at,
                         assignee_id, created_at, updated_at)
     select s.id, s.project_id, row_number() over (partition by s.project_id order by s.id), s.title, s.culprit,
            'error', s.level, p.platform,
            jsonb_build_object('type', s.exc_type, 'value', s.exc_value, 'filename', s.file, 'function', s.fn),
            s.status::"IssueStatus",
            case when s.status = 'ignored' then 'archived_until_escalating' when s.status = 'resolved' then null
                 when s.first_t > ${nowSql} - interval '7 days' then 'new' else 'ongoing' end,
            s.cnt, coalesce(u.users, 0), s.first_t, s.last_t, bench_release(s.slug, s.first_t),
            bench_release(s.slug, s.last_t),
            case when s.status = 'resolved' then s.last_t + (${nowSql} - s.last_t) / 2 end,
            s.assignee_id, s.first_t, s.last_t
     from bench_issues s
     join projects p on p.id = s.project_id
     left join (select issue_id, count(*)::int as users from issue_tag_values where key = 'user' group by 1) u
       on u.issue_id = s.id`,
  );
  await client.query("select setval(pg_get_serial_sequence('issues', 'id'), (select max(id) from issues))");
  await step(
    "issue_hashes",
    `insert into issue_hashes (project_id, hash, issue_id) select project_id, md5('hash:' || id), id from issues`,
  );
  await step(
    "projects, environments, releases",
    `with per_project as (
       select project_id, max(short_id) as last_short, min(first_seen) as first_event from issues group by 1
     ), p as (
       update projects p set next_short_id = pp.last_short + 1, first_event_at = pp.first_event
       from per_project pp where pp.project_id = p.id returning p.id
     ), envs as (
       insert into environments (org_id, project_id, name, first_seen)
       select b.org, e.project_id, e.env, min(e.ts) from bench_events e join bench_projects b on b.id = e.project_id
       group by 1, 2, 3 returning 1
     )
     insert into releases (org_id, version, created_at)
     select p.org_id, r.version, min(r.at)
     from (select project_id, first_release as version, first_seen as at from issues
           union all select project_id, last_release, last_seen from issues) r
     join projects p on p.id = r.project_id
     group by 1, 2`,
  );
  for (const table of ["bench_events", "bench_issues", "bench_templates", "bench_projects"])
    await client.query(`drop table ${table}`);
  await client.query("drop function bench_release(text, timestamptz)");
  await client.query("set session_replication_role = origin");
  const t0 = performance.now();
  await client.query(
    "vacuum (analyze) issues, events, issue_tag_values, issue_hourly_counts, issue_hashes, projects, environments",
  );
  steps.push({ step: "vacuum analyze", ms: performance.now() - t0, rows: null });
  o.log(`seed: vacuum analyze in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const projectsOf = (org: number) => projectRows.filter((p) => p.org === org).map((p) => p.id);
  return {
    org: { id: orgId, slug: "bench", ownerId: userId("owner@bench.local"), projectIds: projectsOf(orgId) },
    other: { id: otherOrgId, slug: "bench-other", ownerId: userId("owner@other.local"), projectIds: projectsOf(otherOrgId) },
    steps,
    totalMs: performance.now() - started,
    now,
  };
}
