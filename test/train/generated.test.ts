import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { check } from "../../src/compile.js";
import { product } from "../../src/layers/types.js";
import { registerNetcKernels } from "../../src/kernels/register.js";
import { SourceFile } from "../../src/source.js";
import { compileModel } from "../../src/train/graph.js";
import { program } from "../programs.js";

/**
 * The shape checker against what actually runs: for random programs that check clean, the
 * lowering (tfjs's own convolutions and poolings) must produce the output shape the checker
 * inferred and hold exactly the parameters and state it counted; a training step must give a
 * finite loss, and the optimized graph must agree with the plain one.
 */

beforeAll(async () => {
  await tf.setBackend("cpu");
  tf.enableProdMode();
  // The project's kernels (their JavaScript reference on cpu), so the fusion passes apply.
  registerNetcKernels(tf);
});

it("random programs that check clean build, run and train as checked", async ({ annotate }) => {
  let ran = 0;
  let runs = 0;
  fc.assert(
    fc.property(program, fc.integer({ min: 0, max: 1000 }), (text, seed) => {
      runs++;
      const checked = check(new SourceFile("generated.net", text), { bn: "scratch" });
      if (checked.diagnostics.some((d) => d.severity === "error")) return;
      ran++;
      const { shapes } = checked;
      const input = shapes.input!;
      const output = shapes.output!;
      const plain = compileModel(tf, checked.network, { bn: "scratch", seed, optimize: false });
      const optimized = compileModel(tf, checked.network, { bn: "scratch", seed });
      tf.tidy(() => {
        const batch = 3;
        const x = tf.randomNormal(input.length === 3 ? [batch, input[1]!, input[2]!, input[0]!] : [batch, input[0]!], 0, 1, "float32", seed);
        const y = plain.predict(x);
        expect(y.shape, text).toEqual([batch, ...(output.length === 3 ? [output[1], output[2], output[0]] : output)]);

        const weights = Object.entries(plain.weights());
        const size = (trainable: boolean) => weights.filter(([, w]) => (w as tf.Variable).trainable === trainable).reduce((n, [, w]) => n + product(w.shape), 0);
        expect({ trainable: size(true), state: size(false) }, text).toEqual({ trainable: shapes.totals.trainable, state: shapes.totals.state });

        // Training needs logits for at least two classes.
        const labels = tf.tensor1d([0, 1, 0], "int32");
        const flat = (t: tf.Tensor) => t.reshape([batch, -1]);
        if (output.length === 1 && output[0]! >= 2) {
          const a = plain.trainStep(x, labels, 0.01).loss.dataSync()[0]!;
          const b = optimized.trainStep(x, labels, 0.01).loss.dataSync()[0]!;
          expect(Number.isFinite(a), text).toBe(true);
          expect(Math.abs(a - b), text).toBeLessThan(1e-4 * Math.max(1, Math.abs(a)));
        }
        expect(tf.max(tf.abs(tf.sub(flat(plain.predict(x)), flat(optimized.predict(x))))).dataSync()[0], text).toBeLessThan(1e-3);
      });
      plain.dispose();
      optimized.dispose();
    }),
    { numRuns: 80 },
  );
  await annotate(`${ran} of ${runs} programs checked clean and ran`);
  // Measured: about 88% check clean.
  expect(ran).toBeGreaterThanOrEqual(55);
}, 120_000);
