import { env } from "../env";
import type { PageLinks } from "../pagination";

/**
 * Sentry's Link header, which sentry-cli and the API clients follow:
 * `<url&cursor=X>; rel="previous"; results="false"; cursor="X", <url&cursor=Y>; rel="next"; results="true"; cursor="Y"`.
 * The URL keeps the request's other query parameters, on the public APP_URL, with the trailing
 * slash Sentry's paths have.
 */
export function linkHeader(requestUrl: string | URL, links: PageLinks): string {
  const url = new URL(requestUrl);
  const base = new URL(env().APP_URL);
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  const link = (rel: "previous" | "next", { cursor, results }: PageLinks["next"]) => {
    const params = new URLSearchParams(url.search);
    params.delete("cursor");
    params.set("cursor", cursor);
    const href = `${base.origin}${base.pathname.replace(/\/+$/, "")}${path}?${params}`;
    return `<${href}>; rel="${rel}"; results="${results}"; cursor="${cursor}"`;
  };
  return `${link("previous", links.previous)}, ${link("next", links.next)}`;
}
