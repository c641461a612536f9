/**
 * The normalization layers and `bn`'s options in both exports, on one LeNet that has them all
 * (test/fixtures/lenet-norms.net: layernorm over C×H×W and over flattened features, groupnorm,
 * instancenorm with and without affine/track, iternorm on images and on features, and `bn` from
 * scratch and built in with affine=false, track=false and momentum=none). Briefly trained, its
 * logits in PyTorch (eval mode) and in onnxruntime equal netc's; in training mode PyTorch gives
 * netc's loss and moving statistics; its weights go to PyTorch and back unchanged; its train.py
 * trains. Its parameter counts and shapes are checked with models/ in pytorch.test.ts.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkBytes } from "../../src/compile.js";
import { exportCommand } from "../../src/export/command.js";
import { layout, toTorch } from "../../src/export/layout.js";
import { pytorchModel } from "../../src/export/pytorch.js";
import { decodeSafetensors, float32Data } from "../../src/export/safetensors.js";
import { initBackend, stopBackend, type Backend } from "../../src/runtime/backend.js";
import { FIXTURE, NORMS_MODEL, PYTHON, maxAbsDiff, netc, netcLogits, netcTrainingForward, onnxLogits, onnxMissing, run, testImages, tmp, torchMissing, trainOneEpoch, trainedRun } from "./helpers.js";

/** Training on wasm and starting Python; the machine may be shared. */
const SLOW = 180_000;
/** The fixture's test images. */
const COUNT = 200;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe(`${NORMS_MODEL}: every normalization layer and option, exported`, () => {
  let backend: Backend;
  let runDir: string;
  let pkg: string;
  beforeAll(async () => {
    backend = await initBackend("wasm");
    // Eight steps move the weights and every kind of moving statistics (and count eight batches).
    runDir = await trainedRun(backend.tf, NORMS_MODEL, "scratch", 8, 64);
    pkg = join(tmp(), "pkg");
    expect(await exportCommand(runDir, { to: "pytorch", out: pkg, bn: "scratch" }, quiet)).toBe(0);
  }, SLOW);
  afterAll(() => stopBackend(backend));

  it.skipIf(torchMissing)(`PyTorch: eval-mode logits equal netc's to 1e-4; a training-mode forward gives netc's loss and moving statistics${torchMissing ? ` — ${torchMissing}` : ""}`, async () => {
    const out = join(tmp(), "torch.safetensors");
    const r = run(PYTHON, ["test/export/logits.py", pkg, FIXTURE, String(COUNT), out]);
    expect(r.stderr).toBe("");
    const { tensors } = decodeSafetensors(readFileSync(out), out);
    const ours = await netcLogits(backend.tf, runDir, FIXTURE, COUNT);
    expect(maxAbsDiff(float32Data(tensors.get("logits")!), ours.logits)).toBeLessThan(1e-4);

    const training = await netcTrainingForward(backend.tf, runDir, FIXTURE, COUNT);
    expect(Math.abs(float32Data(tensors.get("train_loss")!)[0]! - training.loss)).toBeLessThan(1e-4);
    // Each moving statistic after that forward, in PyTorch's layout, against PyTorch's buffer.
    const { network, source } = checkBytes(NORMS_MODEL, readFileSync(NORMS_MODEL), { bn: "scratch" });
    const laid = layout(network, { bn: "scratch" }).layout;
    const paths = pytorchModel(network, laid, source, { bn: "scratch" }, "test").model!.paths;
    const compared: string[] = [];
    for (const layer of laid.layers) {
      const state = (layer.node.spec.lower.params?.(layer.input, layer.output, layer.node.args) ?? []).filter((p) => !p.trainable).map((p) => p.name);
      for (const p of layer.params.filter((p) => state.includes(p.param))) {
        // nn.BatchNorm tracks the unbiased batch variance where netc's `bn` tracks the biased one (README).
        if (layer.node.spec.name === "bn" && p.torch.name === "running_var") continue;
        const key = `buffer.${paths.get(layer.node)}.${p.torch.name}`;
        const theirs = float32Data(tensors.get(key)!);
        const ourValues = toTorch(p, training.weights.get(p.netcName)!);
        const scale = Math.max(1, ...Array.from(ourValues, Math.abs));
        expect(maxAbsDiff(theirs, ourValues) / scale, key).toBeLessThan(1e-4);
        compared.push(p.netcName);
      }
    }
    expect(compared).toEqual([
      "09.instancenorm.moving_mean",
      "09.instancenorm.moving_var",
      "13.iternorm.moving_mean",
      "13.iternorm.moving_whitening",
      "16.bn.moving_mean",
      "16.bn.moving_var",
      "16.bn.num_batches_tracked",
      "17.bn.moving_mean",
      "17.bn.num_batches_tracked",
      "22.bn.moving_mean",
      "22.bn.moving_var",
      "30.iternorm.moving_mean",
      "30.iternorm.moving_whitening",
    ]);
    expect(training.weights.get("16.bn.num_batches_tracked")).toEqual(new Float32Array([9]));
  }, SLOW);

  it.skipIf(torchMissing)(`weights go netc → PyTorch → netc unchanged (num_batches_tracked as PyTorch's int64)${torchMissing ? ` — ${torchMissing}` : ""}`, () => {
    const back = join(tmp(), "back");
    const r = netc("import-weights", join(pkg, "weights.safetensors"), join(pkg, "model.net"), "-o", back);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(back, "checkpoint/weights.bin")).equals(readFileSync(join(runDir, "checkpoint/weights.bin")))).toBe(true);
    const { tensors } = decodeSafetensors(readFileSync(join(pkg, "weights.safetensors")), pkg);
    expect(tensors.get("16.num_batches_tracked")).toMatchObject({ dtype: "I64", shape: [] });
  });

  it.skipIf(torchMissing)(`train.py trains it for an epoch on the fixture${torchMissing ? ` — ${torchMissing}` : ""}`, () => {
    const { out } = trainOneEpoch(pkg);
    expect(readdirSync(out)).toEqual(["weights.safetensors"]);
  }, SLOW);

  it("ONNX: onnxruntime's logits equal netc's to 1e-4, and ONNX's checker accepts the file", async () => {
    const file = join(tmp(), "lenet-norms.onnx");
    expect(await exportCommand(runDir, { to: "onnx", out: file, bn: "scratch" }, quiet)).toBe(0);
    const ours = await netcLogits(backend.tf, runDir, FIXTURE, COUNT);
    const theirs = await onnxLogits(file, await testImages(backend.tf, NORMS_MODEL, FIXTURE, COUNT));
    expect(maxAbsDiff(theirs, ours.logits)).toBeLessThan(1e-4);
    if (onnxMissing) return;
    const r = run(PYTHON, ["-c", `import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True); print("ok")`, file]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("ok");
  }, SLOW);
});
