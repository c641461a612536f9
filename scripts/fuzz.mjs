// `npm run fuzz`: bundles scripts/fuzz.ts (it runs the front end's TypeScript in-process) and
// runs it with the garbage collector exposed, for its memory figures. Builds the CLI first: the
// language server it spawns is the bundled `bin/netc.mjs lsp`.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";

spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
const bundle = "node_modules/.cache/netc/fuzz.mjs";
await build({ entryPoints: ["scripts/fuzz.ts"], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
const r = spawnSync(process.execPath, ["--expose-gc", bundle], { stdio: "inherit" });
process.exitCode = r.status ?? 1;
