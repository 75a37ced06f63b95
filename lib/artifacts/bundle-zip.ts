import type yauzl from "yauzl";
import { MAX_BUNDLE_FILE_SIZE, MAX_BUNDLE_FILES, MAX_BUNDLE_UNPACKED, MAX_MANIFEST_SIZE, MAX_UNPACK_RATIO, UNPACKED_FLOOR } from "./limits";

// Reading an artifact bundle as sentry-cli writes it (symbolic's SourceBundleWriter): the
// 8-byte header "SYSB" + u32 little-endian version 2, then a ZIP archive with manifest.json
// and the files under files/_/_/... Every failure is a BundleError whose message is what the
// CLI prints as the assembly's `detail`.

export class BundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BundleError";
  }
}

const HEADER = Buffer.from("SYSB");
const HEADER_SIZE = 8;
const EOCD_SIGNATURE = 0x06054b50;

/**
 * The ZIP part of the bundle as yauzl must see it. sentry-cli's zip writer starts after the
 * header, and whether the archive's offsets count those 8 bytes is read from the archive
 * itself: the central directory ends where the end record begins, so its real start tells
 * which base its recorded offset is relative to.
 */
function zipView(bundle: Buffer): Buffer {
  if (bundle.length < HEADER_SIZE || !bundle.subarray(0, 4).equals(HEADER)) {
    throw new BundleError("bundle is not an artifact bundle (no SYSB header)");
  }
  const version = bundle.readUInt32LE(4);
  if (version !== 2) throw new BundleError(`unsupported artifact bundle version ${version} (expected 2)`);
  // The end of central directory record is 22 bytes plus a comment of up to 65535.
  const from = Math.max(HEADER_SIZE, bundle.length - 22 - 65_535);
  for (let at = bundle.length - 22; at >= from; at--) {
    if (bundle.readUInt32LE(at) !== EOCD_SIGNATURE) continue;
    const size = bundle.readUInt32LE(at + 12);
    const offset = bundle.readUInt32LE(at + 16);
    const start = at - size;
    if (start === offset) return bundle; // offsets count the header
    if (start === offset + HEADER_SIZE) return bundle.subarray(HEADER_SIZE); // offsets start after it
  }
  throw new BundleError("bundle is not a valid ZIP archive");
}

export type BundleFile = { path: string; data: Buffer };
export type Manifest = {
  files: Record<string, { type?: unknown; url?: unknown; headers?: unknown }>;
  debug_id?: unknown;
  release?: unknown;
  dist?: unknown;
};

/**
 * The manifest and each file it names, read through `onFile` one at a time (so at most one
 * unpacked file is held here). Entry count, each entry's size and the total unpacked are
 * bounded before anything is inflated, and yauzl checks each inflated size against the
 * declared one, so a zip bomb stops at the first byte past its claim.
 */
export async function readBundle(bundle: Buffer, onFile: (file: BundleFile, entry: Manifest["files"][string]) => Promise<void>): Promise<Manifest> {
  // Loaded here, not at the top: only artifact bundle assembly reads ZIPs.
  const { default: unzip } = await import("yauzl");
  let zip: yauzl.ZipFile;
  try {
    zip = await unzip.fromBufferPromise(zipView(bundle), { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true });
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`bundle is not a valid ZIP archive (${(error as Error).message})`);
  }
  try {
    if (zip.entryCount > MAX_BUNDLE_FILES + 1) throw new BundleError(`bundle has ${zip.entryCount} entries; at most ${MAX_BUNDLE_FILES} files are allowed`);
    const entries = new Map<string, yauzl.Entry>();
    const maxUnpacked = Math.min(MAX_BUNDLE_UNPACKED, Math.max(UNPACKED_FLOOR, bundle.length * MAX_UNPACK_RATIO));
    let unpacked = 0;
    try {
      for await (const entry of zip.eachEntry()) {
        if (entry.uncompressedSize > MAX_BUNDLE_FILE_SIZE) {
          throw new BundleError(`bundle file ${entry.fileName} unpacks to ${entry.uncompressedSize} bytes; at most ${MAX_BUNDLE_FILE_SIZE} are allowed`);
        }
        unpacked += entry.uncompressedSize;
        if (unpacked > maxUnpacked) {
          throw new BundleError(`bundle unpacks to more than ${maxUnpacked} bytes (at most ${MAX_UNPACK_RATIO} times its size, and ${MAX_BUNDLE_UNPACKED} in all)`);
        }
        entries.set(entry.fileName, entry);
      }
    } catch (error) {
      if (error instanceof BundleError) throw error;
      throw new BundleError(`bundle is not a valid ZIP archive (${(error as Error).message})`);
    }
    const manifestEntry = entries.get("manifest.json");
    if (!manifestEntry) throw new BundleError("bundle has no manifest.json");
    if (manifestEntry.uncompressedSize > MAX_MANIFEST_SIZE) throw new BundleError("bundle manifest.json is too large");
    const manifest = parseManifest(await inflate(zip, manifestEntry));
    for (const [path, entry] of Object.entries(manifest.files)) {
      const zipEntry = entries.get(path);
      if (!zipEntry) throw new BundleError(`bundle manifest names ${path}, which the archive does not contain`);
      await onFile({ path, data: await inflate(zip, zipEntry) }, entry);
    }
    return manifest;
  } finally {
    zip.close();
  }
}

async function inflate(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Buffer> {
  try {
    const stream = await zip.openReadStreamPromise(entry);
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    return Buffer.concat(parts);
  } catch (error) {
    throw new BundleError(`bundle file ${entry.fileName} cannot be read (${(error as Error).message})`);
  }
}

function parseManifest(data: Buffer): Manifest {
  let manifest: unknown;
  try {
    manifest = JSON.parse(data.toString("utf8"));
  } catch {
    throw new BundleError("bundle manifest.json is not valid JSON");
  }
  const files = (manifest as { files?: unknown } | null)?.files;
  if (typeof manifest !== "object" || manifest === null || typeof files !== "object" || files === null || Array.isArray(files)) {
    throw new BundleError('bundle manifest.json has no "files" object');
  }
  const count = Object.keys(files).length;
  if (count > MAX_BUNDLE_FILES) throw new BundleError(`bundle manifest lists ${count} files; at most ${MAX_BUNDLE_FILES} are allowed`);
  for (const [path, entry] of Object.entries(files)) {
    if (typeof entry !== "object" || entry === null) throw new BundleError(`bundle manifest entry ${path} is not an object`);
  }
  return manifest as Manifest;
}
