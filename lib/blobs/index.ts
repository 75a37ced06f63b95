import { env } from "../env";
import { FilesystemBlobStore } from "./filesystem";
import { S3BlobStore } from "./s3";

export { assertBlobKey } from "./keys";

/**
 * Where source-map chunks and artifact files live: the filesystem under DATA_DIR by default,
 * an S3-compatible bucket for installs with more than one machine. Keys are relative paths of
 * `[A-Za-z0-9._-]` segments joined by "/" (e.g. `chunks/12/<sha1>`), never user input as is.
 */
export interface BlobStore {
  put(key: string, data: Buffer): Promise<void>;
  /** null when there is no such blob */
  get(key: string): Promise<Buffer | null>;
  /** Missing keys are ignored. */
  delete(keys: string[]): Promise<void>;
  /** Removes every blob whose key starts with `prefix` + "/". */
  deletePrefix(prefix: string): Promise<void>;
}

let store: BlobStore | undefined;

/** The configured blob store (one per process): BLOB_STORE picks it. */
export function blobStore(): BlobStore {
  store ??= createBlobStore(env());
  return store;
}

type BlobEnv = Pick<
  ReturnType<typeof env>,
  "BLOB_STORE" | "DATA_DIR" | "S3_BUCKET" | "S3_REGION" | "S3_ENDPOINT" | "S3_FORCE_PATH_STYLE" | "S3_ACCESS_KEY_ID" | "S3_SECRET_ACCESS_KEY"
>;

/** The store a configuration describes (lib/env.ts has already checked it is whole). */
export function createBlobStore(config: BlobEnv): BlobStore {
  if (config.BLOB_STORE === "filesystem") return new FilesystemBlobStore(config.DATA_DIR);
  return new S3BlobStore({
    bucket: config.S3_BUCKET!,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials:
      config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
        : undefined,
  });
}
