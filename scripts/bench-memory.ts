// What a training step really holds against the memory check's estimate (src/train/memory.ts):
// for each MODEL:BATCH[:BN[:OPTIMIZER]] argument, one warm-up step and one measured with
// tf.profile's peak bytes, and the wasm heap's size after it, on Fashion-MNIST-shaped images.
// Prints one JSON line per model. Run through scripts/bench-memory.mjs.
import { readFileSync } from "node:fs";
import { checkBytes } from "../src/compile.js";
import { lookupDataset, pixelsOf } from "../src/datasets.js";
import { initBackend, stopBackend, type BackendChoice } from "../src/runtime/backend.js";
import { resolveSettings, type OptimizerName } from "../src/train-settings.js";
import { compileModel } from "../src/train/graph.js";
import { imagesTensor, inputLayout } from "../src/train/loop.js";
import { estimateTraining } from "../src/train/memory.js";
import type { Bn } from "../src/train/setup.js";

const images = lookupDataset("fashion-mnist")!.shape;

const backendChoice = (process.env["BACKEND"] ?? "wasm") as BackendChoice;
const backend = await initBackend(backendChoice, { threads: Number(process.env["THREADS"] ?? 2) });
const { tf } = backend;
const heapBytes = () => (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength ?? 0;
for (const spec of process.argv.slice(2)) {
  const [file, batchText, bnText, optimizerText] = spec.split(":");
  const batch = Number(batchText);
  const bn = (bnText || "scratch") as Bn;
  const optimizer = resolveSettings({}, { optimizer: (optimizerText || "sgd") as OptimizerName });
  const checked = checkBytes(file!, readFileSync(file!), { bn });
  const estimate = estimateTraining(checked.network, checked.shapes, batch, { fused: backend.name !== "tensorflow", bn, optimizer });
  const model = compileModel(tf, checked.network, { bn, seed: 0, optimizer });
  const pixels = Float32Array.from({ length: batch * pixelsOf(images) }, (_, i) => (i % 255) / 255);
  const labels = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32");
  const x = imagesTensor(tf, pixels, batch, inputLayout(checked.network.input!.shape, images));
  const step = () => {
    const out = model.trainStep(x, labels, 0.01);
    out.loss.dataSync();
    tf.dispose([out.loss, out.correct]);
  };
  try {
    step();
    const t0 = performance.now();
    const { peakBytes } = await tf.profile(step);
    const seconds = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ model: file, batch, bn, optimizer: optimizer.optimizer, backend: backend.name, measuredMB: +(peakBytes / 1e6).toFixed(1), estimatedMB: +(estimate.total / 1e6).toFixed(1), ratio: +(estimate.total / peakBytes).toFixed(2), heapMB: +(heapBytes() / 1e6).toFixed(1), stepSeconds: +seconds.toFixed(2) }));
  } catch (e) {
    console.log(JSON.stringify({ model: file, batch, bn, optimizer: optimizer.optimizer, backend: backend.name, estimatedMB: +(estimate.total / 1e6).toFixed(1), error: String((e as Error).message ?? e).split("\n")[0], heapMB: +(heapBytes() / 1e6).toFixed(1) }));
  }
  tf.dispose([x, labels]);
  model.dispose();
}
stopBackend(backend);
