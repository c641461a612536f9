import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The CLI tests run the bundled `bin/netc.mjs`, so it is built once first.
    globalSetup: ["test/build-cli.ts"],
    testTimeout: 30_000,
  },
});
