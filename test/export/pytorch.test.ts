/**
 * `netc export --to pytorch` and `netc import-weights`, checked with Debian's PyTorch
 * (/usr/bin/python3): the generated model.py of every model in models/ against netc's shape
 * report, a trained LeNet-BN's logits and accuracy, the exported train.py as a script and under
 * torchrun with two processes, and weights carried both ways.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkBytes } from "../../src/compile.js";
import { exportCommand } from "../../src/export/command.js";
import { layout } from "../../src/export/layout.js";
import { pytorchModel } from "../../src/export/pytorch.js";
import { decodeSafetensors, encodeSafetensors, float32Data, float32Tensor } from "../../src/export/safetensors.js";
import { lookupLayer } from "../../src/layers/registry.js";
import type { LayerSpec } from "../../src/layers/types.js";
import { initBackend, stopBackend, type Backend } from "../../src/runtime/backend.js";
import { FIXTURE, FULL_DATA, NORMS_MODEL, PYTHON, SEED_LINES, maxAbsDiff, netc, netcLogits, run, tmp, torchMissing, trainOneEpoch } from "./helpers.js";

/** Python starts, trains and evaluates in these; the machine may be shared. */
const SLOW = 180_000;
const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
/** Every model in models/, and one with every normalization layer and option. */
const MODELS = [...readdirSync("models").filter((f) => f.endsWith(".net")).map((f) => `models/${f}`), NORMS_MODEL];
const fullDataMissing = existsSync(join(FULL_DATA, "t10k-labels-idx1-ubyte.gz")) ? undefined : `skipped: no ${FULL_DATA} (apt-get install dataset-fashion-mnist)`;
/** torchrun's launcher, or the module it runs where the command is missing. */
const TORCHRUN = existsSync("/usr/bin/torchrun") ? ["/usr/bin/torchrun"] : [PYTHON, "-m", "torch.distributed.run"];
/**
 * PyTorch 1.13's launcher fails on Python 3.11 (Debian 12) reading its own default for these two
 * settings; naming a process that does not exist (9) sidesteps it and changes nothing (README).
 */
const TORCHRUN_ENV = { ...process.env, PET_REDIRECTS: "9:1", PET_TEE: "9:1" };

function title(text: string, skip: string | undefined): string {
  return skip ? `${text} — ${skip}` : text;
}

/** `netc eval`'s accuracy line: `test acc 0.812 (162/200 correct)`. */
function netcEval(runDir: string, data: string): string {
  const r = netc("eval", runDir, "--data", data);
  expect(r.stderr).not.toContain("error");
  return /test acc .*/.exec(r.stdout)![0];
}

describe.skipIf(torchMissing)(title("PyTorch export", torchMissing), () => {
  it(`every model in models/ and ${NORMS_MODEL}: model.py has netc's parameter and buffer counts and per-layer shapes`, async () => {
    const dirs: Record<string, string> = {};
    for (const file of MODELS) {
      dirs[file] = join(tmp(), basename(file, ".net"));
      expect(await exportCommand(file, { to: "pytorch", out: dirs[file], bn: "scratch" }, quiet)).toBe(0);
    }
    const r = run(PYTHON, ["test/export/describe_model.py", ...Object.values(dirs)]);
    expect(r.stderr).toBe("");
    const described = JSON.parse(r.stdout) as Record<string, { params: number; state: number; layers: [string, number[]][] }>;
    for (const file of MODELS) {
      const { shapes } = checkBytes(file, readFileSync(file), { bn: "scratch" });
      const torch = described[dirs[file]!]!;
      expect({ params: torch.params, state: torch.state }, file).toEqual({ params: shapes.totals.trainable, state: shapes.totals.state });
      expect(torch.layers, file).toEqual(shapes.rows.filter((row) => row.leaf).map((row) => [row.torchName, row.output]));
    }
  }, SLOW);

  describe("a trained LeNet-BN", () => {
    let backend: Backend;
    let runDir: string;
    let pkg: string;
    beforeAll(async () => {
      runDir = join(tmp(), "run");
      const trained = netc("train", "models/lenet-bn.net", "--data", FIXTURE, "--epochs", "1", "--out", runDir);
      expect(trained.code, trained.stderr).toBe(0);
      pkg = join(tmp(), "out");
      const exported = netc("export", runDir, "--to", "pytorch", "-o", pkg);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toContain(`wrote ${pkg}/: model.py (class LenetBn), train.py, README.md, model.net, weights.safetensors`);
      backend = await initBackend("wasm");
    }, SLOW);
    afterAll(() => stopBackend(backend));

    it.skipIf(fullDataMissing)(title("its logits on 1,000 test images equal netc's to 1e-4, its accuracy netc eval's", fullDataMissing), async () => {
      const out = join(tmp(), "logits.safetensors");
      const r = run(PYTHON, ["test/export/logits.py", pkg, FULL_DATA, "1000", out]);
      expect(r.stderr).toBe("");
      const torch = decodeSafetensors(readFileSync(out), out).tensors.get("logits")!;
      expect(torch.shape).toEqual([1000, 10]);
      const ours = await netcLogits(backend.tf, runDir, FULL_DATA, 1000);
      expect(maxAbsDiff(float32Data(torch), ours.logits)).toBeLessThan(1e-4);
      const { correct, count } = JSON.parse(r.stdout) as { correct: number; count: number };
      expect(netcEval(runDir, FULL_DATA)).toBe(`test acc ${(correct / count).toFixed(3)} (${correct.toLocaleString("en")}/${count.toLocaleString("en")} correct)`);
    }, SLOW);

    it("weights go netc → PyTorch → netc unchanged", () => {
      const back = join(tmp(), "back");
      const r = netc("import-weights", join(pkg, "weights.safetensors"), join(pkg, "model.net"), "-o", back);
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(back, "checkpoint/weights.bin")).equals(readFileSync(join(runDir, "checkpoint/weights.bin")))).toBe(true);
      expect(netcEval(back, FIXTURE)).toBe(netcEval(runDir, FIXTURE));
    });

    it("train.py trains it as a plain script, printing the seed's lines, and netc evaluates its weights alike", () => {
      const { out, testAcc } = trainOneEpoch(pkg);
      // PyTorch-trained weights back in netc: the same test accuracy on the same images.
      const back = join(tmp(), "back");
      expect(netc("import-weights", join(out, "weights.safetensors"), join(pkg, "model.net"), "-o", back).code).toBe(0);
      expect(netcEval(back, FIXTURE)).toMatch(new RegExp(`^test acc ${testAcc} `));
    }, SLOW);

    it("train.py runs unchanged under torchrun with 2 processes (gloo); process 0 prints and saves", () => {
      const out = join(tmp(), "torchrun");
      const r = run(TORCHRUN[0]!, [...TORCHRUN.slice(1), "--nproc_per_node=2", join(pkg, "train.py"), "--epochs", "1", "--data", FIXTURE, "--out", out], { env: TORCHRUN_ENV, timeout: SLOW - 20_000, killSignal: "SIGKILL" });
      const [first, ...lines] = r.stdout.trimEnd().split("\n");
      expect(first, r.stderr).toBe("training on cpu (2 processes (gloo), 1 thread each)");
      expect(lines).toHaveLength(3);
      lines.forEach((line, i) => expect(line).toMatch(SEED_LINES[i]!));
      const { metadata } = decodeSafetensors(readFileSync(join(out, "weights.safetensors")), out);
      expect(metadata).toMatchObject({ model: "lenet_bn", epoch: "1", batch: "128" });
      expect(readdirSync(out)).toEqual(["weights.safetensors"]);
    }, SLOW);
  });
});

describe.skipIf(torchMissing)(title("train.py trains as netc trained", torchMissing), () => {
  it("with the run's optimizer, schedule, dataset and preprocessing (a CIFAR-10 model with AdamW, cosine after a warmup, normalized and augmented)", () => {
    const model = join(tmp(), "cifar.net");
    writeFileSync(model, "model cifar\ninput 3x32x32\ntrain optimizer=adamw lr=0.01 wd=0.05 betas=0.85,0.99 epochs=3 batch=20 data=cifar10 schedule=cosine warmup=1 normalize=0.2,0.3 flip crop=2\nconv 8 k3 p1 | bn | relu | maxpool 2\nconv 16 k3 p1 | bn | relu | gap | flatten\nlinear 10\n");
    const runDir = join(tmp(), "run");
    const trained = netc("train", model, "--data", "test/fixtures/cifar10-small", "--batch", "40", "--out", runDir);
    expect(trained.code, trained.stderr).toBe(0);
    const pkg = join(tmp(), "out");
    expect(netc("export", runDir, "--to", "pytorch", "-o", pkg).code).toBe(0);

    // torch.optim with netc's settings (the run's: --batch 40 over the header's 20).
    const probe = run(PYTHON, ["-c", "import argparse, json, train; from model import Cifar; o = train.make_optimizer(Cifar(), argparse.Namespace(lr=0.01)); print(json.dumps([type(o).__name__, o.defaults, train.SCHEDULE, train.BATCH, train.NORMALIZE, train.FLIP, train.CROP]))"], { cwd: pkg });
    expect(probe.stderr).toBe("");
    const [kind, defaults, schedule, batch, normalize, flip, crop] = JSON.parse(probe.stdout);
    expect(kind).toBe("AdamW");
    expect(defaults).toMatchObject({ lr: 0.01, betas: [0.85, 0.99], eps: 1e-8, weight_decay: 0.05 });
    expect([schedule, batch, normalize, flip, crop]).toEqual([{ name: "cosine", step: null, gamma: 0.1, warmup: 1 }, 40, [0.2, 0.3], true, 2]);

    // The same learning rate in each epoch as netc's run, on the same data (the run's directory).
    const r = run(PYTHON, [join(pkg, "train.py"), "--out", join(tmp(), "torch-run")]);
    expect(r.stderr).toBe("");
    const rates = (text: string) => [...text.matchAll(/^epoch \d\/3  lr (\S+)  loss/gm)].map((m) => m[1]);
    expect(rates(r.stdout)).toEqual(["0.01", "0.01", "0.005"]);
    expect(rates(trained.stdout)).toEqual(["0.01", "0.01", "0.005"]);
    expect(readFileSync(join(pkg, "README.md"), "utf8")).toContain("Training: adamw lr 0.01 betas 0.85,0.99 wd 0.05, cosine after 1 warmup epoch, 3 epochs, batch 40");
  }, SLOW);
});

describe("export problems are located diagnostics", () => {
  const file = (text: string) => {
    const path = join(tmp(), "model.net");
    writeFileSync(path, text);
    return path;
  };

  it("a layer kind without a PyTorch export (NET300)", () => {
    const source = "input 1x8x8\nconv 4 k3 | relu\nflatten | linear 10\n";
    const checked = checkBytes("model.net", Buffer.from(source), { bn: "scratch" });
    // A layer kind another change adds without its `torch` section.
    const { torch: _, ...withoutTorch } = lookupLayer("relu") as LayerSpec;
    const network = { ...checked.network, layers: checked.network.layers.map((n) => (n.kind === "layer" && n.spec.name === "relu" ? { ...n, spec: withoutTorch } : n)) };
    const { diagnostics } = pytorchModel(network, layout(network, { bn: "scratch" }).layout, checked.source, { bn: "scratch" }, "test");
    expect(diagnostics.map((d) => [d.code, checked.source.position(d.span.start).line, d.message])).toEqual([["NET300", 2, "`relu` has no PyTorch export yet"]]);
  });

  it("features in flatten's order reaching an `add` (NET301), and model errors", () => {
    const r = netc("export", file("input 1x4x4\nconv 2 k1\nflatten\nadd { linear 32 } { identity }\n"), "--to", "pytorch", "-o", join(tmp(), "out"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model\.net:4:1: error: `add` gets features in `flatten`'s order.*\[NET301\]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const bad = netc("export", file("input 1x28x28\nconvv 3\n"), "--to", "pytorch");
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: unknown layer `convv`");
  });

  it("weights that do not fit the model, and files that are not safetensors", () => {
    const weights = join(tmp(), "w.safetensors");
    writeFileSync(weights, "not a weights file at all");
    const r = netc("import-weights", weights, "models/lenet.net", "-o", join(tmp(), "back"));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error: ${weights} is not a safetensors file: its header length`);
    writeFileSync(weights, encodeSafetensors(new Map([["0.weight", float32Tensor([6, 1, 3, 3], new Float32Array(54))]]), {}));
    const misfit = netc("import-weights", weights, "models/lenet.net", "-o", join(tmp(), "back"));
    expect(misfit.code).toBe(1);
    expect(misfit.stderr).toContain(`error: the weights in ${weights} do not fit models/lenet.net (bn scratch):\n  0.weight: the model has F32 [6, 1, 5, 5], the file F32 [6, 1, 3, 3]\n  0.bias [6]: not in the file`);
  });
});
