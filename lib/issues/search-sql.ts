import { Prisma } from "../generated/prisma/client.ts";
import type { AssigneeRef, SearchTerm, TagValuePattern } from "./search";

type Searcher = { userId: number; orgId: number };

/**
 * SQL conditions on `issues i` for parsed search terms. Tag filters read issue_tag_values
 * (its primary key starts with issue_id), never the events. Every value is a bound parameter.
 * A negated term matches where the positive one does not, NULLs included: `!assigned:me`
 * matches unassigned issues, `!browser:Chrome` issues that never saw Chrome.
 */
export function searchConditions(terms: SearchTerm[], searcher: Searcher): Prisma.Sql[] {
  return terms.map((term) => {
    const condition = positive(term, searcher);
    return term.negated ? Prisma.sql`not coalesce(${condition}, false)` : condition;
  });
}

function positive(term: SearchTerm, searcher: Searcher): Prisma.Sql {
  switch (term.kind) {
    case "status":
      // Compared as the enum, not as text, so the (project_id, status, last_seen) index applies.
      return Prisma.sql`i.status = any(${term.statuses}::"IssueStatus"[])`;
    case "assignment":
      return term.assigned ? Prisma.sql`i.assignee_id is not null` : Prisma.sql`i.assignee_id is null`;
    case "level":
      return Prisma.sql`i.level = any(${term.levels}::text[])`;
    case "assigned":
      return Prisma.sql`(${Prisma.join(
        term.to.map((ref) => assignee(ref, searcher)),
        " or ",
      )})`;
    case "has":
      return Prisma.sql`exists (select 1 from issue_tag_values t where t.issue_id = i.id and t.key = any(${term.keys}::text[]))`;
    case "firstRelease":
      return Prisma.sql`i.first_release = any(${term.versions}::text[])`;
    case "tag":
      return tagCondition(term.key, term.values);
    case "text": {
      const pattern = `%${escapeLike(term.text)}%`;
      return Prisma.sql`(i.title ilike ${pattern} or i.culprit ilike ${pattern})`;
    }
  }
}

function assignee(ref: AssigneeRef, searcher: Searcher): Prisma.Sql {
  switch (ref.kind) {
    case "me":
      return Prisma.sql`i.assignee_id = ${searcher.userId}`;
    case "none":
      return Prisma.sql`i.assignee_id is null`;
    case "email":
      return Prisma.sql`i.assignee_id in (
        select u.id from users u join memberships m on m.user_id = u.id and m.org_id = ${searcher.orgId}
        where lower(u.email) = ${ref.email})`;
  }
}

// Sentry's user.* keys search the `user` tag, whose values are "id:..", "email:..", ...
const USER_KEYS: Record<string, string> = {
  "user.id": "id",
  "user.email": "email",
  "user.username": "username",
  "user.ip": "ip",
};

function tagCondition(rawKey: string, rawValues: TagValuePattern[]): Prisma.Sql {
  const userPrefix = USER_KEYS[rawKey];
  const key = userPrefix ? "user" : rawKey;
  const values = userPrefix
    ? rawValues.map((v) => ({ ...v, value: `${userPrefix}:${v.value}` }))
    : rawValues;
  const exact = values.filter((v) => !v.wildcard).map((v) => v.value);
  const patterns = values.filter((v) => v.wildcard).map((v) => likeFromWildcard(v.value));
  const matches: Prisma.Sql[] = [];
  if (exact.length > 0) matches.push(Prisma.sql`t.value = any(${exact}::text[])`);
  for (const pattern of patterns) matches.push(Prisma.sql`t.value like ${pattern}`);
  return Prisma.sql`exists (select 1 from issue_tag_values t
    where t.issue_id = i.id and t.key = ${key} and (${Prisma.join(matches, " or ")}))`;
}

/** Escapes LIKE's own wildcards (backslash is Postgres's default escape character). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `Chrome*` -> `Chrome%`: `*` matches anything, everything else literally. */
function likeFromWildcard(value: string): string {
  return escapeLike(value).replaceAll("*", "%");
}
