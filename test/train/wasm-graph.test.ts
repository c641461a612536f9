import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkBytes } from "../../src/compile.js";
import { backendMemoryBytes, initBackend, stopBackend, type Backend } from "../../src/runtime/backend.js";
import { compileModel } from "../../src/train/graph.js";

/**
 * LeNet-BN and the d2l networks' pieces on the wasm backend, as `netc train` runs them: the
 * optimized graph (the project's convolution kernels, fused BN + activation + pooling kernels,
 * frozen biases, folded inference) against the plain reference graph of tfjs ops from the same
 * weights.
 */
let backend: Backend;
beforeAll(async () => {
  backend = await initBackend("wasm", { threads: 2 });
});
afterAll(() => stopBackend(backend));

// The d2l networks' pieces at a small size: a strided 7×7 first conv, max pooling with padding,
// a residual block with a strided 1×1 shortcut, an Inception-like concat, a dense block,
// global pooling and linear layers.
const PIECES = `model pieces
input 1x20x20
conv 16 k7 s2 p3 | bn | relu | maxpool 3 s2 p1
add {
  conv 24 k3 p1 s2 | bn | relu
  conv 24 k3 p1 | bn
} {
  conv 24 k1 s2
}
relu
concat { conv 8 k1 | relu } { conv 4 k1 | relu | conv 12 k3 p1 | relu } { maxpool 3 s1 p1 | conv 6 k1 | relu }
concat { identity } { bn | relu | conv 10 k3 p1 }
gap | flatten
linear 20 | relu | dropout 0.5
linear 10
`;

// LeNet-BN with the options of PyTorch's BatchNorm on every `bn`: the fused kernels get γ = 1, β = 0.
const lenetBnOptions = readFileSync("models/lenet-bn.net", "utf8")
  .replace(/\| bn \| sigmoid \| avgpool/g, "| bn affine=false momentum=none | sigmoid | avgpool")
  .replace(/\| bn \| sigmoid$/gm, "| bn track=false | sigmoid");

const MODELS = [
  { name: "lenet-bn", source: readFileSync("models/lenet-bn.net"), input: [32, 28, 28, 1] },
  { name: "lenet-bn with bn options", source: new TextEncoder().encode(lenetBnOptions), input: [32, 28, 28, 1] },
  { name: "the d2l networks' pieces", source: new TextEncoder().encode(PIECES), input: [6, 20, 20, 1] },
];

it("the variant of LeNet-BN has PyTorch's BatchNorm options on every bn", () => {
  for (const option of [/affine=false momentum=none/g, /track=false/g]) expect(lenetBnOptions.match(option)?.length).toBe(2);
});

const RUNS = MODELS.flatMap((model) => (["scratch", "builtin"] as const).map((bn) => ({ model, bn })));
for (const { model, bn } of RUNS) {
  it(`optimized = reference on wasm, ${model.name}, --bn ${bn}`, () => {
    const { tf } = backend;
    expect(backend.description).toMatch(/^wasm \(WebAssembly SIMD, 2 threads, netc kernels\)/);
    const checked = checkBytes(`${model.name}.net`, model.source, { bn });
    const fast = compileModel(tf, checked.network, { bn, seed: 3 });
    const plain = compileModel(tf, checked.network, { bn, seed: 3, optimize: false });
    const x = tf.randomUniform(model.input, 0, 1, "float32", 5);
    const y = tf.randomUniform([model.input[0]!], 0, 10, "int32", 6);
    for (let step = 0; step < 3; step++) {
      const a = fast.trainStep(x, y, 0.5);
      const b = plain.trainStep(x, y, 0.5);
      expect(a.loss.dataSync()[0]).toBeCloseTo(b.loss.dataSync()[0]!, 4);
      expect(a.correct.dataSync()[0]).toBe(b.correct.dataSync()[0]);
    }
    const diff = (p: ReturnType<typeof fast.predict>, q: ReturnType<typeof fast.predict>) => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]!;
    expect(diff(fast.predict(x), plain.predict(x))).toBeLessThan(1e-3);
    const weights = plain.weights();
    for (const [name, w] of Object.entries(fast.weights())) expect(diff(w, weights[name]!), name).toBeLessThan(1e-4);
    fast.dispose();
    plain.dispose();
  });
}

it("reuses its buffers: after the first steps, training steps leave tensors and the wasm heap as they were", () => {
  const { tf } = backend;
  const checked = checkBytes("pieces.net", new TextEncoder().encode(PIECES), { bn: "builtin" });
  const model = compileModel(tf, checked.network, { bn: "builtin", seed: 3 });
  const x = tf.randomUniform([6, 20, 20, 1], 0, 1, "float32", 5);
  const y = tf.randomUniform([6], 0, 10, "int32", 6);
  const step = () => {
    const { loss, correct } = model.trainStep(x, y, 0.1);
    tf.dispose([loss, correct]);
  };
  const heap = () => backendMemoryBytes(backend);
  for (let i = 0; i < 2; i++) step();
  const before = { memory: tf.memory().numBytes, tensors: tf.memory().numTensors, heap: heap() };
  for (let i = 0; i < 5; i++) step();
  expect({ memory: tf.memory().numBytes, tensors: tf.memory().numTensors, heap: heap() }).toEqual(before);
  model.dispose();
  tf.dispose([x, y]);
});
