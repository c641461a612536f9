import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkBytes } from "../../src/compile.js";
import { initBackend, stopBackend, type Backend } from "../../src/runtime/backend.js";
import { compileModel } from "../../src/train/graph.js";

/**
 * LeNet-BN on the wasm backend, as `netc train` runs it: the optimized graph (fused BN +
 * activation + pooling kernels, frozen biases, folded inference) against the plain reference
 * graph from the same weights.
 */
let backend: Backend;
beforeAll(async () => {
  backend = await initBackend("wasm", { threads: 2 });
});
afterAll(() => stopBackend(backend));

// LeNet-BN with the options of PyTorch's BatchNorm on every `bn`: the fused kernels get γ = 1, β = 0.
const lenetBnOptions = readFileSync("models/lenet-bn.net", "utf8")
  .replace(/\| bn \| sigmoid \| avgpool/g, "| bn affine=false momentum=none | sigmoid | avgpool")
  .replace(/\| bn \| sigmoid$/gm, "| bn track=false | sigmoid");

for (const [model, bn] of [["lenet-bn", "scratch"], ["lenet-bn", "builtin"], ["lenet-bn with bn options", "scratch"], ["lenet-bn with bn options", "builtin"]] as const) {
  it(`optimized = reference on wasm, ${model}, --bn ${bn}`, () => {
    const { tf } = backend;
    expect(backend.description).toMatch(/^wasm \(WebAssembly SIMD, 2 threads, netc kernels\)/);
    const source = model === "lenet-bn" ? readFileSync("models/lenet-bn.net", "utf8") : lenetBnOptions;
    for (const option of [/affine=false momentum=none/g, /track=false/g]) expect(source.match(option)?.length ?? 0).toBe(model === "lenet-bn" ? 0 : 2);
    const checked = checkBytes("models/lenet-bn.net", Buffer.from(source), { bn });
    const fast = compileModel(tf, checked.network, { bn, seed: 3 });
    const plain = compileModel(tf, checked.network, { bn, seed: 3, optimize: false });
    const x = tf.randomUniform([32, 28, 28, 1], 0, 1, "float32", 5);
    const y = tf.randomUniform([32], 0, 10, "int32", 6);
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
