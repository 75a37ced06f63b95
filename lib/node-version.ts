import packageJson from "../package.json" with { type: "json" };

// Imported first by the entry points people run (`npm start`, the admin CLI): on a Node.js
// older than package.json's `engines`, the platform fails somewhere deep (a missing API, a
// library that needs require(esm)) with a stack trace. Checking before anything else loads
// turns that into one line. Plain code only, so this module itself runs on any old Node.

/** Whether `version` (like "20.19.1") meets a range of the form ">=20.19" or ">=20.19.2". */
export function satisfiesEngines(version: string, range: string): boolean {
  const wanted = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(range.trim());
  if (!wanted) throw new Error(`engines.node must look like ">=20.19" (got "${range}")`);
  const have = version.replace(/^v/, "").split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) {
    const need = Number(wanted[i + 1] ?? 0);
    const got = have[i] ?? 0;
    if (got !== need) return got > need;
  }
  return true;
}

/** Ends the process with one line when this Node.js is older than package.json asks for. */
export function requireSupportedNode(version = process.versions.node): void {
  const range = packageJson.engines.node;
  if (satisfiesEngines(version, range)) return;
  process.stderr.write(`error: errorhub needs Node.js ${range}; this is ${version}: install a newer Node.js (https://nodejs.org) and run it again\n`);
  process.exit(1);
}

requireSupportedNode();
