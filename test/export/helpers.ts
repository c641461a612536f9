/** What the export tests share: the CLI, Debian's Python with PyTorch, trained runs, netc's own logits. */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import { checkBytes } from "../../src/compile.js";
import type { Tensor } from "@tensorflow/tfjs";
import type { Tf } from "../../src/runtime/backend.js";
import { batches } from "../../src/runtime/data.js";
import { loadDataset } from "../../src/runtime/datasets/load.js";
import { resolveSettings } from "../../src/train-settings.js";
import { decodeWeights, readCheckpoint, saveCheckpoint, sha256 } from "../../src/train/checkpoint.js";
import { compileModel } from "../../src/train/graph.js";
import type { CompiledModel } from "../../src/train/model.js";
import { imagesTensor, inputLayout } from "../../src/train/loop.js";

export const FIXTURE = "test/fixtures/fashion-mnist-small";
/** A LeNet with every normalization layer and option the exports carry. */
export const NORMS_MODEL = "test/fixtures/lenet-norms.net";
/** Debian's dataset-fashion-mnist, which CI installs: the full 10,000 test images. */
export const FULL_DATA = "/usr/share/datasets/fashion-mnist";
export const PYTHON = "/usr/bin/python3";

/** Why the PyTorch tests cannot run here, or undefined when they can. */
export const torchMissing = pythonLacks("torch", "python3-torch");
export const onnxMissing = pythonLacks("onnx", "python3-onnx");

function pythonLacks(module: string, debianPackage: string): string | undefined {
  if (!existsSync(PYTHON)) return `skipped: no ${PYTHON}`;
  const r = spawnSync(PYTHON, ["-c", `import ${module}`], { encoding: "utf8" });
  return r.status === 0 ? undefined : `skipped: ${PYTHON} cannot import ${module} (apt-get install ${debianPackage})`;
}

export function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const r = spawnSync(command, args, { encoding: "utf8", ...options });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
export function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), "netc-export-"));
  made.push(dir);
  return dir;
}

// The functions below take TensorFlow.js from a backend the test file starts once (a wasm backend
// cannot be started again once stopped).

/**
 * A run directory as `netc train` leaves one, trained in-process for a few steps on the
 * fixture (enough to move the weights and the moving statistics).
 */
export async function trainedRun(tf: Tf, modelPath: string, bn: "scratch" | "builtin", steps: number, batch: number): Promise<string> {
  const source = readFileSync(modelPath);
  const { network } = checkBytes(modelPath, source, { bn });
  const data = await loadDataset(FIXTURE);
  const layout = inputLayout(network.input?.shape, data.shape);
  const model = compileModel(tf, network, { bn, seed: 1 });
  try {
    let step = 0;
    for (const b of batches(data.train, batch)) {
      if (step++ === steps) break;
      tf.tidy(() => {
        const out = model.trainStep(imagesTensor(tf, b.images, b.size, layout), tf.tensor1d(b.labels, "int32"), 0.1);
        out.loss.dataSync();
      });
    }
    const dir = tmp();
    const settings = { ...resolveSettings({ lr: 0.1, epochs: 1, batch }), seed: 1 };
    await saveCheckpoint(tf, dir, model.weights(), source, { version: "test", model: network.name, epoch: 0, batch: steps, settings, bn, backend: "wasm", sourceSha256: sha256(source), savedAt: new Date().toISOString() });
    return dir;
  } finally {
    model.dispose();
  }
}

/** A run's checkpoint as a compiled model, given to `use` with the first `count` test images of `dataDir`. */
async function withRun<T>(tf: Tf, runDir: string, dataDir: string, count: number, use: (model: CompiledModel, images: Tensor, labels: Int32Array) => T): Promise<T> {
  const ckpt = await readCheckpoint(runDir);
  const { bn, settings } = ckpt.json.netc;
  const { network } = checkBytes(ckpt.sourcePath, ckpt.source, { bn });
  const { test, shape } = await loadDataset(dataDir);
  const layout = inputLayout(network.input?.shape, shape);
  const model = compileModel(tf, network, { bn, seed: settings.seed });
  const batch = batches(test, count).next().value!;
  const images = imagesTensor(tf, batch.images, batch.size, layout);
  try {
    const { weights } = decodeWeights(tf, ckpt);
    model.setWeights(weights);
    tf.dispose(Object.values(weights));
    return use(model, images, batch.labels);
  } finally {
    images.dispose();
    model.dispose();
  }
}

/** netc's logits for the first `count` test images of `dataDir`, from a run's checkpoint. */
export async function netcLogits(tf: Tf, runDir: string, dataDir: string, count: number): Promise<{ logits: Float32Array; labels: Int32Array; shape: number[] }> {
  return withRun(tf, runDir, dataDir, count, (model, images, labels) => {
    const logits = model.predict(images);
    const out = { logits: logits.dataSync() as Float32Array, labels, shape: logits.shape };
    logits.dispose();
    return out;
  });
}

/**
 * One training-mode forward of a run's checkpoint on the first `count` test images: its mean
 * cross-entropy, and every parameter and state tensor after it (by netc name).
 */
export async function netcTrainingForward(tf: Tf, runDir: string, dataDir: string, count: number): Promise<{ loss: number; weights: Map<string, Float32Array> }> {
  return withRun(tf, runDir, dataDir, count, (model, images, labels) => {
    const loss = tf.tidy(() => model.trainingLoss(images, tf.tensor1d(labels, "int32")));
    const out = { loss: loss.dataSync()[0]!, weights: new Map(Object.entries(model.weights()).map(([name, t]) => [name, t.dataSync() as Float32Array])) };
    loss.dispose();
    return out;
  });
}

/** The model's input for the first `count` test images: NCHW floats (NHWC and NCHW agree for one channel). */
export async function testImages(tf: Tf, modelPath: string, dataDir: string, count: number): Promise<{ data: Float32Array; dims: number[] }> {
  const { network } = checkBytes(modelPath, readFileSync(modelPath), { bn: "scratch" });
  const { test, shape } = await loadDataset(dataDir);
  const layout = inputLayout(network.input?.shape, shape);
  const batch = batches(test, count).next().value!;
  const x = imagesTensor(tf, batch.images, batch.size, layout);
  const data = x.dataSync() as Float32Array;
  x.dispose();
  return { data, dims: [batch.size, ...network.input!.shape] };
}

/** onnxruntime's logits for an exported model file. */
export async function onnxLogits(file: string, input: { data: Float32Array; dims: number[] }): Promise<Float32Array> {
  const ort = await import("onnxruntime-node");
  const session = await ort.InferenceSession.create(file);
  const { logits } = await session.run({ input: new ort.Tensor("float32", input.data, input.dims) });
  return logits!.data as Float32Array;
}

/** The lines the exported train.py prints for one epoch after its first: the seed's. */
export const SEED_LINES = [
  /^epoch 1\/1  loss \d\.\d{3}  train acc \d\.\d{3}  test acc \d\.\d{3}  [\d,]+ examples\/sec$/,
  /^loss \d\.\d{3}, train acc \d\.\d{3}, test acc (\d\.\d{3})$/,
  /^\d+\.\d examples\/sec on cpu$/,
];

/**
 * Runs an exported package's train.py for one epoch on the fixture, as a plain script, and
 * checks that it prints the seed's lines; returns its output directory and the test accuracy.
 */
export function trainOneEpoch(pkg: string): { out: string; testAcc: string } {
  const out = join(tmp(), "torch-run");
  const r = run(PYTHON, [join(pkg, "train.py"), "--epochs", "1", "--data", FIXTURE, "--out", out]);
  expect(r.stderr).toBe("");
  const [first, ...lines] = r.stdout.trimEnd().split("\n");
  expect(first).toBe("training on cpu (1 thread)");
  lines.forEach((line, i) => expect(line).toMatch(SEED_LINES[i]!));
  return { out, testAcc: SEED_LINES[1]!.exec(lines[1]!)![1]! };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expectSameLength(a, b);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function expectSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
}

export function argmax(logits: ArrayLike<number>, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length; i += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i + c]! > logits[i + best]!) best = c;
    out.push(best);
  }
  return out;
}
