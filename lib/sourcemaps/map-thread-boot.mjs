// The source-map parse thread's entry when the worker runs from TypeScript (tsx, vitest): a new
// thread does not inherit the loader that reads .ts files, so it registers tsx first.
import { register } from "tsx/esm/api";

register();
await import("./map-thread.ts");
