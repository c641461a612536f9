import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A file or directory the build puts in the package's dist/ (the kernels, the web page), found
 * from src/ (tests) or dist/ and dist/chunks/ (the bundle).
 */
export function findInDist(name: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    for (const candidate of [join(dir, name), join(dir, "dist", name)]) if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
