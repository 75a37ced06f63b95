import path from "node:path";
import type { Page } from "playwright-core";
import { ROOT } from "./processes";

/** axe-core's accessibility rules on the page as it stands: one line per violation, [] when none. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: path.join(ROOT, "node_modules/axe-core/axe.min.js") });
  return page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global script
    const result = await (window as any).axe.run(document, { resultTypes: ["violations"] });
    return (result.violations as { id: string; help: string; nodes: { target: unknown }[] }[]).map(
      (v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`,
    );
  });
}
