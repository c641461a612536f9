// Copies the TextMate grammar and the language configuration from the repository's grammar/
// (generated from the parser by `npm run grammar`) into the extension: VS Code only reads files
// inside an extension's folder. Runs on `npm install` here (the `prepare` script).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, "grammar"), { recursive: true });
for (const file of ["netc.tmLanguage.json", "language-configuration.json"]) {
  copyFileSync(join(here, "..", "..", "grammar", file), join(here, "grammar", file));
}
