import { crc32, deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BundleError, readBundle } from "./bundle-zip";

// A one-entry-at-a-time ZIP writer, with the offsets based where the test says.
function zip(entries: { name: string; data: Buffer }[], base = 0): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = base;
  for (const { name: text, data } of entries) {
    const name = Buffer.from(text);
    const packed = deflateRawSync(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += 30 + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const SYSB = Buffer.from([0x53, 0x59, 0x53, 0x42, 2, 0, 0, 0]);
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
