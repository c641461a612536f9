// `npm run grammar`: writes grammar/netc-diagrams.html, grammar/netc.ebnf and
// grammar/netc.tmLanguage.json from the real parser and layer registry. The work is done by
// scripts/grammar.ts (which test/grammar.test.ts also runs, to catch stale files); esbuild
// bundles it, with its TypeScript imports from src/, into node_modules/.cache so plain Node can
// run it. Packages stay external, so they resolve from the project's node_modules.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const bundle = "node_modules/.cache/netc/grammar.mjs";
await build({
  entryPoints: ["scripts/grammar.ts"],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
const { generateGrammar } = await import(pathToFileURL(bundle).href);
rmSync(bundle);

mkdirSync("grammar", { recursive: true });
for (const [file, text] of Object.entries(generateGrammar())) {
  writeFileSync(`grammar/${file}`, text);
  console.log(`wrote grammar/${file}`);
}
