// Training and eval throughput of netc's compiled LeNet-BN, one backend and BN mode per call:
// prints one JSON object. Run through scripts/bench.mjs, which also measures PyTorch.
import { readFileSync } from "node:fs";
import { checkBytes } from "../src/compile.js";
import { initBackend, stopBackend, type BackendChoice } from "../src/runtime/backend.js";
import { compileModel } from "../src/train/graph.js";

const [backendChoice = "wasm", bn = "scratch", stepsText = "60", threadsText = "2"] = process.argv.slice(2);
const steps = Number(stepsText);
const batch = 128;
const checked = checkBytes("models/lenet-bn.net", readFileSync("models/lenet-bn.net"), { bn: bn as "scratch" | "builtin" });
const backend = await initBackend(backendChoice as BackendChoice, { threads: Number(threadsText) });
const { tf, name } = backend;
const model = compileModel(tf, checked.network, { bn: bn as "scratch" | "builtin", seed: 1 });
const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, "float32", 1);
const y = tf.randomUniform([batch], 0, 10, "int32", 2);

// As the training loop does: read loss and correct count after every step.
function step(): void {
  const { loss, correct } = model.trainStep(x, y, 0.1);
  loss.dataSync();
  correct.dataSync();
  tf.dispose([loss, correct]);
}
for (let i = 0; i < 5; i++) step();
let t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const train = (steps * batch) / ((performance.now() - t0) / 1000);

const xe = tf.randomUniform([1000, 28, 28, 1], 0, 1, "float32", 3);
const ye = tf.randomUniform([1000], 0, 10, "int32", 4);
model.countCorrect(xe, ye).dispose();
t0 = performance.now();
for (let i = 0; i < 10; i++) {
  const c = model.countCorrect(xe, ye);
  c.dataSync();
  c.dispose();
}
const evaluate = 10_000 / ((performance.now() - t0) / 1000);
console.log(JSON.stringify({ backend: `${name}, ${backend.description.match(/(\d+) threads?/)?.[1] ?? "1"} thread(s)`, bn, train, eval: evaluate }));
stopBackend(backend);
