import path from "node:path";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": path.resolve(import.meta.dirname) } },
  test: {
    include: ["tests/**/*.test.ts", "lib/**/*.test.ts"],
    // Tests put scratch checkouts of the project under tests/.artifacts: never collect theirs.
    exclude: [...configDefaults.exclude, "tests/.artifacts/**"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/setup.ts"],
    // Integration tests start real processes; on a loaded 2-core machine a few take tens of seconds.
    testTimeout: 90_000,
    hookTimeout: 300_000,
    // Integration files start real processes on their own ports; two at a time fits 2 cores.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
