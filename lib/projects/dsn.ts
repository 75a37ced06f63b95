/**
 * The DSN an SDK is configured with: {scheme}://{publicKey}@{host}{path}/{projectId}.
 * The host (and an optional path prefix) come from INGEST_URL, where SDKs must reach ingest.
 */
export function formatDsn(ingestUrl: string, publicKey: string, projectId: number): string {
  const base = new URL(ingestUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  return `${base.protocol}//${publicKey}@${base.host}${prefix}/${projectId}`;
}
