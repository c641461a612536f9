/**
 * The page's training, in a Web Worker so the page stays responsive: the front end checks the
 * model, graph.ts lowers it, loop.ts trains it (the seed's loop, as `netc train` runs it) on
 * tfjs's WebAssembly backend with netc's kernels. Loaded only when Train is pressed.
 */
import * as tfCore from "@tensorflow/tfjs-core";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { check } from "../compile.js";
import { isUserError } from "../errors.js";
import { registerWasmConv2DBackpropFilter } from "../kernels/conv2d-backprop-filter.js";
import { registerNetcKernels } from "../kernels/register.js";
import type { Tf } from "../layers/types.js";
import { dataFitDiagnostics } from "../data-fit.js";
import { lookupDataset } from "../datasets.js";
import { limitSplit, type Split } from "../runtime/data.js";
import { SourceFile } from "../source.js";
import { checkpointFiles, checkpointMeta, sha256Hex, type RunRecord } from "../train/checkpoint-files.js";
import { compileModel } from "../train/graph.js";
import { divergence, epochLine, finalLines, smallerLr, stopPoint } from "../train/lines.js";
import { evalBatchFor, inputLayout, trainLoop, type LoopSettings } from "../train/loop.js";
import { resolveSettings } from "../train-settings.js";
import type { CompiledModel } from "../train/model.js";
import { thousands } from "../numbers.js";
import { fetchBytes, fetchFashionMnist } from "./fetch-data.js";
import type { DataSource, FromWorker, StartRequest, ToWorker } from "./protocol.js";

// tfjs-core has every op the lowering uses; the full tfjs would add layers, converters and WebGL.
const tf = tfCore as unknown as Tf;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(message, transfer);
}

let backend: Promise<string> | undefined;
let data: { key: string; loaded: Promise<{ train: Split; test: Split }> } | undefined;
let stopRequested = false;
/** The last run's model and where it ended, for the checkpoint download. */
let last: { model: CompiledModel; source: Uint8Array; record: RunRecord; epoch: number; batch: number; testAcc?: number } | undefined;

/** Starts the wasm backend once: threads when the page is cross-origin isolated, netc's kernels. */
function startBackend(assets: string, threads: number): Promise<string> {
  backend ??= (async () => {
    tf.enableProdMode();
    setWasmPaths(`${assets}tfjs/`);
    const threaded = self.crossOriginIsolated && threads > 1;
    // One thread is tfjs's plain build, as `netc train --threads 1` runs it (the threaded build
    // would be chosen wherever shared memory exists, and netc's kernels follow the memory).
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", threaded);
    if (threaded) setThreadsCount(threads);
    // tfjs starts at most half the cores' threads (as in Node, where backend.ts lets it have
    // every core): it reads the count of cores while the backend starts.
    const cores = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(navigator), "hardwareConcurrency");
    if (threaded) Object.defineProperty(navigator, "hardwareConcurrency", { value: 2 * threads, configurable: true });
    try {
      if (!(await tf.setBackend("wasm"))) throw new Error("the WebAssembly backend did not start");
      await tf.ready();
    } finally {
      if (threaded && cores) delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
    }
    registerWasmConv2DBackpropFilter(tf);
    const [plain, shared, conv] = await Promise.all([
      fetchBytes(`${assets}netc-kernels.wasm`),
      threaded ? fetchBytes(`${assets}netc-kernels-shared.wasm`) : undefined,
      convModule(assets, threaded),
    ]);
    const expectMemory = (shared: boolean) => {
      if (shared !== threaded) throw new Error("internal: tfjs's memory is not the kind its threads setting asked for");
    };
    const kernels = registerNetcKernels(tf, {
      name: "netc-kernels.wasm",
      plain,
      shared() {
        expectMemory(true);
        return shared!;
      },
      // No worker threads of netc's here: the convolution kernels run on this worker's thread.
      conv: {
        module(shared) {
          expectMemory(shared);
          return conv;
        },
      },
    });
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    const count = getThreadsCount();
    const why = threads > 1 && !threaded ? " (threads need a cross-origin isolated page, as `netc serve` gives)" : "";
    return `WebAssembly${simd ? " SIMD" : ""}, ${count} thread${count === 1 ? "" : "s"}${why}${kernels.wasm ? ", netc kernels" : `; netc kernels unavailable: ${kernels.reason}`}`;
  })();
  return backend;
}

/** netc's convolution kernels for tfjs's memory: the fused multiply-add build where the browser has relaxed SIMD. */
async function convModule(assets: string, shared: boolean): Promise<{ module: WebAssembly.Module; fma: boolean }> {
  const suffix = shared ? "-shared" : "";
  const fma = await fetchBytes(`${assets}netc-conv-fma${suffix}.wasm`);
  if (WebAssembly.validate(fma)) return { module: await WebAssembly.compile(fma), fma: true };
  return { module: await WebAssembly.compile(await fetchBytes(`${assets}netc-conv${suffix}.wasm`)), fma: false };
}

function loadData(source: DataSource): Promise<{ train: Split; test: Split }> {
  const key = JSON.stringify(source.files);
  if (data?.key !== key) data = { key, loaded: fetchFashionMnist(source) };
  const loading = data;
  // A failed load is tried again next time.
  loading.loaded.catch(() => data === loading && (data = undefined));
  return loading.loaded;
}

async function train(request: StartRequest): Promise<void> {
  stopRequested = false;
  const source = new TextEncoder().encode(request.text);
  const checked = check(new SourceFile(request.fileName, request.text), { bn: request.bn });
  const error = checked.diagnostics.find((d) => d.severity === "error");
  if (error) {
    post({ type: "error", message: `the model has errors: line ${checked.source.position(error.span.start).line}: ${error.message}`, hints: ["the editor underlines them all"] });
    return;
  }
  const { network } = checked;
  // The page trains on Fashion-MNIST, whatever dataset the header names.
  const fashion = lookupDataset("fashion-mnist")!;
  const misfit = dataFitDiagnostics(network, checked.shapes, fashion)[0];
  if (misfit) {
    post({ type: "error", message: `the model does not fit Fashion-MNIST, the page's data: line ${checked.source.position(misfit.span.start).line}: ${misfit.message}`, hints: misfit.hints });
    return;
  }
  const settings: LoopSettings = { ...resolveSettings(network.train, request.settings), data: fashion.name, seed: request.settings.seed };
  const layout = inputLayout(network.input?.shape, fashion.shape);
  post({ type: "status", text: `loading Fashion-MNIST (${request.data.name})…` });
  const [loaded, description] = await Promise.all([loadData(request.data), startBackend(request.assets, request.threads)]);
  const trainSplit = limitSplit(loaded.train, request.limit);
  last?.model.dispose();
  last = undefined;
  const model = compileModel(tf, network, { bn: request.bn, seed: settings.seed, optimizer: settings });
  const record: RunRecord = {
    model: network.name,
    settings,
    ...(request.limit !== undefined ? { limit: request.limit } : {}),
    bn: request.bn,
    backend: "wasm",
    sourceSha256: await sha256Hex(source),
  };
  last = { model, source, record, epoch: 0, batch: 0 };
  const limited = trainSplit.count < loaded.train.count ? ` (the first ${thousands(trainSplit.count)} of ${thousands(loaded.train.count)})` : "";
  post({ type: "data", text: `Fashion-MNIST from ${request.data.name}: ${thousands(trainSplit.count)} training examples${limited}, ${thousands(loaded.test.count)} test examples` });
  post({ type: "started", backend: "wasm", description: `wasm (${description})`, settings, trainCount: trainSplit.count });

  const result = await trainLoop({
    tf,
    model,
    train: trainSplit,
    test: loaded.test,
    layout,
    settings,
    evalBatch: evalBatchFor(checked.shapes),
    hooks: {
      onStep: (info) => post({ type: "step", info }),
      onPoint: (point) => post({ type: "point", point }),
      onEpoch(info) {
        Object.assign(last!, { epoch: info.epoch, batch: 0, testAcc: info.testAcc });
        post({ type: "epoch", info, line: epochLine(info, settings) });
      },
      shouldStop: () => stopRequested,
    },
  });
  const end = result.end;
  if (end.kind === "done") {
    post({ type: "end", kind: "done", lines: finalLines(result, "wasm") });
  } else if (end.kind === "stopped") {
    Object.assign(last, { epoch: end.epoch, batch: end.batch, testAcc: end.batch > 0 ? undefined : last.testAcc });
    post({ type: "end", kind: "stopped", lines: [`stopped at ${stopPoint(end)}`] });
  } else {
    post({ type: "end", kind: "diverged", lines: [`${divergence(end, settings.lr)}: try a smaller learning rate, e.g. ${smallerLr(settings.lr)}`] });
  }
}

async function sendCheckpoint(): Promise<void> {
  if (!last) throw new Error("no model has been trained yet");
  const { model, source, record, epoch, batch, testAcc } = last;
  const files = await checkpointFiles(tf, { ...model.weights(), ...model.optimizerState() }, source, checkpointMeta(record, epoch, batch, testAcc));
  post({ type: "checkpoint", name: record.model, files }, [files["weights.bin"].buffer as ArrayBuffer]);
}

function fail(e: unknown): void {
  post(isUserError(e) ? { type: "error", message: e.message, hints: e.hints } : { type: "error", message: (e as Error)?.message ?? String(e), hints: [] });
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === "stop") stopRequested = true;
  else if (message.type === "start") train(message).catch(fail);
  else sendCheckpoint().catch(fail);
};
