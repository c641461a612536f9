// `npm run bench:optimizers [MODEL] [BATCH]`: what each optimizer's update costs in netc's
// training step. For every optimizer, on the same model and random batch: the time of a whole
// training step, and of the update alone (optimizer.apply on gradients of the parameters'
// shapes), interleaved round by round so that load elsewhere on this shared machine hits all
// alike. Reported as ratios against plain SGD measured in the same run. wasm backend, every core.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { checkBytes } from "../src/compile.js";
import { initBackend, stopBackend } from "../src/runtime/backend.js";
import { compileModel } from "../src/train/graph.js";
import { createOptimizer, PLAIN_SGD, type OptimizerSettings } from "../src/train/optimizers.js";

const [path = "models/lenet-bn.net", batchText = "128"] = process.argv.slice(2);
const batch = Number(batchText);
const rounds = Number(process.env.ROUNDS ?? 5);
const steps = Number(process.env.STEPS ?? 10);

const OPTIMIZERS: Record<string, OptimizerSettings> = {
  sgd: PLAIN_SGD,
  "sgd momentum nesterov wd": { ...PLAIN_SGD, momentum: 0.9, nesterov: true, wd: 5e-4 },
  adam: { ...PLAIN_SGD, optimizer: "adam" },
  "adamw wd": { ...PLAIN_SGD, optimizer: "adamw", wd: 0.01 },
};

const checked = checkBytes(path, readFileSync(path), { bn: "scratch" });
const threads = availableParallelism();
const backend = await initBackend("wasm", { threads });
const { tf } = backend;
const input = checked.network.input!.shape;
const x = tf.randomUniform(input.length === 3 ? [batch, input[1]!, input[2]!, input[0]!] : [batch, input[0]!], 0, 1, "float32", 1);
const y = tf.randomUniform([batch], 0, 10, "int32", 2);

const models = Object.fromEntries(Object.entries(OPTIMIZERS).map(([name, optimizer]) => [name, compileModel(tf, checked.network, { bn: "scratch", seed: 1, optimizer })]));
// The update alone: each optimizer over copies of the trainable parameters, with fixed gradients.
const params = Object.fromEntries(Object.entries(models["sgd"]!.weights()).filter(([, v]) => (v as { trainable?: boolean }).trainable).map(([k, v]) => [k, tf.variable(v.clone())]));
const grads = new Map(Object.values(params).map((p) => [p, tf.randomNormal(p.shape, 0, 0.01, "float32", 3)]));
const updaters = Object.fromEntries(Object.entries(OPTIMIZERS).map(([name, settings]) => [name, createOptimizer(tf, params, settings)]));

function timeSteps(name: string): number {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const { loss, correct } = models[name]!.trainStep(x, y, 0.01);
    loss.dataSync();
    tf.dispose([loss, correct]);
  }
  return (performance.now() - t0) / steps;
}

function timeUpdates(name: string): number {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) tf.tidy(() => updaters[name]!.apply(grads, 0.01));
  Object.values(params)[0]!.dataSync();
  return (performance.now() - t0) / steps;
}

const samples: Record<string, { step: number[]; update: number[] }> = {};
for (const name of Object.keys(OPTIMIZERS)) {
  timeSteps(name);
  timeUpdates(name);
  samples[name] = { step: [], update: [] };
}
for (let r = 0; r < rounds; r++) {
  for (const name of Object.keys(OPTIMIZERS)) {
    samples[name]!.step.push(timeSteps(name));
    samples[name]!.update.push(timeUpdates(name));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sgdStep = median(samples["sgd"]!.step);
const count = Object.values(params).reduce((n, p) => n + p.size, 0);
console.log(`${checked.network.name}: ${count.toLocaleString("en")} parameters in ${Object.keys(params).length} tensors, batch ${batch}, wasm with ${threads} threads, median of ${rounds} rounds of ${steps} steps`);
console.table(
  Object.entries(samples).map(([name, s]) => ({
    optimizer: name,
    "step ms": +median(s.step).toFixed(1),
    "step ÷ plain SGD's": +(median(s.step) / sgdStep).toFixed(3),
    "update ms": +median(s.update).toFixed(2),
    "update ÷ step": +(median(s.update) / median(s.step)).toFixed(3),
  })),
);
stopBackend(backend);
