import path from "node:path";
import { ROOT } from "./processes";

// Both CLIs are installed (3.x as @sentry/cli, 2.x under the alias sentry-cli-v2) and both name
// their binary sentry-cli, so node_modules/.bin/sentry-cli is whichever npm linked last: tests
// call each package's own launcher.
export const SENTRY_CLI = path.join(ROOT, "node_modules/@sentry/cli/bin/sentry-cli");
export const SENTRY_CLI_V2 = path.join(ROOT, "node_modules/sentry-cli-v2/bin/sentry-cli");
