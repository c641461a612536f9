// `node scripts/bench-web.mjs` (after `npm run build`): the browser page's figures in headless
// Chromium, and the README's screenshot; see scripts/bench-web.ts. Writes bench/web.json.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { build } from "esbuild";

const bundle = "node_modules/.cache/netc/bench-web.mjs";
await build({ entryPoints: ["scripts/bench-web.ts"], outfile: bundle, bundle: true, platform: "node", format: "esm", packages: "external", logLevel: "warning" });
const r = spawnSync(process.execPath, [bundle], { stdio: "inherit" });
rmSync(bundle);
process.exitCode = r.status ?? 1;
