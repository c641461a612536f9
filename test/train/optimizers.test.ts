import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { check } from "../../src/compile.js";
import { registerNetcKernels } from "../../src/kernels/register.js";
import { SourceFile } from "../../src/source.js";
import { compileModel } from "../../src/train/graph.js";
import { createOptimizer, type OptimizerSettings } from "../../src/train/optimizers.js";
import { learningRate } from "../../src/train/schedules.js";
import { resolveSettings } from "../../src/train-settings.js";

/**
 * The optimizers and schedules against PyTorch's. `test/fixtures/torch-optim.json` is the output
 * of `/usr/bin/python3 scripts/torch_optim_reference.py` (torch.optim of PyTorch 1.13, one
 * thread): the same gradients given to both, parameters compared after every step to 1e-5.
 */

interface Named {
  shape: number[];
  values: number[];
}
const reference = JSON.parse(readFileSync(join(import.meta.dirname, "../fixtures/torch-optim.json"), "utf8")) as {
  optimizers: {
    name: string;
    settings: OptimizerSettings;
    lrs: number[];
    initial: Record<string, Named>;
    grads: Record<string, number[] | null>[];
    after: Record<string, number[]>[];
    state: Record<string, number[] | number>;
  }[];
  model: {
    source: string;
    lrs: number[];
    initial: Record<string, Named>;
    batches: { x: number[]; labels: number[] }[];
    cases: { settings: OptimizerSettings; after: Record<string, number[]>[] }[];
  };
  schedules: { step: { lr: number; epochs: number; step: number; gamma: number; lrs: number[] }; cosine: { lr: number; epochs: number; lrs: number[] } };
};

beforeAll(async () => {
  await tf.setBackend("cpu");
  tf.enableProdMode();
  registerNetcKernels(tf);
});

function maxDiff(actual: tf.Tensor, expected: readonly number[]): number {
  const a = actual.dataSync();
  expect(a.length).toBe(expected.length);
  return Math.max(...expected.map((e, i) => Math.abs(a[i]! - e)));
}

const variables = (initial: Record<string, Named>) => Object.fromEntries(Object.entries(initial).map(([k, v]) => [k, tf.variable(tf.tensor(v.values, v.shape))]));

describe("optimizers against torch.optim on the same gradients", () => {
  for (const c of reference.optimizers) {
    it(`${c.name}: every step's parameters and the final state to 1e-5`, () => {
      const params = variables(c.initial);
      const optimizer = createOptimizer(tf, params, c.settings);
      c.lrs.forEach((lr, step) => {
        tf.tidy(() => {
          const grads = new Map<tf.Variable, tf.Tensor>();
          for (const [k, g] of Object.entries(c.grads[step]!)) if (g) grads.set(params[k]!, tf.tensor(g, c.initial[k]!.shape));
          optimizer.apply(grads, lr);
        });
        for (const [k, expected] of Object.entries(c.after[step]!)) expect(maxDiff(params[k]!, expected), `${k} after step ${step + 1}`).toBeLessThan(1e-5);
      });
      const state = optimizer.state();
      expect(Object.keys(state).sort()).toEqual(Object.keys(c.state).sort());
      for (const [name, expected] of Object.entries(c.state)) {
        expect(maxDiff(state[name]!, typeof expected === "number" ? [expected] : expected), name).toBeLessThan(1e-5);
      }
      optimizer.dispose();
      tf.dispose(Object.values(params));
    });
  }

  it("allocates nothing per step: the tensor count stays where the first step left it", () => {
    const c = reference.optimizers.find((o) => o.name === "adamw")!;
    const params = variables(c.initial);
    const optimizer = createOptimizer(tf, params, c.settings);
    const step = () =>
      tf.tidy(() => {
        const grads = new Map<tf.Variable, tf.Tensor>(Object.entries(params).map(([k, p]) => [p, tf.onesLike(params[k]!)]));
        optimizer.apply(grads, 0.01);
      });
    step();
    const after = tf.memory();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(after.numTensors);
    expect(tf.memory().numBytes).toBe(after.numBytes);
    optimizer.dispose();
    tf.dispose(Object.values(params));
  });

  it("continues from restored state exactly as without the interruption", () => {
    const c = reference.optimizers.find((o) => o.name === "sgd nesterov weight decay")!;
    const grads = (params: Record<string, tf.Variable>, step: number) => new Map(Object.entries(params).map(([k, p]) => [p, tf.tensor(c.grads[step]![k] ?? new Array(p.size).fill(0), p.shape)]));
    const straight = variables(c.initial);
    const first = createOptimizer(tf, straight, c.settings);
    for (let s = 0; s < 2; s++) tf.tidy(() => first.apply(grads(straight, s), c.lrs[s]!));
    // A second model and optimizer resumed from the first one's parameters and state.
    const resumed = Object.fromEntries(Object.entries(straight).map(([k, v]) => [k, tf.variable(v.clone())]));
    const second = createOptimizer(tf, resumed, c.settings);
    second.setState(first.state());
    for (let s = 2; s < 4; s++) {
      tf.tidy(() => first.apply(grads(straight, s), c.lrs[s]!));
      tf.tidy(() => second.apply(grads(resumed, s), c.lrs[s]!));
    }
    for (const k of Object.keys(straight)) expect(Array.from(resumed[k]!.dataSync())).toEqual(Array.from(straight[k]!.dataSync()));
    expect(() => second.setState({})).toThrow(/missing opt\.a\.momentum_buffer/);
  });
});

describe("training steps of a compiled model against PyTorch's", () => {
  const m = reference.model;
  const BIAS_BEFORE_BN = "00.linear.bias";
  const network = check(new SourceFile("tiny.net", m.source), { bn: "scratch" }).network;
  for (const c of m.cases) {
    for (const optimize of [true, false]) {
      it(`${c.settings.optimizer}${optimize ? "" : " (optimize: false)"}: the parameters after three steps`, () => {
        const model = compileModel(tf, network, { bn: "scratch", seed: 0, optimize, optimizer: c.settings });
        const initial = Object.fromEntries(Object.entries(m.initial).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
        const moving = Object.fromEntries(Object.entries(model.weights()).filter(([k]) => !(k in initial)).map(([k, v]) => [k, v.clone()]));
        model.setWeights({ ...moving, ...initial });
        tf.dispose(Object.values(moving));
        m.batches.forEach((batch, step) => {
          const x = tf.tensor2d(batch.x, [batch.labels.length, 6]);
          const y = tf.tensor1d(batch.labels, "int32");
          const out = model.trainStep(x, y, m.lrs[step]!);
          tf.dispose([x, y, out.loss, out.correct]);
          const weights = model.weights();
          for (const [k, expected] of Object.entries(c.after[step]!)) {
            if (k === BIAS_BEFORE_BN && c.settings.optimizer === "adamw") continue;
            expect(maxDiff(weights[k]!, expected), `${k} after step ${step + 1}`).toBeLessThan(1e-5);
          }
        });
        if (c.settings.optimizer === "adamw" && optimize) {
          // Its gradient is exactly zero (BN subtracts any per-channel constant): netc does not
          // compute it, and AdamW only decays the bias. PyTorch's gradient is rounding noise,
          // about 1e-9, which Adam's normalization turns into steps of ±lr.
          const decay = m.lrs.reduce((f, lr) => f * (1 - lr * c.settings.wd), 1);
          expect(maxDiff(model.weights()[BIAS_BEFORE_BN]!, m.initial[BIAS_BEFORE_BN]!.values.map((v) => v * decay))).toBeLessThan(1e-6);
        }
        // Steps allocate nothing that outlives them: parameters and state are assigned in place.
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) {
          const x = tf.tensor2d(m.batches[0]!.x, [8, 6]);
          const y = tf.tensor1d(m.batches[0]!.labels, "int32");
          const out = model.trainStep(x, y, 0.01);
          tf.dispose([x, y, out.loss, out.correct]);
        }
        expect(tf.memory().numTensors).toBe(before);
        // The optimizer's state goes into checkpoints by name.
        const names = Object.keys(model.optimizerState());
        expect(names).toContain(c.settings.optimizer === "sgd" ? "opt.00.linear.weight.momentum_buffer" : "opt.00.linear.weight.exp_avg");
        expect(names.every((n) => n.startsWith("opt."))).toBe(true);
        tf.dispose(Object.values(initial));
        model.dispose();
      });
    }
  }
});

describe("learning-rate schedules", () => {
  const { step, cosine } = reference.schedules;
  it("step: StepLR's rate in every epoch", () => {
    const s = resolveSettings({ lr: step.lr, epochs: step.epochs, schedule: "step", step: step.step, gamma: step.gamma });
    step.lrs.forEach((lr, epoch) => expect(learningRate(s, epoch, 7, 10)).toBeCloseTo(lr, 12));
  });

  it("cosine: CosineAnnealingLR's rate in every epoch, T_max the run's epochs", () => {
    const s = resolveSettings({ lr: cosine.lr, epochs: cosine.epochs, schedule: "cosine" });
    cosine.lrs.forEach((lr, epoch) => {
      expect(learningRate(s, epoch, 0, 10)).toBeCloseTo(lr, 12);
      expect(learningRate(s, epoch, 9, 10)).toBeCloseTo(lr, 12);
    });
  });

  it("warmup rises every step to lr, then the schedule runs over the epochs after it", () => {
    const s = resolveSettings({ lr: 0.4, epochs: 5, schedule: "cosine", warmup: 1 });
    expect([0, 1, 2, 3].map((b) => learningRate(s, 0, b, 4))).toEqual([0.1, 0.2, 0.30000000000000004, 0.4]);
    // Cosine over the four epochs after the warmup: 0.4, 0.4·(1 + cos(π/4))/2, …
    expect(learningRate(s, 1, 0, 4)).toBe(0.4);
    expect(learningRate(s, 2, 3, 4)).toBeCloseTo(0.2 * (1 + Math.cos(Math.PI / 4)), 12);
    const constant = resolveSettings({ lr: 0.3, warmup: 2 });
    expect(learningRate(constant, 1, 0, 3)).toBeCloseTo(0.3 * (4 / 6), 12);
    expect(learningRate(constant, 2, 0, 3)).toBe(0.3);
  });
});
