/**
 * netc's assembled kernels read from the package's dist/, and the Node parts of running them:
 * relaxed SIMD switched on for the fused multiply-add builds, worker threads for the convolution
 * kernels' pool. register.ts takes what this returns (the page fetches the same files instead).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import v8 from "node:v8";
import { Worker } from "node:worker_threads";
import { findInDist } from "../runtime/dist-files.js";
import type { ConvBinaries } from "./conv.js";
import type { KernelBinaries } from "./register.js";
import { WORKER_LOOP, type StartWorker } from "./threads.js";

/**
 * dist/netc-kernels.wasm and its shared-memory build (with the convolution kernels beside them),
 * each the fused multiply-add build where the engine validates it, or why they cannot be read.
 */
export function kernelBinaries(path = findInDist("netc-kernels.wasm")): KernelBinaries {
  if (!path || !existsSync(path)) return { missing: `${path ?? "dist/netc-kernels.wasm"} not found (run \`npm run build\`)` };
  const dir = dirname(path);
  return {
    name: path,
    plain: build(dir, "netc-kernels", "").bytes,
    shared: () => build(dir, "netc-kernels", "-shared").bytes,
    ...(existsSync(join(dir, "netc-conv.wasm")) ? { conv: convBinaries(dir) } : {}),
  };
}

/**
 * The build of kernels `name` with `suffix` in `dir`: with fused multiply-add where the engine
 * validates it. Node 20's V8 has relaxed SIMD behind a flag, which is set for this (it changes
 * nothing else); NETC_FMA=0 keeps the plain build, e.g. to compare the two.
 */
function build(dir: string, name: string, suffix: string): { bytes: Uint8Array<ArrayBuffer>; fma: boolean } {
  if (process.env["NETC_FMA"] !== "0") {
    const fma = join(dir, `${name}-fma${suffix}.wasm`);
    if (existsSync(fma)) {
      const bytes = readFileSync(fma);
      if (!WebAssembly.validate(bytes)) v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
      if (WebAssembly.validate(bytes)) return { bytes, fma: true };
    }
  }
  return { bytes: readFileSync(join(dir, `${name}${suffix}.wasm`)), fma: false };
}

/** The convolution kernels of `dir`. */
function convBinaries(dir: string): ConvBinaries {
  return {
    module(shared) {
      const { bytes, fma } = build(dir, "netc-conv", shared ? "-shared" : "");
      return { module: new WebAssembly.Module(bytes), fma };
    },
    startWorker: startNodeWorker,
  };
}

// CommonJS, run with `eval`: no file to find next to the bundle. Unref'd: the pool's workers
// never keep the process alive.
const WORKER_SOURCE = `const data = require("node:worker_threads").workerData;\n${WORKER_LOOP}`;

const startNodeWorker: StartWorker = (data) => {
  new Worker(WORKER_SOURCE, { eval: true, workerData: data }).unref();
};
