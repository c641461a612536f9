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
  it("trains LeNet-BN for an epoch and eval reproduces its test accuracy", () => {
    const out = join(tmp(), "run");
    const r = netc("train", "models/lenet-bn.net", "--data", DATA, "--epochs", "1", "--out", out);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^training on (wasm|tensorflow) \(/);
    expect(lines[1]).toMatch(/^epoch 1\/1  loss \d\.\d{3}  train acc \d\.\d{3}  test acc \d\.\d{3}  [\d,]+ examples\/sec$/);
    expect(lines[2]).toMatch(/^loss \d\.\d{3}, train acc \d\.\d{3}, test acc (\d\.\d{3})$/);
    expect(lines[3]).toMatch(/^\d+\.\d examples\/sec on (wasm|tensorflow)$/);
    expect(readdirSync(out).sort()).toEqual(["checkpoint", "metrics.jsonl", "plot.png", "plot.svg"]);
    expect(readdirSync(join(out, "checkpoint")).sort()).toEqual(["model.json", "model.net", "weights.bin"]);
    const json = JSON.parse(readFileSync(join(out, "checkpoint/model.json"), "utf8"));
    expect(json.netc).toMatchObject({ model: "lenet_bn", epoch: 1, settings: { lr: 1, epochs: 1, batch: 128, seed: 0 }, bn: "scratch" });
    // 44,878 parameters and 452 moving statistics.
    expect(readFileSync(join(out, "checkpoint/weights.bin")).length).toBe((44_878 + 452) * 4);

    const testAcc = /test acc (\d\.\d{3})$/.exec(lines[2]!)![1];
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
    expect(r.stderr).toContain("error: --data /nonexistent: missing train-images-idx3-ubyte[.gz]");
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
        // Mid-way through epoch 2.
        if (first && stdout.includes("epoch 1/50")) setTimeout(() => child.kill("SIGINT"), 250);
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(stderr).toContain("interrupted: saving a checkpoint after the current step");
    expect(stderr).toMatch(/interrupted at (epoch 2, batch \d+|the end of epoch \d+): checkpoint saved in \S+\/checkpoint\//);
    expect(code).toBe(130);
    noStack(stderr);
    expect(stdout).not.toContain("examples/sec on");
    const e = netc("eval", out, "--data", DATA);
    expect(e.stderr).toBe(`Fashion-MNIST from ${join(process.cwd(), DATA)}: 200 test examples\n`);
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

describe("lazy loading", () => {
  it("keeps the training code and TensorFlow.js out of the main bundle", () => {
    const main = readFileSync("dist/netc.mjs", "utf8");
    expect(main).not.toMatch(/from\s*["']@tensorflow/);
    expect(main).not.toContain("examples/sec");
    expect(main).toMatch(/import\(["']\.\/chunks\/train-command-/);
    expect(main).toMatch(/import\(["']\.\/chunks\/eval-command-/);
  });
});
