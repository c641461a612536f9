import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

// The configuration `npm run mutate` runs the tests with: the usual one, fuzz inputs fixed.
export default mergeConfig(base, defineConfig({ test: { setupFiles: ["test/fixed-seed.ts"] } }));
