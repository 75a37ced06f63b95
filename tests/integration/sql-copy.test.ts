import { describe, expect, it } from "vitest";
import { copyRows, parseBinaryCopy } from "@/lib/sql-copy";

// copyRows reads a query's rows by binary COPY, as bytes, its values written into the statement
// as literals (COPY takes no parameters): they must come back exactly, whatever they hold.

const text = (field: Buffer | null) => field?.toString("utf8") ?? null;

describe("copyRows", () => {
  it("returns bytea as its bytes, every byte value, not as text", async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const [row] = await copyRows`select decode(${all.toString("hex")}, 'hex'), length(decode(${all.toString("hex")}, 'hex'))::int4`;
    const [bytes, length] = row!;
    expect(Buffer.compare(bytes!, all)).toBe(0);
    expect(length!.readInt32BE(0)).toBe(256);
  });

  it("writes strings as literals that cannot leave their quotes", async () => {
    const hostile = ["it's", "back\\slash", "\\'); select pg_sleep(10); --", "$$ dollar $$", "é ✓ \u{1F600}", "", "line\nbreak"];
    for (const value of hostile) {
      const [row] = await copyRows`select ${value}::text, (${value}::text = ${value})::text`;
      const [field, same] = row!;
      expect(text(field!), value).toBe(value);
      expect(text(same!)).toBe("true");
    }
  });

  it("writes null as NULL, numbers and arrays as literals, and refuses numbers that are not finite", async () => {
    const rows = await copyRows`
      select n::int4, x from unnest(${[3, 1, 2]}::int[], ${["a'", null, "c"]}::text[]) with ordinality u(n, x, i)
      where ${null}::text is null and ${2.5}::float8 > 2 order by i`;
    expect(rows.map(([n, x]) => [n!.readInt32BE(0), text(x!)])).toEqual([
      [3, "a'"],
      [1, null],
      [2, "c"],
    ]);
    await expect(copyRows`select ${Number.NaN}::float8`).rejects.toThrow(/finite/);
    await expect(copyRows`select ${Number.POSITIVE_INFINITY}::float8`).rejects.toThrow(/finite/);
  });

  it("reports a failing statement and keeps the pool usable", async () => {
    await expect(copyRows`select 1 / ${0}::int`).rejects.toThrow(/division by zero/);
    const [row] = await copyRows`select 1::int4`;
    expect(row![0]!.readInt32BE(0)).toBe(1);
  });

  it("returns no rows for an empty result, and refuses what is not binary COPY output", async () => {
    expect(await copyRows`select 1 where false`).toEqual([]);
    expect(() => parseBinaryCopy(Buffer.from("1\t2\n"))).toThrow(/binary COPY/);
  });
});
