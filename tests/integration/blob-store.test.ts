import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BlobStore, createBlobStore } from "@/lib/blobs";
import { S3BlobStore } from "@/lib/blobs/s3";
import { EnvError, parseEnv } from "@/lib/env";

// The blob store contract, run against the filesystem store and the S3 store. There is no S3
// server on this machine, so the S3 store talks to a stand-in that speaks the four operations
// as the AWS SDK really sends them (path-style URLs, SigV4 headers with a payload hash, XML
// bodies), and refuses what a strict server refuses.

const ACCESS_KEY = "AKIAERRORHUBTEST";
const BUCKET = "errorhub-blobs";

type Seen = { method: string; path: string; query: string };

/** An S3 stand-in: PutObject, GetObject, DeleteObjects and ListObjectsV2 on one bucket, in memory. */
function s3StandIn(pageSize: number) {
  const objects = new Map<string, Buffer>();
  const seen: Seen[] = [];
  const xml = (res: ServerResponse, status: number, body: string) => res.writeHead(status, { "content-type": "application/xml" }).end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
  const error = (res: ServerResponse, status: number, code: string) => xml(res, status, `<Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  const fromXml = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&");
  const toXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://stand-in");
    seen.push({ method: req.method ?? "", path: url.pathname, query: url.search });
    // What every signed request carries: a SigV4 authorization for our key, and the payload's hash.
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${ACCESS_KEY}/`) || !/SignedHeaders=[^,]*x-amz-content-sha256/.test(auth)) return error(res, 403, "AccessDenied");
    const payloadHash = req.headers["x-amz-content-sha256"];
    if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== createHash("sha256").update(body).digest("hex")) return error(res, 400, "XAmzContentSHA256Mismatch");
    if (/aws-chunked/.test(String(req.headers["content-encoding"] ?? ""))) return error(res, 501, "NotImplemented");

    const [, bucket, ...rest] = url.pathname.split("/");
    if (bucket !== BUCKET) return error(res, 404, "NoSuchBucket");
    const key = decodeURIComponent(rest.join("/"));
    if (req.method === "PUT" && key) {
      if (Number(req.headers["content-length"]) !== body.length) return error(res, 400, "IncompleteBody");
      objects.set(key, body);
      return res.writeHead(200, { etag: `"${createHash("md5").update(body).digest("hex")}"` }).end();
    }
    if (req.method === "GET" && key) {
      const object = objects.get(key);
      if (!object) return error(res, 404, "NoSuchKey");
      return res.writeHead(200, { "content-type": "application/octet-stream", "content-length": object.length }).end(object);
    }
    if (req.method === "POST" && !key && url.searchParams.has("delete")) {
      // S3 refuses a multi-object delete without an integrity header.
      if (!req.headers["content-md5"] && !Object.keys(req.headers).some((h) => h.startsWith("x-amz-checksum-"))) return error(res, 400, "InvalidRequest");
      const keys = [...body.toString().matchAll(/<Key>(.*?)<\/Key>/g)].map((m) => fromXml(m[1]!));
      if (keys.length > 1000) return error(res, 400, "MalformedXML");
      for (const k of keys) objects.delete(k);
      return xml(res, 200, "<DeleteResult></DeleteResult>");
    }
    if (req.method === "GET" && !key && url.searchParams.get("list-type") === "2") {
      const prefix = url.searchParams.get("prefix") ?? "";
      const after = url.searchParams.get("continuation-token");
      const all = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      const from = after ? all.findIndex((k) => k > Buffer.from(after, "base64url").toString()) : 0;
      const page = from < 0 ? [] : all.slice(from, from + Math.min(pageSize, Number(url.searchParams.get("max-keys") ?? 1000)));
      const truncated = from >= 0 && from + page.length < all.length;
      const contents = page.map((k) => `<Contents><Key>${toXml(k)}</Key><Size>${objects.get(k)!.length}</Size></Contents>`).join("");
      const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!).toString("base64url")}</NextContinuationToken>` : "";
      return xml(res, 200, `<ListBucketResult><Name>${BUCKET}</Name><Prefix>${toXml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`);
    }
    return error(res, 405, "MethodNotAllowed");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => res.writeHead(500).end(String(e)));
  });
  return { server, objects, seen };
}

const standIn = s3StandIn(2);
let endpoint: string;
const s3Config = () => ({
  BLOB_STORE: "s3" as const,
  DATA_DIR: "unused",
  S3_BUCKET: BUCKET,
  S3_REGION: "eu-central-1",
  S3_ENDPOINT: endpoint,
  S3_FORCE_PATH_STYLE: true,
  S3_ACCESS_KEY_ID: ACCESS_KEY,
  S3_SECRET_ACCESS_KEY: "secret-of-the-test",
});

beforeAll(async () => {
  await new Promise<void>((resolve) => standIn.server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(standIn.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  standIn.server.closeAllConnections();
  await new Promise((resolve) => standIn.server.close(resolve));
});

const stores: [string, () => BlobStore][] = [
  ["filesystem", () => createBlobStore({ ...s3Config(), BLOB_STORE: "filesystem", DATA_DIR: mkdtempSync(path.join(tmpdir(), "errorhub-blobs-")) })],
  ["s3", () => createBlobStore(s3Config())],
];

describe.each(stores)("the %s store", (_name, make) => {
  let store: BlobStore;
  beforeAll(() => {
    store = make();
  });

  it("puts and gets bytes exactly; a missing key is null; a put replaces", async () => {
    const data = randomBytes(300_000);
    await store.put("chunks/1/abc", data);
    expect((await store.get("chunks/1/abc"))!.equals(data)).toBe(true);
    expect(await store.get("chunks/1/missing")).toBeNull();
    await store.put("chunks/1/abc", Buffer.from("second"));
    expect((await store.get("chunks/1/abc"))!.toString()).toBe("second");
    await store.put("chunks/1/empty", Buffer.alloc(0));
    expect((await store.get("chunks/1/empty"))!.length).toBe(0);
  });

  it("deletes keys, ignoring missing ones", async () => {
    await store.put("chunks/2/a", Buffer.from("a"));
    await store.put("chunks/2/b", Buffer.from("b"));
    await store.delete(["chunks/2/a", "chunks/2/never-there"]);
    expect(await store.get("chunks/2/a")).toBeNull();
    expect((await store.get("chunks/2/b"))!.toString()).toBe("b");
    await store.delete([]);
  });

  it("deletePrefix removes a folder of keys and nothing beside it", async () => {
    for (let n = 0; n < 5; n++) await store.put(`artifacts/3/1/${n}`, Buffer.from(`file ${n}`));
    await store.put("artifacts/3/10/0", Buffer.from("another bundle"));
    await store.put("artifacts/3/1x", Buffer.from("a sibling key"));
    await store.deletePrefix("artifacts/3/1");
    for (let n = 0; n < 5; n++) expect(await store.get(`artifacts/3/1/${n}`)).toBeNull();
    expect((await store.get("artifacts/3/10/0"))!.toString()).toBe("another bundle");
    expect((await store.get("artifacts/3/1x"))!.toString()).toBe("a sibling key");
    await store.deletePrefix("artifacts/3/nothing-here");
  });

  it("refuses keys that could escape the store", async () => {
    for (const key of ["../etc/passwd", "/abs", "a//b", "a/../b", "a/./b", "a b", ""]) {
      await expect(store.put(key, Buffer.from("x"))).rejects.toThrow(/invalid blob key/);
      await expect(store.get(key)).rejects.toThrow(/invalid blob key/);
    }
  });
});

describe("the S3 store against the stand-in", () => {
  it("sends path-style requests with the bucket first, and pages through listings", async () => {
    const store = createBlobStore(s3Config()) as S3BlobStore;
    for (let n = 0; n < 5; n++) await store.put(`artifacts/9/7/${n}`, Buffer.from(String(n)));
    expect([...standIn.objects.keys()].filter((k) => k.startsWith("artifacts/9/7/"))).toHaveLength(5);
    standIn.seen.length = 0;
    await store.deletePrefix("artifacts/9/7");
    expect([...standIn.objects.keys()].filter((k) => k.startsWith("artifacts/9/7/"))).toEqual([]);
    // Two keys a page: three listings (the stand-in truncates), each followed by a delete.
    const lists = standIn.seen.filter((r) => r.method === "GET" && r.query.includes("list-type=2"));
    expect(lists.length).toBeGreaterThanOrEqual(3);
    expect(lists.map((r) => [r.path, new URLSearchParams(r.query).get("prefix")])).toEqual(lists.map(() => [`/${BUCKET}/`, "artifacts/9/7/"]));
    expect(standIn.seen.filter((r) => r.method === "POST" && r.query.includes("delete")).length).toBe(3);
    store.close();
  });

  it("deletes more than 1000 keys in batches S3 accepts", async () => {
    const store = new S3BlobStore({ bucket: BUCKET, region: "us-east-1", endpoint, forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: "x" } });
    const keys = Array.from({ length: 1001 }, (_, n) => `chunks/8/${n}`);
    await store.put("chunks/8/1000", Buffer.from("last"));
    standIn.seen.length = 0;
    await store.delete(keys);
    expect(standIn.seen.filter((r) => r.method === "POST")).toHaveLength(2);
    expect(standIn.objects.has("chunks/8/1000")).toBe(false);
    store.close();
  });

  it("a server failure is an error, not a missing blob", async () => {
    const store = new S3BlobStore({ bucket: "no-such-bucket", region: "us-east-1", endpoint, forcePathStyle: true, credentials: { accessKeyId: "WRONG", secretAccessKey: "x" } });
    await expect(store.get("chunks/1/abc")).rejects.toThrow();
    await expect(store.put("chunks/1/abc", Buffer.from("x"))).rejects.toThrow();
    store.close();
  });
});

describe("configuration", () => {
  const bad = (source: Record<string, string>) => {
    try {
      parseEnv(source);
    } catch (error) {
      expect(error).toBeInstanceOf(EnvError);
      return (error as Error).message;
    }
    throw new Error("expected an EnvError");
  };

  it("defaults to the filesystem; s3 needs a bucket; keys come in pairs; values are checked", () => {
    expect(parseEnv({}).BLOB_STORE).toBe("filesystem");
    expect(bad({ BLOB_STORE: "s3" })).toMatch(/S3_BUCKET: must be set too \(BLOB_STORE is s3\)/);
    expect(bad({ BLOB_STORE: "s3", S3_BUCKET: "b-1", S3_ACCESS_KEY_ID: "k" })).toMatch(/S3_SECRET_ACCESS_KEY: must be set too/);
    expect(bad({ BLOB_STORE: "gcs" })).toMatch(/BLOB_STORE: must be filesystem or s3/);
    expect(bad({ BLOB_STORE: "s3", S3_BUCKET: "Bad_Bucket" })).toMatch(/S3_BUCKET: must be a bucket name/);
    expect(bad({ S3_ENDPOINT: "minio:9000" })).toMatch(/S3_ENDPOINT: must be an http\(s\) URL/);
    expect(bad({ S3_FORCE_PATH_STYLE: "yes" })).toMatch(/S3_FORCE_PATH_STYLE: must be true or false/);
    const s3 = parseEnv({ BLOB_STORE: "s3", S3_BUCKET: "errorhub", S3_ENDPOINT: "http://minio:9000", S3_FORCE_PATH_STYLE: "true" });
    expect(s3).toMatchObject({ BLOB_STORE: "s3", S3_BUCKET: "errorhub", S3_REGION: "us-east-1", S3_FORCE_PATH_STYLE: true });
  });
});
