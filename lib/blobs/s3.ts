import type { S3Client } from "@aws-sdk/client-s3";
import type { BlobStore } from "./index";
import { assertBlobKey } from "./keys";

export type S3Options = {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
};

// DeleteObjects takes at most 1000 keys per request.
const DELETE_BATCH = 1000;

/**
 * Blobs as objects of one bucket of an S3-compatible store, under the same keys. A PutObject is
 * atomic on every S3 implementation, so a reader never sees half an object either.
 */
export class S3BlobStore implements BlobStore {
  private readonly options: S3Options;
  private loaded: Promise<{ sdk: typeof import("@aws-sdk/client-s3"); client: S3Client }> | undefined;

  constructor(options: S3Options) {
    this.options = options;
  }

  // The SDK is loaded with the first request: it costs every process that loads it ~15 MB,
  // and this module is imported wherever blobs are, S3 or not.
  private s3() {
    this.loaded ??= import("@aws-sdk/client-s3").then((sdk) => ({
      sdk,
      client: new sdk.S3Client({
        region: this.options.region,
        endpoint: this.options.endpoint,
        forcePathStyle: this.options.forcePathStyle,
        credentials: this.options.credentials,
        // Checksums only where S3 requires them (DeleteObjects): servers that predate the
        // flexible checksums (older MinIO, Ceph) refuse the trailers the SDK otherwise sends.
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      }),
    }));
    return this.loaded;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const { sdk, client } = await this.s3();
    await client.send(new sdk.PutObjectCommand({ Bucket: this.options.bucket, Key: assertBlobKey(key), Body: data, ContentLength: data.length }));
  }

  async get(key: string): Promise<Buffer | null> {
    const { sdk, client } = await this.s3();
    try {
      const object = await client.send(new sdk.GetObjectCommand({ Bucket: this.options.bucket, Key: assertBlobKey(key) }));
      if (!object.Body) return Buffer.alloc(0);
      return Buffer.from(await object.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof sdk.NoSuchKey || (error instanceof sdk.S3ServiceException && error.$metadata.httpStatusCode === 404)) return null;
      throw error;
    }
  }

  async delete(keys: string[]): Promise<void> {
    const { sdk, client } = await this.s3();
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH).map((key) => ({ Key: assertBlobKey(key) }));
      const result = await client.send(new sdk.DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: batch, Quiet: true } }));
      // A missing key is not an error in S3; anything listed here is (access denied, ...).
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`S3 could not delete ${failed.Key}: ${failed.Code} ${failed.Message ?? ""}`.trim());
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    const Prefix = `${assertBlobKey(prefix)}/`;
    const { sdk, client } = await this.s3();
    let ContinuationToken: string | undefined;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.options.bucket, Prefix, ContinuationToken }));
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : []));
      if (keys.length > 0) await this.delete(keys);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** Ends the client's connections (tests; processes simply exit). */
  close(): void {
    void this.loaded?.then(({ client }) => client.destroy());
  }
}
