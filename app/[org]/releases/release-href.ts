/**
 * A release page's URL. Versions are free text (`shop-web@1.4.0+build`, spaces), so the version
 * is one percent-encoded path segment; Sentry forbids slashes in versions, so it stays one.
 */
export const releaseHref = (org: string, version: string) => `/${org}/releases/${encodeURIComponent(version)}`;
