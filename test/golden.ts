import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { expect } from "vitest";

/**
 * Golden files: `actual` must equal the file at `path`. Only `npm run golden:update` (which sets
 * NETC_UPDATE_GOLDEN=1) writes them; review its diff. A missing file is a failure, so that a
 * golden file nobody committed cannot pass by being written on the spot (in CI or anywhere).
 */
export function expectGolden(actual: string, path: string): void {
  if (process.env["NETC_UPDATE_GOLDEN"] === "1") writeFileSync(path, actual);
  if (!existsSync(path)) expect.fail(`${path} is missing: run \`npm run golden:update\` and review the file it writes`);
  expect(actual).toBe(readFileSync(path, "utf8"));
}
