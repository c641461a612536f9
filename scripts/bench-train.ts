// Training and eval throughput of one of netc's models, one backend, BN kind and thread count
// per call, on random data of the model's input shape: prints one JSON object. Run through
// scripts/bench.mjs, which measures PyTorch's in the same run.
//   bench-train MODEL BACKEND BN THREADS BATCH STEPS WARMUP EVAL_BATCH EVAL_BATCHES
import { readFileSync } from "node:fs";
import { checkBytes } from "../src/compile.js";
import { convUsesFma } from "../src/kernels/conv.js";
import { backendMemoryBytes, initBackend, stopBackend, type BackendChoice } from "../src/runtime/backend.js";
import { compileModel } from "../src/train/graph.js";

const [model = "lenet-bn", backendChoice = "wasm", bnText = "scratch", threadsText = "2", ...numbers] = process.argv.slice(2);
const [batch = 128, steps = 60, warmup = 5, evalBatch = 1000, evalBatches = 10] = numbers.map(Number);
const bn = bnText as "scratch" | "builtin";
const file = `models/${model}.net`;
const checked = checkBytes(file, readFileSync(file), { bn });
const backend = await initBackend(backendChoice as BackendChoice, { threads: Number(threadsText) });
const { tf } = backend;
const net = compileModel(tf, checked.network, { bn, seed: 1 });
const [c, h, w] = checked.network.input!.shape as [number, number, number];
const images = (n: number, seed: number) => tf.randomUniform([n, h, w, c], 0, 1, "float32", seed);
const x = images(batch, 1);
const y = tf.randomUniform([batch], 0, 10, "int32", 2);

// As the training loop does: read loss and correct count after every step. A small rate: the
// labels are random, and only the speed matters.
function step(): void {
  const { loss, correct } = net.trainStep(x, y, 0.01);
  loss.dataSync();
  correct.dataSync();
  tf.dispose([loss, correct]);
}
for (let i = 0; i < warmup; i++) step();
let t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < steps; i++) step();
const train = (steps * batch) / ((performance.now() - t0) / 1000);
// Per second of CPU time (all threads): what a loaded machine does not take away.
const cpu = process.cpuUsage(c0);
const trainCpu = (steps * batch) / ((cpu.user + cpu.system) / 1e6);
tf.dispose([x, y]);

const xe = images(evalBatch, 3);
const ye = tf.randomUniform([evalBatch], 0, 10, "int32", 4);
net.countCorrect(xe, ye).dispose();
t0 = performance.now();
for (let i = 0; i < evalBatches; i++) {
  const correct = net.countCorrect(xe, ye);
  correct.dataSync();
  correct.dispose();
}
const evaluate = (evalBatches * evalBatch) / ((performance.now() - t0) / 1000);
const fma = backend.name === "wasm" && tf.getKernel("NetcConv2D", "wasm") ? convUsesFma(tf.backend()) : null;
// Multiply-adds of one example's forward pass, as `netc shapes` counts them.
const macs = checked.shapes?.totals.macs ?? null;
console.log(JSON.stringify({ backend: backend.description, threads: Number(threadsText), model, bn, batch, train, trainCpu, eval: evaluate, fma, macs, heapBytes: backendMemoryBytes(backend) ?? null }));
stopBackend(backend);
