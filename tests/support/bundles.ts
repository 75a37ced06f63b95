import { crc32, deflateRawSync } from "node:zlib";

// Artifact bundles as sentry-cli writes them (SYSB, format 2, then a ZIP with manifest.json),
// built by hand so tests can also make the broken and hostile ones.

export type ZipEntry = { name: string; data: Buffer; declaredSize?: number; flags?: number; externalAttributes?: number; reuseOffsetOf?: number };

/**
 * A ZIP writer for test archives, hostile ones included: deflated entries, lying sizes, flags,
 * mode bits, entries sharing one body, and offsets counted from `base` (a writer that counts a
 * header in front of the archive, as sentry-cli does with SYSB).
 */
export function zip(entries: ZipEntry[], base = 0): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = base;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const packed = deflateRawSync(entry.data);
    const size = entry.declaredSize ?? entry.data.length;
    const fields = (header: Buffer, at: number) => {
      header.writeUInt16LE(entry.flags ?? 0, at - 2);
      header.writeUInt16LE(8, at); // deflate
      header.writeUInt32LE(crc32(entry.data), at + 6);
      header.writeUInt32LE(packed.length, at + 10);
      header.writeUInt32LE(size, at + 14);
      header.writeUInt16LE(name.length, at + 18);
    };
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by unix, so external attributes are mode bits
    central.writeUInt16LE(20, 6);
    fields(central, 10);
    central.writeUInt32LE(entry.externalAttributes ?? 0, 38);
    if (entry.reuseOffsetOf !== undefined) {
      // overlapping entries: this one's data is another entry's local header and body
      central.writeUInt32LE(offsets[entry.reuseOffsetOf]!, 42);
      offsets.push(offsets[entry.reuseOffsetOf]!);
      centrals.push(central, name);
      continue;
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    fields(local, 8);
    central.writeUInt32LE(offset, 42);
    offsets.push(offset);
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

export const SYSB = Buffer.from([0x53, 0x59, 0x53, 0x42, 2, 0, 0, 0]);

/** A bundle: SYSB, then a ZIP of the manifest (an object, or text as is) and the files. */
export const bundleOf = (manifest: unknown, files: ZipEntry[] = []) =>
  Buffer.concat([SYSB, zip([{ name: "manifest.json", data: Buffer.from(typeof manifest === "string" ? manifest : JSON.stringify(manifest)) }, ...files])]);
