/** netc's assembled kernels read from the package's dist/ (Node); register.ts takes the bytes. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { findInDist } from "../runtime/dist-files.js";
import type { KernelBinaries } from "./register.js";

/** dist/netc-kernels.wasm and its shared-memory build, or why they cannot be read. */
export function kernelBinaries(path = findInDist("netc-kernels.wasm")): KernelBinaries {
  if (!path || !existsSync(path)) return { missing: `${path ?? "dist/netc-kernels.wasm"} not found (run \`npm run build\`)` };
  return { name: path, plain: readFileSync(path), shared: () => readFileSync(join(dirname(path), "netc-kernels-shared.wasm")) };
}
