// The bounds of source-map uploads: what chunk-upload announces to sentry-cli and what the
// server enforces whatever a client announces.

const MiB = 1024 * 1024;

/** Sentry's chunk size (a power of two, as sentry-cli requires). */
export const CHUNK_SIZE = 8 * MiB;
export const CHUNKS_PER_REQUEST = 64;
export const MAX_REQUEST_SIZE = 32 * MiB;
// Room for the multipart framing of CHUNKS_PER_REQUEST parts on top of their bytes.
export const MAX_REQUEST_BODY = MAX_REQUEST_SIZE + 256 * 1024;
/**
 * The largest bundle (sum of its chunks). The assembly job holds a bundle in memory while it
 * unpacks it, so this bounds the worker's memory per job.
 */
export const MAX_BUNDLE_SIZE = 256 * MiB;
export const MAX_CHUNKS_PER_BUNDLE = MAX_BUNDLE_SIZE / CHUNK_SIZE;
/** Seconds sentry-cli keeps polling an assembly with --wait (it takes the smaller of this and its own). */
export const MAX_WAIT_SECONDS = 60;
/** Files a bundle may hold, and the bytes they may unpack to (zip bombs). */
export const MAX_BUNDLE_FILES = 20_000;
export const MAX_BUNDLE_FILE_SIZE = 64 * MiB;
export const MAX_BUNDLE_UNPACKED = 1024 * MiB;
/**
 * And at most this many times the bundle's own size (past a floor small bundles never reach):
 * source maps and minified code deflate 3-10x, while a zip bomb (entries sharing one deflate
 * stream, or one of zeros) unpacks a 130 KB upload to a gigabyte of blobs.
 */
export const MAX_UNPACK_RATIO = 100;
export const UNPACKED_FLOOR = 64 * MiB;
export const MAX_MANIFEST_SIZE = 16 * MiB;
