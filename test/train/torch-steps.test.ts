import { readFileSync } from "node:fs";
import type { Tensor } from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../../src/compile.js";
import { initBackend, type Tf } from "../../src/runtime/backend.js";
import { SourceFile } from "../../src/source.js";
import { compileModel } from "../../src/train/graph.js";

/**
 * netc's training steps against PyTorch's: a small network whose batch normalizations use
 * non-default eps and momentum, trained for a few batches from the same weights. The reference
 * is `test/fixtures/torch-train-steps.json`, made by `/usr/bin/python3 scripts/torch_train_steps.py`
 * (PyTorch's own BatchNorm modules in float64; the script converts momentum, 0.7 here being
 * PyTorch's 0.3, and PyTorch's unbiased running variance to netc's biased one).
 */

interface Weights {
  [name: string]: { shape: number[]; values: number[] };
}
const reference = JSON.parse(readFileSync("test/fixtures/torch-train-steps.json", "utf8")) as {
  source: string;
  lr: number;
  batches: { images: number[]; labels: number[] }[];
  initial: Weights;
  losses: number[];
  final: Weights;
};

/** max |ours − theirs| over a tensor's elements, relative to its largest |theirs|. */
function relativeError(ours: Tensor, theirs: number[]): number {
  const values = ours.dataSync();
  return Math.max(...theirs.map((t, i) => Math.abs(values[i]! - t))) / Math.max(...theirs.map(Math.abs));
}

// The fused graph runs the project's kernels: their JavaScript reference on cpu, WebAssembly on wasm.
describe.each(["cpu", "wasm"] as const)("training steps on %s = PyTorch's (non-default eps and momentum)", (backendName) => {
  let tf: Tf;
  beforeAll(async () => {
    const backend = await initBackend(backendName, { threads: 1 });
    expect(backend.name).toBe(backendName);
    tf = backend.tf;
  });

  for (const bn of ["scratch", "builtin"] as const) {
    for (const optimize of [true, false]) {
      it(`--bn ${bn}, ${optimize ? "fused (optimized)" : "unfused (optimize: false)"} graph`, () => {
        const checked = check(new SourceFile("steps.net", reference.source), { bn });
        expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        const model = compileModel(tf, checked.network, { bn, seed: 0, optimize });
        model.setWeights(Object.fromEntries(Object.entries(reference.initial).map(([name, w]) => [name, tf.tensor(w.values, w.shape)])));

        reference.batches.forEach(({ images, labels }, step) => {
          const x = tf.tensor4d(images, [labels.length, 4, 4, 2]);
          const { loss } = model.trainStep(x, tf.tensor1d(labels, "int32"), reference.lr);
          expect(Math.abs(loss.dataSync()[0]! - reference.losses[step]!), `loss of step ${step + 1}`).toBeLessThan(1e-6 * reference.losses[step]!);
        });

        const weights = model.weights();
        expect(Object.keys(weights).sort()).toEqual(Object.keys(reference.final).sort());
        for (const [name, expected] of Object.entries(reference.final)) {
          expect(weights[name]!.shape, name).toEqual(expected.shape);
          // The moving statistics to 1e-6; what passed through backward passes to 1e-5.
          const tolerance = /moving_/.test(name) ? 1e-6 : 1e-5;
          expect(relativeError(weights[name]!, expected.values), name).toBeLessThan(tolerance);
        }
        model.dispose();
      });
    }
  }
});
