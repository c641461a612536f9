/**
 * `netc train --resume`: a run killed (SIGKILL, at exact points through NETC_KILL_AT) or stopped
 * by Ctrl-C, then resumed, ends exactly as the uninterrupted run: the same metrics.jsonl, the
 * same weights (and optimizer state). The model has BN (the fused kernels) and dropout (seeds
 * drawn from a sequence), and trains with Adam (moments and a step count to restore), a warmup
 * that raises the learning rate every step, then a cosine schedule, and random crops and flips.
 * Then the refusals: not a run, a damaged checkpoint, another model, nothing left to do.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resumeCommand } from "../../src/train/resume.js";
import { trainCommand } from "../../src/train/train-command.js";

const DATA = "test/fixtures/fashion-mnist-small";
const MODEL = "model drop\ninput 1x28x28\ntrain optimizer=adam lr=0.01 epochs=3 batch=50 warmup=1 schedule=cosine crop=2 flip\nconv 6 k5 | bn | relu | avgpool 2\nflatten\ndropout 0.5\nlinear 10\n";
// 300 examples in batches of 50: 6 steps an epoch, 18 in all; checkpoints: the initial weights, epoch 1, 2, 3.
const LIMIT = ["--limit", "300"];

const dir = mkdtempSync(join(tmpdir(), "netc-resume-"));
const modelPath = join(dir, "drop.net");
writeFileSync(modelPath, MODEL);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function netc(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/netc.mjs", ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** What a finished run leaves that must not depend on interruptions. */
/** What a run ends with; the examples/sec on its test points are timings, the one thing that may differ. */
function outcome(run: string) {
  const metrics = readFileSync(join(run, "metrics.jsonl"), "utf8").replace(/,"examplesPerSec":[\d.e+-]+/g, "");
  return { metrics, weights: readFileSync(join(run, "checkpoint/weights.bin")), files: readdirSync(run).sort() };
}

let reference: ReturnType<typeof outcome>;
let referenceLine: string;
beforeAll(() => {
  const r = netc(["train", modelPath, "--data", DATA, ...LIMIT, "--out", join(dir, "reference")]);
  expect(r.code).toBe(0);
  referenceLine = r.stdout.split("\n").find((l) => l.startsWith("loss "))!;
  reference = outcome(join(dir, "reference"));
  expect(reference.files).toEqual(["checkpoint", "metrics.jsonl", "plot.png", "plot.svg"]);
}, 60_000);

describe("resuming after SIGKILL", () => {
  const points = [
    ["step:3", "mid-way through epoch 1"],
    ["step:9", "mid-way through epoch 2"],
    ["step:15", "mid-way through epoch 3"],
    ["file-written:4", "while writing epoch 1's weights.bin"],
    ["dir-filled:2", "with epoch 1's checkpoint complete beside the old one"],
    ["dir-aside:2", "between the renames that swap epoch 1's checkpoint in"],
  ];
  for (const [point, when] of points) {
    it(`ends as the uninterrupted run when killed ${when} (${point})`, () => {
      const run = join(dir, `killed-${point.replace(":", "-")}`);
      const killed = netc(["train", modelPath, "--data", DATA, ...LIMIT, "--out", run], { NETC_KILL_AT: point });
      expect(killed.signal).toBe("SIGKILL");
      const resumed = netc(["train", "--resume", run, "--data", DATA]);
      expect(resumed.stderr).not.toMatch(/error|\n\s+at /);
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toMatch(/^resuming \S+ at epoch [123](, batch \d+)? on /);
      expect(resumed.stdout).toContain(referenceLine);
      expect(outcome(run)).toEqual(reference);
    }, 60_000);
  }

  it("cannot resume a run killed while writing its very first checkpoint, and says so", () => {
    const run = join(dir, "killed-first");
    expect(netc(["train", modelPath, "--data", DATA, ...LIMIT, "--out", run], { NETC_KILL_AT: "file-written:1" }).signal).toBe("SIGKILL");
    const r = netc(["train", "--resume", run]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("was stopped while writing its first checkpoint, before training began: there is nothing to resume");
  }, 60_000);
});

describe("resuming after Ctrl-C", () => {
  it("continues mid-epoch in the same order with the same running averages, also when killed again", async () => {
    const run = join(dir, "ctrl-c");
    // Ctrl-C once the first epoch's line is out: the run stops after the step in progress.
    const child = spawn(process.execPath, ["bin/netc.mjs", "train", modelPath, "--data", DATA, ...LIMIT, "--out", run], { env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("epoch 1/3")) child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(130);
    const saved = JSON.parse(readFileSync(join(run, "checkpoint/model.json"), "utf8")).netc;
    expect(saved.epoch).toBe(1);
    // Killed again, two steps into the resumed run, then resumed once more.
    expect(netc(["train", "--resume", run, "--data", DATA], { NETC_KILL_AT: "step:2" }).signal).toBe("SIGKILL");
    const r = netc(["train", "--resume", run, "--data", DATA]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(referenceLine);
    expect(outcome(run)).toEqual(reference);
  }, 90_000);
});

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe("refusals (in-process, cpu backend)", () => {
  const deps = () => ({ stdout: new Capture(), stderr: new Capture() });
  const flags = { backend: "cpu" as const, data: DATA };
  let run: string;
  beforeAll(async () => {
    run = join(dir, "cpu-run");
    expect(await trainCommand(modelPath, { ...flags, bn: "scratch", seed: 0, epochs: 1, warmup: 0, limit: 100, out: run }, deps())).toBe(0);
  }, 60_000);

  /** Every file of a directory with its bytes and modification time: what "left untouched" means. */
  const snapshot = (d: string): Record<string, string> =>
    Object.fromEntries(readdirSync(d, { recursive: true }).map(String).sort().map((f) => [f, statSync(join(d, f)).isFile() ? `${statSync(join(d, f)).mtimeMs} ${readFileSync(join(d, f)).toString("base64")}` : "dir"]));

  const damaged = (name: string, damage: (copy: string) => void) => {
    const copy = join(dir, name);
    cpSync(run, copy, { recursive: true });
    damage(copy);
    return copy;
  };

  it("refuses a finished run, a directory that is no run, and one that does not exist", async () => {
    await expect(resumeCommand(run, undefined, flags, deps())).rejects.toMatchObject({ message: expect.stringContaining("finished its 1 epoch: there is nothing to resume") });
    await expect(resumeCommand(dir, undefined, flags, deps())).rejects.toMatchObject({ message: expect.stringContaining("holds no checkpoint") });
    await expect(resumeCommand(join(dir, "nope"), undefined, flags, deps())).rejects.toMatchObject({ message: expect.stringContaining("no such directory") });
  });

  it("refuses truncated weights and an edited manifest by their checksums, touching nothing", async () => {
    // Checked before anything else: these copies of a finished run are refused as damaged.
    const truncated = damaged("truncated", (copy) => truncateSync(join(copy, "checkpoint/weights.bin"), 1000));
    const before = snapshot(truncated);
    await expect(resumeCommand(truncated, undefined, flags, deps())).rejects.toMatchObject({ message: expect.stringMatching(/weights\.bin holds 1000 bytes, but model\.json describes \d+/), hints: [expect.stringContaining("the checkpoint is damaged; nothing was changed")] });
    expect(snapshot(truncated)).toEqual(before);

    const edited = damaged("edited", (copy) => {
      const path = join(copy, "checkpoint/model.json");
      writeFileSync(path, readFileSync(path, "utf8").replace('"epochs": 1', '"epochs": 3'));
    });
    const editedBefore = snapshot(edited);
    await expect(resumeCommand(edited, undefined, flags, deps())).rejects.toMatchObject({ message: expect.stringContaining("model.json was edited or damaged after it was saved (its checksum does not match its contents)") });
    expect(snapshot(edited)).toEqual(editedBefore);

    const flipped = damaged("flipped", (copy) => {
      const bin = readFileSync(join(copy, "checkpoint/weights.bin"));
      bin[17]! ^= 1;
      writeFileSync(join(copy, "checkpoint/weights.bin"), bin);
    });
    await expect(resumeCommand(flipped, undefined, flags, deps())).rejects.toMatchObject({ message: expect.stringContaining("weights.bin has changed since it was saved") });
  });

  it("refuses a model file that is not the run's", async () => {
    const other = join(dir, "other.net");
    writeFileSync(other, MODEL.replace("conv 6", "conv 8"));
    await expect(resumeCommand(run, other, flags, deps())).rejects.toMatchObject({ message: expect.stringContaining(`${other} is not the model ${run} was trained with`) });
  });

  it("refuses settings flags next to --resume (usage error)", () => {
    const r = netc(["train", "--resume", run, "--lr", "0.5"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot be used with option '--lr <n>'");
  });
});
