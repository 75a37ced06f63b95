import { env } from "../env";
import { FilesystemBlobStore } from "./filesystem";

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

/** The configured blob store (one per process). */
export function blobStore(): BlobStore {
  store ??= new FilesystemBlobStore(env().DATA_DIR);
  return store;
}
