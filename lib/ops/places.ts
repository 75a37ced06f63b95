import { embeddedPostgresPlace } from "../embedded-postgres";
import { dataPath, env } from "../env";

/**
 * Where this install keeps its data, for `npm start` to print: the embedded cluster's folder or
 * the configured server's host and database (never its password), and the blob store's folder
 * or bucket. `embedded` is whether DATABASE_URL was unset before boot() filled it in.
 */
export function dataPlaces(embedded: boolean): { database: string; blobs: string } {
  const config = env();
  let database = `PostgreSQL (embedded) in ${embeddedPostgresPlace().dataDir}`;
  if (!embedded && config.DATABASE_URL) {
    const url = new URL(config.DATABASE_URL);
    database = `PostgreSQL at ${url.host}${url.pathname} (DATABASE_URL)`;
  }
  const blobs =
    config.BLOB_STORE === "s3"
      ? `S3 bucket ${config.S3_BUCKET}${config.S3_ENDPOINT ? ` at ${config.S3_ENDPOINT}` : ""}`
      : `${dataPath("blobs")}`;
  return { database, blobs };
}
