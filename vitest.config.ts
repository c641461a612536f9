import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The CLI tests run the bundled `bin/netc.mjs`, so it is built once first.
    globalSetup: ["test/build-cli.ts"],
    testTimeout: 30_000,
    // StrykerJS's sandboxes (`npm run mutate`) hold copies of the tests.
    exclude: [...configDefaults.exclude, ".stryker-tmp/**"],
  },
});
