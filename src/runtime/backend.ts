/**
 * TensorFlow.js backend selection. tfjs is imported lazily so that commands which never train
 * (parse, check, …) don't pay for loading it.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os, { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { kernelBinaries } from "../kernels/binaries.js";
import { registerWasmConv2DBackpropFilter } from "../kernels/conv2d-backprop-filter.js";
import { registerNetcKernels } from "../kernels/register.js";
import { netcCache } from "./cache.js";
import { writeFileAtomic } from "./fsutil.js";

export type Tf = typeof import("@tensorflow/tfjs");
export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";
export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface Backend {
  tf: Tf;
  name: BackendName;
  /** One line for the user: what runs, and why a faster backend was skipped. */
  description: string;
}

const FALLBACKS: Record<BackendChoice, BackendName[]> = {
  // Only `auto` falls back: a backend named on the command line is that backend or an error.
  auto: ["tensorflow", "wasm", "cpu"],
  tensorflow: ["tensorflow"],
  wasm: ["wasm"],
  cpu: ["cpu"],
};

// A variable specifier keeps TypeScript from resolving a package that usually isn't installed
// (its install script downloads libtensorflow, which fails offline).
const TFJS_NODE: string = "@tensorflow/tfjs-node";

/**
 * Activates the first backend in `choice`'s fallback chain that loads, with `threads` threads
 * (default: every core) where the backend has them.
 */
export async function initBackend(
  choice: BackendChoice,
  opts: { threads?: number } = {},
): Promise<Backend> {
  const tf = await import("@tensorflow/tfjs");
  // Silences tfjs's console nags (e.g. the cpu backend's "install tfjs-node" banner); PROD
  // changes nothing else. netc reports the backend itself.
  tf.enableProdMode();
  const skipped: string[] = [];
  for (const name of FALLBACKS[choice]) {
    try {
      let detail = await START[name](tf, opts.threads);
      // netc's own kernels: WebAssembly SIMD on wasm, their JavaScript reference on cpu.
      const kernels = registerNetcKernels(tf, kernelBinaries());
      if (name === "wasm") detail += kernels.wasm ? ", netc kernels" : `; netc kernels unavailable: ${kernels.reason}`;
      const note = skipped.length ? `; ${skipped.join("; ")}` : "";
      return { tf, name, description: `${name} (${detail})${note}` };
    } catch (err) {
      skipped.push(`${name} unavailable: ${firstLine(err)}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be started: ${skipped.join("; ")}`);
}

const START: Record<BackendName, (tf: Tf, threads?: number) => Promise<string>> = {
  async tensorflow(tf, threads) {
    if (threads) {
      // libtensorflow reads these when its first context is created.
      process.env.TF_NUM_INTRAOP_THREADS = String(threads);
      process.env.TF_NUM_INTEROP_THREADS = "1";
    }
    // Registers the "tensorflow" backend with the shared tfjs engine.
    await import(TFJS_NODE).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ERR_MODULE_NOT_FOUND") throw new Error(`${TFJS_NODE} is not installed`);
      // Installed, but its install script could not download libtensorflow (offline).
      if (/native addon module/.test(err.message)) throw new Error(`${TFJS_NODE} is installed without its native library`);
      throw err;
    });
    await activate(tf, "tensorflow");
    return "native libtensorflow via @tensorflow/tfjs-node";
  },
  async wasm(tf, threads = availableParallelism()) {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    let threadNote = "";
    if (threads > 1) {
      try {
        await enableWasmThreads(tf, wasm, threads, () => activate(tf, "wasm"));
      } catch (err) {
        threadNote = ` (threads unavailable: ${firstLine(err)})`;
        await activate(tf, "wasm");
      }
    } else {
      await activate(tf, "wasm");
    }
    registerWasmConv2DBackpropFilter(tf);
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const count = wasm.getThreadsCount();
    return `WebAssembly${simd ? " SIMD" : ""}, ${count} thread${count === 1 ? "" : "s"}${threadNote}`;
  },
  async cpu(tf) {
    await activate(tf, "cpu");
    return "plain JavaScript, slow";
  },
};

/**
 * tfjs runs its wasm backend single-threaded in Node (tfjs issue #3830): its threaded build's
 * worker script loads itself from a blob URL, which Node's workers cannot, and it caps threads
 * at half the cores. Measured here with 2 threads, LeNet-BN trains ~1.2× and evaluates ~2×
 * faster (the convolutions are XNNPACK's and parallel), so netc enables them: the worker script
 * is patched to load the threaded build from its path and written to netc's cache directory
 * (checked before each use, never trusted blindly), blob URLs of JavaScript resolve to that file
 * (for as long as the process runs: tfjs may start workers later), and os.cpus() reports enough
 * cores while the backend starts. Anything unexpected (another tfjs version) throws with the
 * thread settings undone, and the caller starts the single-threaded build.
 */
async function enableWasmThreads(tf: Tf, wasm: typeof import("@tensorflow/tfjs-backend-wasm"), threads: number, start: () => Promise<void>): Promise<void> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "wasm-out");
  const original = (require(join(dir, "tfjs-backend-wasm-threaded-simd.worker.js")) as { wasmWorkerContents: string }).wasmWorkerContents;
  const loader = /if\(typeof e\.data\.urlOrBlob=="string"\)\{importScripts\(e\.data\.urlOrBlob\)\}else\{[^}]*\}/;
  if (!loader.test(original)) throw new Error("unexpected tfjs worker script");
  const worker = original.replace(loader, `importScripts(${JSON.stringify(join(dir, "tfjs-backend-wasm-threaded-simd.js"))});`).replace(/\n/g, "\\n");
  const workerPath = join(netcCache(), `tfjs-wasm-worker-${createHash("sha256").update(worker).digest("hex").slice(0, 16)}.cjs`);
  const existing = await readFile(workerPath, "utf8").catch(() => undefined);
  if (existing !== worker) {
    await mkdir(dirname(workerPath), { recursive: true });
    await writeFileAtomic(workerPath, worker);
  }
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) => (blob.type === "application/javascript" ? workerPath : createObjectURL(blob));
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    while (real.length < 2 * threads) real.push(real[0]!);
    return real;
  };
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    wasm.setThreadsCount(threads);
    await start();
  } catch (err) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    wasm.setThreadsCount(1);
    URL.createObjectURL = createObjectURL;
    throw err;
  } finally {
    os.cpus = cpus;
  }
}

/** Ends the wasm backend's worker threads, which would otherwise keep the process alive. */
export function stopBackend(backend: Backend): void {
  if (backend.name !== "wasm") return;
  const module = (backend.tf.backend() as unknown as { wasm?: { PThread?: { terminateAllThreads(): void } } }).wasm;
  module?.PThread?.terminateAllThreads();
}

async function activate(tf: Tf, name: BackendName): Promise<void> {
  // setBackend resolves false (rather than throwing) when the backend's init fails.
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend("${name}") failed`);
  await tf.ready();
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split("\n")[0]!;
}
