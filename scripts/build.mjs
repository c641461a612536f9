// Bundles the CLI into one ES module: importing chevrotain's many modules costs ~250 ms, the
// bundle loads in a fraction of that. TensorFlow.js stays external and is imported lazily.
import { build } from "esbuild";

await build({
  entryPoints: ["src/cli.ts"],
  outfile: "dist/netc.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  minify: true,
  external: ["@tensorflow/*", "@resvg/*"],
  banner: { js: "import { createRequire as __netcCreateRequire } from 'node:module'; const require = __netcCreateRequire(import.meta.url);" },
  logLevel: "warning",
});
