import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../src/compile.js";
import type { LayerSpec, LowerContext } from "../src/layers/types.js";
import type { LayerNode } from "../src/resolve.js";
import { SourceFile } from "../src/source.js";
import { compileModel } from "../src/train/graph.js";

/**
 * netc's normalization layers against PyTorch's modules (and, for `iternorm`, the authors'
 * algorithm written in PyTorch): shapes, parameter and state counts, class names, and values —
 * the output in training and eval mode, the gradients, and the moving statistics after three
 * batches — on the fixed inputs of `test/fixtures/torch-layers.json`, the output of
 * `/usr/bin/python3 scripts/torch_layers.py` (PyTorch 1.13).
 */

interface Case {
  layer: string;
  input: number[];
  batch: number;
  class: string;
  params: number;
  buffers: Record<string, number>;
  weight?: number[];
  bias?: number[];
  xs: number[][];
  dy: number[];
  train: { y: number[]; dx: number[]; dweight?: number[]; dbias?: number[] };
  running: Record<string, number[]>;
  eval: number[];
}

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/torch-layers.json"), "utf8")) as { torch: string; cases: Case[] };

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function checkLayer(c: Case, bn: "scratch" | "builtin" = "scratch") {
  const checked = check(new SourceFile("case.net", `input ${c.input.join("x")}\n${c.layer}\n`), { bn });
  expect(checked.diagnostics).toEqual([]);
  return checked;
}

/** A PyTorch batch (N×C×H×W or N×F, flat) as netc's NHWC tensor. */
function nhwc(values: number[], c: Case): tf.Tensor {
  const t = tf.tensor(values, [c.batch, ...c.input]);
  return c.input.length === 3 ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

/** A parameter in netc's layout: LayerNorm's C×H×W weight is stored H×W×C. */
function parameter(values: number[], c: Case): tf.Tensor {
  if (c.class === "LayerNorm" && c.input.length === 3) return tf.transpose(tf.tensor(values, c.input), [1, 2, 0]);
  return tf.tensor(values);
}

function expectClose(actual: tf.Tensor, expected: tf.Tensor | number[], what: string, tolerance = 1e-4) {
  const e = Array.isArray(expected) ? tf.tensor(expected, actual.shape) : expected;
  expect(actual.shape, what).toEqual(e.shape);
  const scale = Math.max(1, tf.max(tf.abs(e)).dataSync()[0]!);
  expect(tf.max(tf.abs(tf.sub(actual, e))).dataSync()[0]!, what).toBeLessThan(tolerance * scale);
}

/** netc's state name for each PyTorch buffer. */
const STATE: Record<string, string> = { running_mean: "moving_mean", running_var: "moving_var", running_wm: "moving_whitening", num_batches_tracked: "num_batches_tracked" };

describe(`agreement with PyTorch ${fixture.torch}'s normalization modules`, () => {
  it("covers every new layer and bn option", () => {
    const layers = fixture.cases.map((c) => c.layer.split(" ")[0]);
    expect(new Set(layers)).toEqual(new Set(["layernorm", "groupnorm", "instancenorm", "bn", "iternorm"]));
    for (const option of ["affine=false", "track=false", "momentum=none"]) expect(fixture.cases.some((c) => c.layer.startsWith("bn") && c.layer.includes(option)), option).toBe(true);
  });

  for (const c of fixture.cases) {
    describe(`${c.layer} on ${c.input.join("×")} (${c.class})`, () => {
      it("has PyTorch's shape, class name and parameter and state counts", () => {
        const { shapes } = checkLayer(c, "builtin");
        const [row] = shapes.rows;
        expect(row!.torchName).toBe(c.layer.startsWith("bn") ? `BatchNorm${c.input.length === 3 ? 2 : 1}d` : c.class);
        expect(shapes.output).toEqual(c.input);
        expect(row!.counts.trainable).toBe(c.params);
        // PyTorch always keeps num_batches_tracked; netc keeps it where it is read, with momentum=none.
        const state = Object.entries(c.buffers).filter(([name]) => name !== "num_batches_tracked" || c.layer.includes("momentum=none"));
        expect(row!.counts.state).toBe(state.reduce((n, [, size]) => n + size, 0));
      });

      for (const impl of c.layer.startsWith("bn") ? (["scratch", "builtin"] as const) : (["scratch"] as const)) {
        it(`gives PyTorch's values${c.layer.startsWith("bn") ? ` (${impl})` : ""}`, () => {
          const checked = checkLayer(c, impl);
          const node = checked.network.layers[0] as LayerNode;
          const spec: LayerSpec = node.spec;
          // The layer's variables as netc initializes them, then PyTorch's affine parameters.
          const model = compileModel(tf, checked.network, { bn: impl, seed: 1, optimize: false });
          const p: Record<string, tf.Tensor> = Object.fromEntries(Object.entries(model.weights()).map(([name, t]) => [name.split(".").at(-1)!, t]));
          expect(Object.keys(p).sort()).toEqual([...(c.weight ? ["gamma", "beta"] : []), ...Object.keys(c.buffers).filter((b) => b in c.running && (b !== "num_batches_tracked" || c.layer.includes("momentum=none"))).map((b) => STATE[b]!)].sort());
          if (c.weight) {
            p["gamma"] = parameter(c.weight, c);
            p["beta"] = parameter(c.bias!, c);
          }
          const ctx = (training: boolean): LowerContext => ({ tf, training, bn: impl, nextSeed: () => 1 });
          const x = nhwc(c.xs[0]!, c);
          const dy = nhwc(c.dy, c);

          const forward = spec.lower.forward(ctx(true), x, p, node.args);
          expectClose(forward.y, nhwc(c.train.y, c), "training output");
          const trainable = Object.keys(p).filter((n) => n === "gamma" || n === "beta");
          let dx: tf.Tensor;
          let grads: Record<string, tf.Tensor>;
          if (spec.lower.backward) {
            ({ dx, grads } = spec.lower.backward(ctx(true), dy, x, forward, p, node.args, true) as { dx: tf.Tensor; grads: Record<string, tf.Tensor> });
          } else {
            // What the graph does for a layer without an explicit backward.
            const f = (xIn: tf.Tensor, ...ps: tf.Tensor[]) => spec.lower.forward(ctx(true), xIn, { ...p, ...Object.fromEntries(trainable.map((n, i) => [n, ps[i]!])) }, node.args).y;
            const [dxAuto, ...dps] = tf.grads(f)([x, ...trainable.map((n) => p[n]!)], dy);
            [dx, grads] = [dxAuto!, Object.fromEntries(trainable.map((n, i) => [n, dps[i]!]))];
          }
          expectClose(dx, nhwc(c.train.dx, c), "dx");
          expect(Object.keys(grads).sort()).toEqual(trainable.sort());
          if (c.weight) {
            expectClose(grads["gamma"]!, parameter(c.train.dweight!, c), "dgamma");
            expectClose(grads["beta"]!, parameter(c.train.dbias!, c), "dbeta");
          }

          // Three training batches, the first one above included.
          let state = forward.state ?? {};
          for (const xs of c.xs.slice(1)) {
            Object.assign(p, state);
            state = spec.lower.forward(ctx(true), nhwc(xs, c), p, node.args).state ?? {};
          }
          Object.assign(p, state);
          for (const [buffer, values] of Object.entries(c.running)) {
            const name = STATE[buffer]!;
            if (!(name in p)) continue;
            if (name === "moving_var" && c.class.startsWith("BatchNorm")) {
              // netc's bn tracks the biased batch variance (the d2l convention), PyTorch's the
              // unbiased one: each batch's contribution differs by (m − 1)/m, m = N·H·W. What is
              // left of the initial 1 is momentum^steps, or nothing for the cumulative average.
              const m = c.xs[0]!.length / c.input[0]!;
              const initial = c.layer.includes("momentum=none") ? 0 : 0.9 ** c.xs.length;
              expectClose(p[name]!, values.map((v) => initial + ((v - initial) * (m - 1)) / m), name);
              // Inference below then uses PyTorch's statistics.
              p[name] = tf.tensor(values);
            } else {
              expectClose(p[name]!, values, name);
            }
          }
          expectClose(spec.lower.forward(ctx(false), x, p, node.args).y, nhwc(c.eval, c), "eval output");
          model.dispose();
        });
      }
    });
  }
});
