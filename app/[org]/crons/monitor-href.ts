/**
 * A monitor page's URL. A slug is unique per project, not per org, so the project id always
 * goes with it: the link never lands on "which one?" when another project has the same slug.
 */
export const monitorHref = (org: string, slug: string, projectId: number) =>
  `/${org}/crons/${encodeURIComponent(slug)}?project=${projectId}`;
