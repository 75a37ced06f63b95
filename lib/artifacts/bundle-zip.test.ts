import { describe, expect, it } from "vitest";
import { SYSB, zip } from "../../tests/support/bundles";
import { BundleError, readBundle } from "./bundle-zip";

const entries = [
  { name: "manifest.json", data: Buffer.from(JSON.stringify({ files: { "files/_/_/a.js": { type: "minified_source", url: "~/a.js" } }, release: "r" })) },
  { name: "files/_/_/a.js", data: Buffer.from("a()") },
];

async function files(bundle: Buffer) {
  const seen: [string, string][] = [];
  const manifest = await readBundle(bundle, async (file) => {
    seen.push([file.path, file.data.toString()]);
  });
  return { manifest, seen };
}

describe("readBundle", () => {
  it("reads ZIP offsets counted from the start of the file (what sentry-cli 3.8 writes) and from after the header", async () => {
    for (const base of [8, 0]) {
      const { manifest, seen } = await files(Buffer.concat([SYSB, zip(entries, base)]));
      expect(manifest.release).toBe("r");
      expect(seen).toEqual([["files/_/_/a.js", "a()"]]);
    }
  });

  it("names what is wrong", async () => {
    const cases: [Buffer, RegExp][] = [
      [zip(entries), /no SYSB header/],
      [Buffer.concat([Buffer.from([0x53, 0x59, 0x53, 0x42, 1, 0, 0, 0]), zip(entries)]), /unsupported artifact bundle version 1/],
      [Buffer.concat([SYSB, Buffer.from("garbage")]), /^bundle is not a valid ZIP archive$/],
      [Buffer.concat([SYSB, zip(entries, 3)]), /not a valid ZIP archive/],
      [Buffer.concat([SYSB, zip([{ name: "manifest.json", data: Buffer.from("[") }])]), /manifest.json is not valid JSON/],
      [Buffer.concat([SYSB, zip([{ name: "manifest.json", data: Buffer.from("{}") }])]), /has no "files" object/],
    ];
    for (const [bundle, message] of cases) {
      const error = await files(bundle).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BundleError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
