/**
 * `netc train` / `netc eval` in-process, with a tiny CompiledModel defined here (softmax
 * regression in plain tfjs ops), on the shipped 1,000/200-example Fashion-MNIST subset.
 */
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Scalar, Tensor, Variable } from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import type { Tf } from "../../src/runtime/backend.js";
import type { ModelJson } from "../../src/train/checkpoint.js";
import { pyFixed, thousands } from "../../src/numbers.js";
import { evalCommand } from "../../src/train/eval-command.js";
import type { CompileFn, Deps } from "../../src/train/setup.js";
import { trainCommand, type TrainFlags } from "../../src/train/train-command.js";
import { inputLayout } from "../../src/train/loop.js";
import type { CompiledModel } from "../../src/train/model.js";
import { resolveSettings } from "../../src/train-settings.js";

const DATA = new URL("../fixtures/fashion-mnist-small/", import.meta.url).pathname;

interface FakeOptions {
  hidden?: number;
  /** Global step (1-based) whose loss is reported as NaN. */
  nanAt?: number;
  /** Global step (1-based) from which the reported loss is 1,000 times larger. */
  explodeAt?: number;
  /** Called before each step with its global number (1-based). */
  beforeStep?: (step: number) => void;
}

/** Softmax regression (or one hidden ReLU layer), trained by tf.grads and plain SGD. */
function fakeCompile(opts: FakeOptions = {}): CompileFn {
  return (tf: Tf, _network, { seed }) => {
    const sizes = opts.hidden ? [784, opts.hidden, 10] : [784, 10];
    const vars: Record<string, Variable> = {};
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [n, m] = [sizes[l]!, sizes[l + 1]!];
      vars[`${l}.linear.weight`] = tf.variable(tf.randomUniform([n, m], -Math.sqrt(6 / (n + m)), Math.sqrt(6 / (n + m)), "float32", seed + l));
      vars[`${l}.linear.bias`] = tf.variable(tf.zeros([m]));
    }
    const names = Object.keys(vars);
    const logits = (x: Tensor, ...ps: Tensor[]) => {
      let h = x.reshape([x.shape[0]!, 784]);
      for (let i = 0; i < ps.length; i += 2) {
        h = tf.add(tf.matMul(h, ps[i]!), ps[i + 1]!);
        if (i + 2 < ps.length) h = tf.relu(h);
      }
      return h;
    };
    const correctOf = (z: Tensor, y: Tensor) => tf.sum(tf.cast(tf.equal(tf.argMax(z, 1), y), "int32")) as Scalar;
    let step = 0;
    const model: CompiledModel = {
      trainStep(x, y, lr) {
        step++;
        opts.beforeStep?.(step);
        return tf.tidy(() => {
          const params = names.map((n) => vars[n]!);
          const lossOf = (...ps: Tensor[]) => tf.losses.softmaxCrossEntropy(tf.oneHot(y as Tensor, 10), logits(x, ...ps)) as Scalar;
          const { value, grads } = tf.valueAndGrads(lossOf)(params);
          params.forEach((p, i) => p.assign(tf.sub(p, tf.mul(grads[i]!, lr))));
          const loss = step === opts.nanAt ? tf.scalar(NaN) : opts.explodeAt !== undefined && step >= opts.explodeAt ? (tf.mul(value, 1000) as Scalar) : value;
          return { loss, correct: correctOf(logits(x, ...params), y) };
        });
      },
      trainingLoss: (x, y) => tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y as Tensor, 10), logits(x, ...names.map((n) => vars[n]!))) as Scalar),
      predict: (x) => tf.tidy(() => logits(x, ...names.map((n) => vars[n]!))),
      countCorrect: (x, y) => tf.tidy(() => correctOf(logits(x, ...names.map((n) => vars[n]!)), y)),
      randomState: 0,
      weights: () => ({ ...vars }),
      // Plain SGD: no state.
      optimizerState: () => ({}),
      setOptimizerState(state) {
        if (Object.keys(state).length > 0) throw new Error("unexpected optimizer state");
      },
      setWeights(w) {
        for (const n of names) {
          if (!w[n] || w[n]!.shape.join() !== vars[n]!.shape.join()) throw new Error(`bad weight ${n}`);
          vars[n]!.assign(w[n]!);
        }
      },
      dispose: () => Object.values(vars).forEach((v) => v.dispose()),
    };
    return model;
  };
}

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

let tmp: string;
let modelPath: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "netc-train-"));
  modelPath = join(tmp, "tiny.net");
  await writeFile(modelPath, "model tiny\ninput 1x28x28\ntrain lr=0.5 epochs=2 batch=100\nflatten\nlinear 10\n");
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

let runs = 0;
function run(flags: Partial<TrainFlags> = {}, compile = fakeCompile(), deps: Deps = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const out = flags.out ?? join(tmp, `run-${++runs}`);
  const promise = trainCommand(modelPath, { bn: "scratch", backend: "cpu", data: DATA, seed: 0, ...flags, out }, { compile, stdout, stderr, ...deps });
  return { promise, stdout, stderr, out };
}

async function evalRun(dir: string, compile = fakeCompile()) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await evalCommand(dir, { backend: "cpu", data: DATA }, { compile, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const readJson = async (dir: string) => JSON.parse(await readFile(join(dir, "checkpoint/model.json"), "utf8")) as ModelJson;

describe("settings and formatting", () => {
  it("takes the defaults, then the model's train header, then flags", () => {
    expect(resolveSettings({}, {})).toEqual({
      ...{ lr: 1, epochs: 10, batch: 128, optimizer: "sgd", momentum: 0, nesterov: false, wd: 0, betas: [0.9, 0.999], eps: 1e-8 },
      ...{ schedule: "constant", gamma: 0.1, warmup: 0, data: "fashion-mnist", flip: false, crop: 0 },
    });
    expect(resolveSettings({ lr: 0.1, batch: 64 }, {})).toMatchObject({ lr: 0.1, epochs: 10, batch: 64 });
    expect(resolveSettings({ lr: 0.1, batch: 64 }, { lr: 2, epochs: 3, batch: undefined })).toMatchObject({ lr: 2, epochs: 3, batch: 64 });
    // PyTorch's defaults where the seed has none: Adam's lr, AdamW's weight decay.
    expect(resolveSettings({ optimizer: "adam" })).toMatchObject({ lr: 0.001, wd: 0 });
    expect(resolveSettings({ optimizer: "sgd", momentum: 0.9 }, { optimizer: "adamw" })).toMatchObject({ optimizer: "adamw", lr: 0.001, wd: 0.01 });
    expect(resolveSettings({ flip: true, normalize: [0.5, 0.25] }, { flip: false })).toMatchObject({ flip: false, normalize: [0.5, 0.25] });
  });

  it("formats numbers as the seed's Python does", () => {
    expect(pyFixed(0.88349, 3)).toBe("0.883");
    expect(pyFixed(0.0625, 3)).toBe("0.062"); // exact tie: half to even
    expect(pyFixed(0.1875, 3)).toBe("0.188");
    expect(pyFixed(2.5, 0)).toBe("2");
    expect(pyFixed(7281.25, 1)).toBe("7281.2");
    expect(pyFixed(7281.35, 1)).toBe("7281.4"); // not a tie in binary: 7281.35000000000036…
    expect(pyFixed(-0.0625, 3)).toBe("-0.062");
    expect(pyFixed(NaN, 3)).toBe("nan");
    expect(pyFixed(1.3891272391154968e21, 3)).toBe("1389127239115496751104.000");
    expect(thousands(7281.3)).toBe("7,281");
    expect(thousands(1234567)).toBe("1,234,567");
    expect(thousands(999.6)).toBe("1,000");
  });

  it("maps model inputs onto the dataset's C×H×W images, resized where the model wants another size", () => {
    const grey = { channels: 1, height: 28, width: 28 };
    const colour = { channels: 3, height: 32, width: 32 };
    expect(inputLayout([1, 28, 28], grey)).toEqual({ kind: "image", source: grey, height: 28, width: 28, resize: false });
    expect(inputLayout([1, 224, 224], grey)).toEqual({ kind: "image", source: grey, height: 224, width: 224, resize: true });
    expect(inputLayout([784], grey)).toEqual({ kind: "flat", source: grey });
    expect(inputLayout([3, 96, 96], colour)).toEqual({ kind: "image", source: colour, height: 96, width: 96, resize: true });
    expect(inputLayout([3072], colour)).toEqual({ kind: "flat", source: colour });
    // The model was checked against the data before: a mismatch here is a bug.
    expect(() => inputLayout([3, 28, 28], grey)).toThrow(/internal/);
  });
});

describe("netc train (in-process, tiny model)", () => {
  it("trains, prints the seed's lines, writes metrics, plot and a checkpoint that eval reproduces", async () => {
    const r = run({ epochs: undefined });
    expect(await r.promise).toBe(0);
    const lines = r.stdout.text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^training on cpu \(/);
    expect(lines[1]).toMatch(/^epoch 1\/2  loss \d\.\d{3}  train acc \d\.\d{3}  test acc \d\.\d{3}  [\d,]+ examples\/sec$/);
    expect(lines[2]).toMatch(/^epoch 2\/2  /);
    expect(lines[3]).toMatch(/^loss \d\.\d{3}, train acc \d\.\d{3}, test acc \d\.\d{3}$/);
    expect(lines[4]).toMatch(/^\d+\.\d examples\/sec on cpu$/);
    expect(lines).toHaveLength(5);
    // The final line repeats the last epoch's numbers.
    const [, loss, trainAcc, testAcc] = /loss (\S+)  train acc (\S+)  test acc (\S+)/.exec(lines[2]!)!;
    expect(lines[3]).toBe(`loss ${loss}, train acc ${trainAcc}, test acc ${testAcc}`);
    expect(Number(testAcc)).toBeGreaterThan(0.5);

    // 1,000 examples in batches of 100: 10 batches, a point every 10//5 = 2, and test acc.
    const points = (await readFile(join(r.out, "metrics.jsonl"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(points.map((p) => p.x)).toEqual([0.2, 0.4, 0.6, 0.8, 1, 1, 1.2, 1.4, 1.6, 1.8, 2, 2]);
    expect(points[4]).toEqual({ x: 1, trainLoss: expect.any(Number), trainAcc: expect.any(Number), lr: 0.5 });
    expect(points[5]).toEqual({ x: 1, testAcc: expect.any(Number), examplesPerSec: expect.any(Number) });
    expect(points[5]!.examplesPerSec).toBeGreaterThan(0);
    expect(pyFixed(points[11].testAcc, 3)).toBe(testAcc);
    expect(pyFixed(points[10].trainLoss, 3)).toBe(loss);
    expect(existsSync(join(r.out, "plot.svg")) && existsSync(join(r.out, "plot.png"))).toBe(true);

    const json = await readJson(r.out);
    expect(json).toMatchObject({
      format: "netc-checkpoint",
      modelTopology: null,
      weightsManifest: [{ paths: ["weights.bin"], weights: [{ name: "0.linear.weight", shape: [784, 10], dtype: "float32" }, { name: "0.linear.bias", shape: [10], dtype: "float32" }] }],
      netc: { model: "tiny", epoch: 2, batch: 0, settings: { lr: 0.5, epochs: 2, batch: 100, seed: 0 }, bn: "scratch", backend: "cpu", sourceSha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect((await readFile(join(r.out, "checkpoint/weights.bin"))).length).toBe((784 * 10 + 10) * 4);
    expect(await readFile(join(r.out, "checkpoint/model.net"), "utf8")).toBe(await readFile(modelPath, "utf8"));

    const e = await evalRun(r.out);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain(`test acc ${testAcc} (`);
    expect(e.stdout).toMatch(/\n[\d.]+ examples\/sec on cpu\n$/);
  });

  it("lets flags override the model's train header, and --limit shorten the set", async () => {
    const r = run({ epochs: 1, lr: 0.25, limit: 300 });
    expect(await r.promise).toBe(0);
    expect(r.stderr.text).toContain("300 training examples (the first 300 of 1,000)");
    expect(r.stdout.text).toContain("epoch 1/1 ");
    expect((await readJson(r.out)).netc.settings).toMatchObject({ lr: 0.25, epochs: 1, batch: 100, seed: 0, limit: 300, optimizer: "sgd", data: DATA.replace(/\/$/, "") });
    // 3 batches: a point after every one (the seed's 3//5 = 0 would divide by zero), and test acc.
    expect((await readFile(join(r.out, "metrics.jsonl"), "utf8")).trimEnd().split("\n")).toHaveLength(4);
  });

  it("follows the schedule: warmup every step, then cosine per epoch, in metrics.jsonl and the epoch lines", async () => {
    const r = run({ epochs: 3, schedule: "cosine", warmup: 1 });
    expect(await r.promise).toBe(0);
    const points = (await readFile(join(r.out, "metrics.jsonl"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    const lrs = points.filter((p) => p.lr !== undefined).map((p) => Number(p.lr.toPrecision(12)));
    // 10 steps an epoch, a point every 2: the warmup rises by 0.05 a step to 0.5; cosine over the two epochs after it.
    expect(lrs).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25]);
    expect(r.stdout.text).toMatch(/^epoch 1\/3  lr 0\.5  loss /m);
    expect(r.stdout.text).toMatch(/^epoch 3\/3  lr 0\.25  loss /m);
    expect(r.stderr.text).toContain("tiny: sgd lr 0.5, cosine after 1 warmup epoch, 3 epochs, batch 100, bn scratch, seed 0;");
    expect((await readJson(r.out)).netc.settings).toMatchObject({ schedule: "cosine", warmup: 1 });
  });

  it("refuses settings that do not go together, naming the flag or the header each came from", async () => {
    await expect(run({ optimizer: "adam", momentum: 0.9 }).promise).rejects.toMatchObject({
      message: "--momentum: `momentum` is an option of `sgd`, not of `adam`",
      exitCode: 2,
    });
    await expect(run({ schedule: "step" }).promise).rejects.toMatchObject({ message: "--schedule: `schedule=step` needs `step=N`, the epochs between two decays" });
    // The header's epochs=2 with a flag's warmup.
    await expect(run({ warmup: 2 }).promise).rejects.toMatchObject({ message: "--warmup: `warmup=2` leaves none of the 2 epochs to the schedule" });
  });

  it("refuses a run directory that is not empty (usage error)", async () => {
    const r = run({ epochs: 1 });
    await r.promise;
    const again = run({ epochs: 1, out: r.out });
    await expect(again.promise).rejects.toMatchObject({ message: expect.stringContaining("is not empty"), exitCode: 2 });
  });

  it("stops on a NaN loss naming epoch, batch and a smaller lr, keeping the last good checkpoint", async () => {
    // Step 13 is epoch 2, batch 3.
    const r = run({ epochs: 3 }, fakeCompile({ nanAt: 13 }));
    const err = await r.promise.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe("loss became NaN at epoch 2, batch 3 (lr 0.5): try a smaller learning rate, e.g. --lr 0.05");
    expect((err as UserError).exitCode).toBe(1);
    expect((err as UserError).hints[0]).toContain("the checkpoint of epoch 1 in");
    expect((await readJson(r.out)).netc.epoch).toBe(1);
    expect((await evalRun(r.out)).code).toBe(0);
  });

  it("stops a loss that explodes without overflowing, at the Animator's next point", async () => {
    // From step 13 (epoch 2, batch 3) on; the mean over epoch 2 is checked after batches 2, 4, ….
    const r = run({ epochs: 3 }, fakeCompile({ explodeAt: 13 }));
    const err = (await r.promise.then(() => null, (e: unknown) => e)) as UserError;
    expect(err.message).toMatch(/^loss exploded \(the epoch's mean reached \d+\.\d{3}, over 10× the first step's\) at epoch 2, batch 4 \(lr 0\.5\): try a smaller learning rate/);
    expect((await readJson(r.out)).netc.epoch).toBe(1);
    const points = (await readFile(join(r.out, "metrics.jsonl"), "utf8")).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(points.at(-1)).toEqual({ x: 1.4, diverged: expect.stringMatching(/^\d+\.\d{3}$/) });
  });

  it("says so when the loss diverges in the first epoch, keeping the initial weights' checkpoint", async () => {
    const r = run({}, fakeCompile({ nanAt: 1 }));
    await expect(r.promise).rejects.toMatchObject({ message: expect.stringContaining("at epoch 1, batch 1"), hints: [`the loss diverged in the first epoch: ${join(r.out, "checkpoint")} holds the initial weights`] });
    expect((await readJson(r.out)).netc).toMatchObject({ epoch: 0, batch: 0 });
  });

  it("on Ctrl-C saves the last completed step's weights and returns 130; a second one exits at once", async () => {
    const signals = new EventEmitter();
    let exits = 0;
    // Ctrl-C arrives during step 14 (epoch 2, batch 4): that step completes, then the loop stops.
    const r = run({ epochs: 5 }, fakeCompile({ beforeStep: (s) => s === 14 && signals.emit("SIGINT") }), { signals, exitNow: () => exits++ });
    expect(await r.promise).toBe(130);
    expect(r.stderr.text).toContain("interrupted: saving a checkpoint after the current step");
    expect(r.stderr.text).toMatch(/interrupted at epoch 2, batch 4: checkpoint saved in \S+checkpoint\//);
    expect(r.stdout.text).not.toContain("examples/sec on");
    const json = await readJson(r.out);
    expect(json.netc).toMatchObject({ epoch: 1, batch: 4 });
    expect(json.netc.testAcc).toBeUndefined();
    expect((await evalRun(r.out)).stdout).toContain("(epoch 1 + 4 batches)");
    expect(signals.listenerCount("SIGINT")).toBe(0);
    expect(exits).toBe(0);

    const signals2 = new EventEmitter();
    const r2 = run({ epochs: 2 }, fakeCompile({ beforeStep: (s) => s === 2 && (signals2.emit("SIGINT"), signals2.emit("SIGINT")) }), { signals: signals2, exitNow: () => exits++ });
    await r2.promise;
    expect(exits).toBe(1);
    expect(r2.stderr.text).toContain("interrupted again: exiting now");
  });
});

describe("netc eval (in-process)", () => {
  let dir: string;
  beforeAll(async () => {
    const r = run({ epochs: 1 });
    await r.promise;
    dir = r.out;
  });

  it("refuses a model.net that changed since training", async () => {
    const copy = join(tmp, "changed");
    await import("node:fs/promises").then((fs) => fs.cp(dir, copy, { recursive: true }));
    await writeFile(join(copy, "checkpoint/model.net"), (await readFile(join(copy, "checkpoint/model.net"), "utf8")).replace("linear 10", "linear 10  # edited"));
    await expect(evalRun(copy)).rejects.toMatchObject({ message: expect.stringMatching(/checkpoint\/model\.net has changed since the weights were saved/), exitCode: 1 });
  });

  it("refuses weights whose names or shapes do not fit the compiled model", async () => {
    const err = await evalRun(dir, fakeCompile({ hidden: 16 })).then(() => null, (e: UserError) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message).toContain("do not fit the compiled model");
    expect(err!.message).toContain("0.linear.weight: the model has [784, 16], the checkpoint [784, 10]");
    expect(err!.message).toContain("1.linear.weight [16, 10]: not in the checkpoint");
  });

  it("explains a directory without a checkpoint", async () => {
    await expect(evalRun(tmp)).rejects.toMatchObject({ message: expect.stringContaining("holds no checkpoint") });
    await expect(evalRun(join(tmp, "nope"))).rejects.toMatchObject({ message: expect.stringContaining("no such directory") });
  });
});
