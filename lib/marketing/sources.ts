import { readFileSync } from "node:fs";
import path from "node:path";
import { setupFor } from "../projects/platforms";

// The public site's facts that already live in other files are read from them, never copied:
// the README's two commands, .env.example's variables, platforms.ts's SDK setup.

/** The DSN the docs show: an obvious stand-in a reader replaces with their project's. */
export const PLACEHOLDER_DSN = "https://<public-key>@<your-errorhub-host>/<project-id>";

/** A platform's setup from platforms.ts with the placeholder DSN. */
export const placeholderSetup = (platformId: string) => setupFor(platformId, PLACEHOLDER_DSN);

// Read from the repository root, where `next start`, `npm start` and the tests all run. The
// names are literals so the build's file tracing includes just these two files.
const readme = () => readFileSync(path.join(process.cwd(), "README.md"), "utf8");
const envExample = () => readFileSync(path.join(process.cwd(), ".env.example"), "utf8");

let commands: string[] | undefined;

/** The shell lines of the README's "Two commands" section, comments and all. */
export function twoCommands(): string[] {
  if (commands) return commands;
  const section = readme()
    .split(/^## /m)
    .find((s) => s.startsWith("Two commands"));
  const block = section && /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no ```sh block under "## Two commands"');
  commands = block.trimEnd().split("\n");
  return commands;
}

export type EnvVar = { name: string; example: string; description: string };

let variables: EnvVar[] | undefined;

/**
 * Every variable in .env.example with its example value and the comment above it. Variables
 * listed together under one comment share it; a blank line ends a comment's reach.
 */
export function envVariables(): EnvVar[] {
  if (variables) return variables;
  const out: EnvVar[] = [];
  let comment: string[] = [];
  let shared = "";
  for (const raw of envExample().split("\n")) {
    const line = raw.trim();
    if (line === "") {
      comment = [];
      shared = "";
    } else if (line.startsWith("#")) {
      if (shared) {
        comment = [];
        shared = "";
      }
      comment.push(line.replace(/^#\s?/, ""));
    } else {
      const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!match) continue;
      if (comment.length > 0) shared = comment.join(" ");
      comment = [];
      out.push({ name: match[1]!, example: match[2]!, description: shared });
    }
  }
  variables = out;
  return variables;
}
