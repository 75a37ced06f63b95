import { describe, expect, it } from "vitest";
import packageJson from "../../package.json" with { type: "json" };
import { satisfiesEngines } from "@/lib/node-version";

describe("satisfiesEngines", () => {
  it("compares major, minor and patch as numbers", () => {
    expect(satisfiesEngines("20.19.0", ">=20.19")).toBe(true);
    expect(satisfiesEngines("20.20.2", ">=20.19")).toBe(true);
    expect(satisfiesEngines("22.1.0", ">=20.19")).toBe(true);
    expect(satisfiesEngines("20.18.3", ">=20.19")).toBe(false);
    expect(satisfiesEngines("20.0.0", ">=20.19")).toBe(false);
    expect(satisfiesEngines("18.20.4", ">=20.19")).toBe(false);
    expect(satisfiesEngines("20.9.0", ">=20.19")).toBe(false); // 9 < 19, not "9" > "1"
    expect(satisfiesEngines("20.19.1", ">=20.19.2")).toBe(false);
    expect(satisfiesEngines("v20.19.2", ">= 20.19.2")).toBe(true);
    expect(satisfiesEngines("21.0.0-pre", ">=21")).toBe(true);
  });

  it("understands package.json's engines, and the Node.js running the tests meets it", () => {
    expect(() => satisfiesEngines("20.0.0", packageJson.engines.node)).not.toThrow();
    expect(satisfiesEngines(process.versions.node, packageJson.engines.node)).toBe(true);
  });

  it("refuses a range it cannot read rather than letting any version through", () => {
    expect(() => satisfiesEngines("20.0.0", "^20.19 || >=22")).toThrow(/engines.node must look like/);
  });
});
