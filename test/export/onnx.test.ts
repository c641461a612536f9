/**
 * `netc export RUN --to onnx`: onnxruntime (the onnxruntime-node devDependency) evaluates the file
 * to netc's logits, for LeNet-BN and for ResNet-18 (branches, blocks, repeat), and ONNX's own
 * checker (Debian's python3-onnx) accepts it.
 */
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportCommand } from "../../src/export/command.js";
import { OPSET } from "../../src/export/onnx.js";
import { initBackend, stopBackend, type Backend } from "../../src/runtime/backend.js";
import { FIXTURE, PYTHON, argmax, maxAbsDiff, netc, netcLogits, onnxLogits, onnxMissing, run, testImages, tmp, trainedRun } from "./helpers.js";

/** Training and evaluating ResNet-18 on wasm; the machine may be shared. */
const SLOW = 180_000;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });

describe("ONNX export", () => {
  let backend: Backend;
  let lenetFile: string;
  let lenetRun: string;
  beforeAll(async () => {
    backend = await initBackend("wasm");
    lenetRun = await trainedRun(backend.tf, "models/lenet-bn.net", "scratch", 8, 64);
    lenetFile = join(tmp(), "lenet-bn.onnx");
    expect(await exportCommand(lenetRun, { to: "onnx", out: lenetFile, bn: "scratch" }, quiet)).toBe(0);
  }, SLOW);
  afterAll(() => stopBackend(backend));

  it("LeNet-BN: onnxruntime's logits equal netc's to 1e-4, and so does its accuracy", async () => {
    const input = await testImages(backend.tf, "models/lenet-bn.net", FIXTURE, 200);
    const ours = await netcLogits(backend.tf, lenetRun, FIXTURE, 200);
    const theirs = await onnxLogits(lenetFile, input);
    expect(maxAbsDiff(theirs, ours.logits)).toBeLessThan(1e-4);
    const correct = (logits: Float32Array) => argmax(logits, 10).filter((c, i) => c === ours.labels[i]).length;
    expect(correct(theirs)).toBe(correct(ours.logits));
    // The batch is dynamic: one image gives the first image's logits.
    const one = await onnxLogits(lenetFile, { data: input.data.slice(0, 784), dims: [1, 1, 28, 28] });
    expect(maxAbsDiff(one, ours.logits.slice(0, 10))).toBeLessThan(1e-4);
  });

  it("ResNet-18 (branches, blocks, repeat): onnxruntime's logits equal netc's to 1e-4", async () => {
    const runDir = await trainedRun(backend.tf, "models/resnet18.net", "scratch", 2, 8);
    const file = join(tmp(), "resnet18.onnx");
    expect(await exportCommand(runDir, { to: "onnx", out: file, bn: "scratch" }, quiet)).toBe(0);
    const ours = await netcLogits(backend.tf, runDir, FIXTURE, 4);
    const theirs = await onnxLogits(file, await testImages(backend.tf, "models/resnet18.net", FIXTURE, 4));
    expect(ours.shape).toEqual([4, 10]);
    // Two steps leave the moving statistics far from the batches', so the logits are in the
    // hundreds, where float32 itself spaces numbers ~1e-5 apart: the agreement is relative.
    const largest = Math.max(...Array.from(ours.logits, Math.abs));
    expect(largest).toBeGreaterThan(1);
    expect(maxAbsDiff(theirs, ours.logits) / largest).toBeLessThan(1e-5);
  }, SLOW);

  it.skipIf(onnxMissing)(`ONNX's checker accepts the file (opset ${OPSET})${onnxMissing ? ` — ${onnxMissing}` : ""}`, () => {
    const check = `import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.opset_import[0].version, m.graph.input[0].type.tensor_type.shape.dim[0].dim_param)`;
    const r = run(PYTHON, ["-c", check, lenetFile]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe(`${OPSET} N`);
  });

  it("needs trained weights: a model file is refused with a hint", () => {
    const r = netc("export", "models/lenet-bn.net", "--to", "onnx", "-o", join(tmp(), "x.onnx"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: the ONNX export needs trained weights: pass a run directory");
  });
});
