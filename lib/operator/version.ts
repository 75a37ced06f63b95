import { readFileSync } from "node:fs";
import { join } from "node:path";

// What version of errorhub runs here: in heartbeats (the console, admin status) and in backups'
// manifests.

let cachedVersion: string | undefined;

/** package.json's version, plus the checked-out commit when the install is a git clone. */
export function appVersion(root = process.cwd()): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let version = "unknown";
  try {
    version = String(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version ?? "unknown");
  } catch {}
  const sha = gitSha(root);
  cachedVersion = sha ? `${version}+${sha.slice(0, 7)}` : version;
  return cachedVersion;
}

// Two small file reads instead of spawning git (which a container image may not have).
function gitSha(root: string): string | undefined {
  try {
    const head = readFileSync(join(root, ".git", "HEAD"), "utf8").trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = /^ref: (refs\/[\w./-]+)$/.exec(head)?.[1];
    if (!ref) return undefined;
    try {
      return readFileSync(join(root, ".git", ref), "utf8").trim();
    } catch {
      const packed = readFileSync(join(root, ".git", "packed-refs"), "utf8");
      return packed.split("\n").find((line) => line.endsWith(` ${ref}`))?.slice(0, 40);
    }
  } catch {
    return undefined;
  }
}
