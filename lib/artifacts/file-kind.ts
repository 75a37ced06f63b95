// What an uploaded file is, and the debug id it carries, from its bytes alone.

// A uuid, dashed or not; a PE/ELF-style age suffix ("-0", "-1a") is tolerated and dropped.
const DEBUG_ID = /^([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})(?:-[0-9a-f]{1,8})?$/i;

/** A debug id in its canonical form (lowercase, dashed), or null when `value` is not one. */
export function canonicalDebugId(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const match = DEBUG_ID.exec(value.trim());
  return match ? match.slice(1, 6).join("-").toLowerCase() : null;
}

// Source maps are JSON objects; a large minified file is never parsed to find that out.
const LOOKS_LIKE_JSON_OBJECT = /^\s*(?:\)\]\}'?\s*)?\{/;

/**
 * A file of a release, classified as Sentry does for legacy uploads: a JSON object with
 * "mappings" (or indexed "sections") is a source map, anything else minified source. The debug
 * id comes from the map's `debugId` (older sentry-cli wrote `debug_id`) or from a JavaScript
 * file's trailing `//# debugId=<uuid>` comment.
 */
export function classifyFile(data: Buffer): { type: "source_map" | "minified_source"; debugId: string | null } {
  const head = data.subarray(0, 64).toString("utf8");
  if (LOOKS_LIKE_JSON_OBJECT.test(head)) {
    try {
      // The XSSI prefix `)]}'` some bundlers write is allowed by the source map spec.
      const map = JSON.parse(data.toString("utf8").replace(/^\s*\)\]\}'?[^\n]*\n/, "")) as Record<string, unknown>;
      if (map && typeof map === "object" && ("mappings" in map || "sections" in map)) {
        return { type: "source_map", debugId: canonicalDebugId(map.debugId ?? map.debug_id) };
      }
    } catch {
      // not JSON after all: minified source
    }
  }
  // The comment is the file's last line (sentry-cli appends it after the sourceMappingURL).
  const tail = data.subarray(Math.max(0, data.length - 512)).toString("utf8");
  const match = /\/\/# debugId=([0-9a-fA-F-]{32,45})\s*$/m.exec(tail);
  return { type: "minified_source", debugId: match ? canonicalDebugId(match[1]) : null };
}
