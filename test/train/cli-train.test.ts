/**
 * `netc train` / `netc eval` as a user runs them: the bundled bin, the real lowering, the
 * shipped Fashion-MNIST subset, exit codes and signals.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const DATA = "test/fixtures/fashion-mnist-small";
const env = { ...process.env, NO_COLOR: "1" };

function netc(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const made: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), "netc-cli-train-"));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at /);

describe("netc train / eval (CLI)", () => {
  it("trains LeNet-BN to a test accuracy of at least 0.5 in 5 epochs, and eval reproduces it", () => {
    const out = join(tmp(), "run");
    // Seed 0 (the default) and the default lr 1, batch 128: 8 steps an epoch on the 1,000
    // examples. Measured: test acc 0.135, 0.470, 0.655, 0.605, 0.660 after epochs 1–5, the same
    // with 1 or 2 threads; a model that does not learn stays near 0.1.
    const r = netc("train", "models/lenet-bn.net", "--data", DATA, "--epochs", "5", "--out", out);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^training on (wasm|tensorflow) \(/);
    for (let epoch = 1; epoch <= 5; epoch++) {
      expect(lines[epoch]).toMatch(new RegExp(`^epoch ${epoch}/5  loss \\d\\.\\d{3}  train acc \\d\\.\\d{3}  test acc \\d\\.\\d{3}  [\\d,]+ examples/sec$`));
    }
    expect(lines[6]).toMatch(/^loss \d\.\d{3}, train acc \d\.\d{3}, test acc (\d\.\d{3})$/);
    expect(lines[7]).toMatch(/^\d+\.\d examples\/sec on (wasm|tensorflow)$/);
    expect(readdirSync(out).sort()).toEqual(["checkpoint", "metrics.jsonl", "plot.png", "plot.svg"]);
    expect(readdirSync(join(out, "checkpoint")).sort()).toEqual(["model.json", "model.net", "weights.bin"]);
    const json = JSON.parse(readFileSync(join(out, "checkpoint/model.json"), "utf8"));
    expect(json.netc).toMatchObject({ model: "lenet_bn", epoch: 5, settings: { lr: 1, epochs: 5, batch: 128, seed: 0 }, bn: "scratch" });
    // 44,878 parameters and 452 moving statistics.
    expect(readFileSync(join(out, "checkpoint/weights.bin")).length).toBe((44_878 + 452) * 4);

    const testAcc = /test acc (\d\.\d{3})$/.exec(lines[6]!)![1];
    expect(Number(testAcc)).toBeGreaterThanOrEqual(0.5);
    const e = netc("eval", out, "--data", DATA);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain(`test acc ${testAcc} (`);
  }, 60_000);

  it("trains a LeNet with every normalization layer and bn option; eval reproduces its test accuracy", () => {
    const dir = tmp();
    const model = join(dir, "lenet-norms.net");
    writeFileSync(
      model,
      [
        "input 1x28x28",
        "conv 6 k5 nobias | instancenorm affine track | sigmoid | avgpool 2",
        "conv 16 k5 nobias | iternorm groups=4 | sigmoid | avgpool 2",
        "flatten",
        "linear 120 nobias | bn affine=false momentum=none | sigmoid",
        "linear 84 | layernorm | groupnorm 4 | bn track=false | sigmoid",
        "linear 10",
        "",
      ].join("\n"),
    );
    const out = join(dir, "run");
    const r = netc("train", model, "--data", DATA, "--epochs", "1", "--out", out);
    expect(r.code).toBe(0);
    const testAcc = /^loss \d\.\d{3}, train acc \d\.\d{3}, test acc (\d\.\d{3})$/m.exec(r.stdout)![1]!;
    // It learns: chance is 0.1 (0.505 with seed 0 when this was written).
    expect(Number(testAcc)).toBeGreaterThan(0.3);
    // Every parameter and every piece of state is saved: the whitening matrices, the batch count.
    const { totals } = JSON.parse(netc("shapes", model, "--format", "json").stdout).shapes;
    expect(totals).toMatchObject({ trainable: 44_832, state: 333 });
    expect(readFileSync(join(out, "checkpoint/weights.bin")).length).toBe((44_832 + 333) * 4);
    const e = netc("eval", out, "--data", DATA);
    expect(e.code).toBe(0);
    expect(e.stdout).toContain(`test acc ${testAcc} (`);
  });

  it("reports model errors as diagnostics (exit 1) before loading anything", () => {
    const dir = tmp();
    writeFileSync(join(dir, "bad.net"), "input 1x28x28\nconv 6 k5\nlinear 10\nconvv 3\n");
    const r = netc("train", join(dir, "bad.net"), "--data", DATA);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.net:4:1: error: unknown layer `convv`");
    expect(r.stderr).not.toContain("training on");
    noStack(r.stderr);
  });

  it("turns bad data directories and flags into messages, not stack traces", () => {
    const r = netc("train", "models/lenet-bn.net", "--data", "/nonexistent", "--epochs", "1");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: --data /nonexistent: no such directory");
    noStack(r.stderr);
    for (const args of [["--lr", "0"], ["--lr", "abc"], ["--epochs", "1.5"], ["--backend", "gpu"], ["--seed", "-1"]]) {
      const u = netc("train", "models/lenet-bn.net", ...args);
      expect(u.code, args.join(" ")).toBe(2);
      noStack(u.stderr);
    }
    const e = netc("eval", "/nonexistent");
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("no such directory");
  });

  it("refuses a model that cannot fit in memory before anything runs, with the numbers", () => {
    const dir = tmp();
    writeFileSync(join(dir, "wide.net"), "input 1x28x28\nconv 999999 k5\nflatten\nlinear 10\n");
    const out = join(dir, "run");
    const r = netc("train", join(dir, "wide.net"), "--data", DATA, "--out", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: training wide \(batch 128\) needs about [\d.]+ TiB, more than /m);
    expect(r.stderr).toContain("even one example does not fit");
    expect(r.stderr).not.toContain("internal error");
    noStack(r.stderr);
    expect(readdirSync(dir)).toEqual(["wide.net"]);
  });

  it("stops at a NaN loss with the epoch, the batch and a smaller lr", () => {
    const out = join(tmp(), "run");
    const r = netc("train", "models/lenet.net", "--data", DATA, "--epochs", "2", "--lr", "1e38", "--out", out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: loss became (NaN|Infinity) at epoch 1, batch \d+ \(lr 1e\+38\): try a smaller learning rate, e\.g\. --lr 1e\+37\n/);
    expect(r.stderr).toContain(`the loss diverged in the first epoch: ${join(out, "checkpoint")} holds the initial weights`);
    noStack(r.stderr);
    expect(JSON.parse(readFileSync(join(out, "checkpoint/model.json"), "utf8")).netc).toMatchObject({ epoch: 0, batch: 0 });
  });

  it("on SIGINT saves a checkpoint that loads, says where, and exits 130", async () => {
    const out = join(tmp(), "run");
    const child = spawn(process.execPath, ["bin/netc.mjs", "train", "models/lenet-bn.net", "--data", DATA, "--epochs", "50", "--out", out], { env });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (d) => {
        const first = !stdout.includes("epoch 1/50");
        stdout += d;
        // Soon after epoch 1 (an epoch of this data takes about 0.1 s): within a later epoch.
        if (first && stdout.includes("epoch 1/50")) setTimeout(() => child.kill("SIGINT"), 50);
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(stderr).toContain("interrupted: saving a checkpoint after the current step");
    expect(stderr).toMatch(/interrupted at (epoch ([2-9]|\d\d), batch \d+|the end of epoch \d+): checkpoint saved in \S+\/checkpoint\//);
    expect(code).toBe(130);
    noStack(stderr);
    expect(stdout).not.toContain("examples/sec on");
    const e = netc("eval", out, "--data", DATA);
    expect(e.stderr).toBe(`The IDX files in ${join(process.cwd(), DATA)} (1×28×28 images, 10 classes): 200 test examples\n`);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/^evaluating lenet_bn \(epoch \d+( \+ \d+ batches)?\) on /);
  }, 60_000);

  it("refuses to evaluate a checkpoint whose model.net was edited", () => {
    const out = join(tmp(), "run");
    expect(netc("train", "models/lenet-bn.net", "--data", DATA, "--epochs", "1", "--limit", "256", "--out", out).code).toBe(0);
    const net = join(out, "checkpoint/model.net");
    writeFileSync(net, readFileSync(net, "utf8").replace("linear 84", "linear 86"));
    const e = netc("eval", out, "--data", DATA);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("model.net has changed since the weights were saved");
    noStack(e.stderr);
  });
});

describe("optimizers, schedules and datasets (CLI)", () => {
  const model = (text: string) => {
    const path = join(tmp(), "model.net");
    writeFileSync(path, text);
    return path;
  };
  const metrics = (out: string) => readFileSync(join(out, "metrics.jsonl"), "utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, number>);

  it("trains with momentum, weight decay and a cosine schedule: the settings in its output, metrics and checkpoint", () => {
    const out = join(tmp(), "run");
    const r = netc("train", "models/lenet-bn.net", "--data", DATA, "--epochs", "2", "--lr", "0.1", "--optimizer", "sgd", "--momentum", "0.9", "--nesterov", "--wd", "5e-4", "--schedule", "cosine", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("lenet_bn: sgd lr 0.1 momentum 0.9 nesterov wd 0.0005, cosine, 2 epochs, batch 128, bn scratch, seed 0;");
    expect(r.stdout).toMatch(/^epoch 1\/2  lr 0\.1  loss /m);
    expect(r.stdout).toMatch(/^epoch 2\/2  lr 0\.05  loss /m);
    expect(new Set(metrics(out).flatMap((p) => (p.lr === undefined ? [] : [p.lr])))).toEqual(new Set([0.1, 0.05]));
    const json = JSON.parse(readFileSync(join(out, "checkpoint/model.json"), "utf8"));
    expect(json.netc.settings).toMatchObject({ optimizer: "sgd", lr: 0.1, momentum: 0.9, nesterov: true, wd: 0.0005, schedule: "cosine", epochs: 2 });
    // A momentum buffer beside each of the 44,878 parameters.
    const names: string[] = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    expect(names).toContain("opt.00.conv.weight.momentum_buffer");
    expect(readFileSync(join(out, "checkpoint/weights.bin")).length).toBe((44_878 * 2 + 452) * 4);
    const e = netc("eval", out, "--data", DATA);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toContain(`test acc ${/test acc (\d\.\d{3})$/m.exec(r.stdout)![1]} (`);
    expect(readFileSync(join(out, "plot.svg"), "utf8")).toContain("sgd lr 0.1 momentum 0.9 nesterov wd 0.0005, cosine, batch 128");
  });

  it("trains adam on a model with `input 3x32x32` on the CIFAR-10 fixture, normalized and augmented", () => {
    const out = join(tmp(), "run");
    const path = model("model cifar\ninput 3x32x32\ntrain optimizer=adam lr=0.01 epochs=4 batch=20 data=cifar10 normalize=0.2,0.2,0.2,0.3,0.3,0.3 flip crop=2\nconv 8 k3 p1 | bn | relu | maxpool 2\nconv 16 k3 p1 | bn | relu | gap | flatten\nlinear 10\n");
    const r = netc("train", path, "--data", "test/fixtures/cifar10-small", "--out", out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`CIFAR-10 from ${join(process.cwd(), "test/fixtures/cifar10-small/cifar-10-binary.tar.gz")} (3×32×32 images, 10 classes): 200 training examples, 80 test examples`);
    expect(r.stderr).toContain("cifar: adam lr 0.01, 4 epochs, batch 20, normalize 0.2,0.2,0.2,0.3,0.3,0.3, flip, crop 2, bn scratch");
    // Each class a colour and a shape: learnt within four epochs of 200 images (measured 0.925).
    expect(Number(/test acc (\d\.\d{3})$/m.exec(r.stdout)![1])).toBeGreaterThan(0.5);
    expect(JSON.parse(readFileSync(join(out, "checkpoint/model.json"), "utf8")).weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain("opt.step");
    // Evaluated on the data it trained on, with its normalization, without --data.
    const e = spawnSync(process.execPath, [join(process.cwd(), "bin/netc.mjs"), "eval", out], { encoding: "utf8", env, cwd: tmp() });
    expect(e.status, e.stderr).toBe(0);
    expect(e.stdout).toContain(`test acc ${/test acc (\d\.\d{3})$/m.exec(r.stdout)![1]} (`);
  });

  it("trains on MNIST-format data, and on a directory of IDX files with its own size and classes", () => {
    const mnist = netc("train", "models/lenet-bn.net", "--data", "test/fixtures/mnist-small", "--epochs", "3", "--batch", "30", "--lr", "0.5", "--out", join(tmp(), "run"));
    expect(mnist.code, mnist.stderr).toBe(0);
    expect(mnist.stderr).toContain("(1×28×28 images, 10 classes): 300 training examples, 100 test examples");
    // Measured 0.890.
    expect(Number(/test acc (\d\.\d{3})$/m.exec(mnist.stdout)![1])).toBeGreaterThan(0.6);
    const letters = model("model letters\ninput 1x20x20\ntrain optimizer=adamw lr=0.005 epochs=6 batch=26\nconv 16 k3 p1 | relu | maxpool 2 | flatten\nlinear 26\n");
    const r = netc("train", letters, "--data", "test/fixtures/letters-small", "--out", join(tmp(), "run"));
    expect(r.code, r.stderr).toBe(0);
    // 26 classes, chance 0.04: measured 0.615.
    expect(Number(/test acc (\d\.\d{3})$/m.exec(r.stdout)![1])).toBeGreaterThan(0.3);
  });

  it("refuses, before training, a model whose input or output does not fit the data, naming both shapes", () => {
    const grey = netc("train", "models/lenet.net", "--data", "test/fixtures/cifar10-small");
    expect(grey.code).toBe(1);
    expect(grey.stderr).toContain("error: the model does not fit CIFAR-10:");
    expect(grey.stderr).toContain("models/lenet.net:4:7: error: the input has 1 channel, but CIFAR-10's images have 3 (3×32×32) [NET034]");
    expect(grey.stderr).not.toContain("training on");
    const tenWay = netc("train", "models/lenet.net", "--data", "test/fixtures/letters-small");
    expect(tenWay.code).toBe(1);
    expect(tenWay.stderr).toMatch(/error: the model's output is 10 logits, but the IDX files in \S+letters-small has 26 classes \[NET034\]/);
    expect(tenWay.stderr).toContain("= hint: end with `linear 26`: one logit per class");
    noStack(tenWay.stderr);
    // A dataset named in the header is checked by `netc check` too.
    const header = model("input 1x28x28\ntrain data=cifar10\nflatten | linear 10\n");
    const c = netc("check", header);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("the input has 1 channel, but CIFAR-10's images have 3");
  });

  it("turns bad settings flags into usage errors", () => {
    for (const args of [["--optimizer", "adamm"], ["--momentum", "1"], ["--betas", "0.9"], ["--schedule", "exp"], ["--crop", "-1"], ["--normalize", "a,b"]]) {
      const u = netc("train", "models/lenet-bn.net", ...args);
      expect(u.code, args.join(" ")).toBe(2);
      noStack(u.stderr);
    }
    const conflict = netc("train", "models/lenet-bn.net", "--data", DATA, "--optimizer", "adam", "--momentum", "0.9");
    expect([conflict.code, conflict.stderr]).toEqual([2, "error: --momentum: `momentum` is an option of `sgd`, not of `adam`\n  = hint: remove it: adam's moments decay by `betas` (default 0.9,0.999), or choose `optimizer=sgd`\n"]);
  });
});

describe("lazy loading", () => {
  it("keeps the training code and TensorFlow.js out of the main bundle", () => {
    const main = readFileSync("dist/netc.mjs", "utf8");
    expect(main).not.toMatch(/from\s*["']@tensorflow/);
    expect(main).not.toContain("examples/sec");
    expect(main).toMatch(/import\(["']\.\/chunks\/train-command-/);
    expect(main).toMatch(/import\(["']\.\/chunks\/eval-command-/);
    expect(main).toMatch(/import\(["']\.\/chunks\/time-command-/);
    expect(main).toMatch(/import\(["']\.\/chunks\/compare-command-/);
    expect(main).toMatch(/import\(["']\.\/chunks\/inspect-command-/);
  });
});
