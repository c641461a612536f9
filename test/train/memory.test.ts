import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkBytes } from "../../src/compile.js";
import { UserError } from "../../src/errors.js";
import { checkMemory, estimateTraining, memoryLimit } from "../../src/train/memory.js";
import { resolveSettings, type OptimizerName } from "../../src/train-settings.js";

/** The memory check before training: estimates against measured peaks, and what it refuses. */

const checked = (path: string, text = readFileSync(path, "utf8"), bn: "scratch" | "builtin" = "scratch") => checkBytes(path, new TextEncoder().encode(text), { bn });
const estimate = (path: string, batch: number, optimizer: OptimizerName = "sgd") => {
  const c = checked(path);
  return estimateTraining(c.network, c.shapes, batch, { fused: true, bn: "scratch", optimizer: resolveSettings({}, { optimizer }) }).total;
};
const refusal = (path: string, batch: number, backend: "wasm" | "cpu", text?: string, optimizer: OptimizerName = "sgd") => {
  const c = checked(path, text);
  try {
    checkMemory(c.network, c.shapes, batch, backend, { mode: "train", bn: "scratch", optimizer: resolveSettings({}, { optimizer }) });
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
};

describe("the estimate", () => {
  // tf.profile's peak bytes of one training step on wasm (scripts/bench-memory.mjs, 2 threads),
  // with plain SGD unless an optimizer is named (Adam keeps two moments and makes 13 temporaries).
  const measured: [string, number, number, OptimizerName?][] = [
    ["models/lenet.net", 512, 92.3e6],
    ["models/lenet-bn.net", 512, 38.4e6],
    ["models/alexnet.net", 128, 2683.8e6],
    ["models/nin.net", 4, 175.0e6],
    ["models/googlenet.net", 128, 2517.5e6],
    ["models/resnet18.net", 8, 344.6e6],
    ["models/resnet18.net", 256, 3136.1e6],
    ["models/densenet.net", 48, 886.8e6],
    ["models/resnet18.net", 8, 925.9e6, "adam"],
    ["models/lenet.net", 256, 50.2e6, "adamw"],
    // layernorm, groupnorm, instancenorm, iternorm and bn's options.
    ["test/fixtures/lenet-norms.net", 128, 71.0e6],
    ["test/fixtures/lenet-norms.net", 128, 74.3e6, "adam"],
  ];
  for (const [path, batch, bytes, optimizer] of measured) {
    it(`covers what ${path} holds at batch ${batch}${optimizer ? ` with ${optimizer}` : ""}, within 30%`, () => {
      const ratio = estimate(path, batch, optimizer) / bytes;
      expect(ratio).toBeGreaterThanOrEqual(1);
      expect(ratio).toBeLessThan(1.3);
    });
  }
});

describe("the check", () => {
  it("lets the d2l models train on wasm at the book's batch sizes where they fit, and refuses where they run out", () => {
    // Measured: these train (the wasm heap peaks at 3.83 GB for ResNet-18 at 256) ...
    for (const [path, batch] of [["models/lenet.net", 256], ["models/lenet-bn.net", 128], ["models/alexnet.net", 128], ["models/googlenet.net", 128], ["models/resnet18.net", 256], ["models/densenet.net", 128]] as const) {
      expect(refusal(path, batch, "wasm"), `${path} at ${batch}`).toBeUndefined();
    }
    // ... these need more than 4 GiB (measured: NiN fails with "memory access out of bounds", DenseNet finishes no step).
    for (const [path, batch] of [["models/densenet.net", 256], ["models/nin.net", 128], ["models/vgg11.net", 128]] as const) {
      expect(refusal(path, batch, "wasm")?.message, `${path} at ${batch}`).toMatch(/^training \w+ \(batch \d+\) needs about [\d.]+ GiB, more than the 3\.3 GiB the wasm backend can give tensors \(of its 4 GiB address space\)$/);
    }
  });

  it("counts the optimizer's state and update: ResNet-18 at 256 fits wasm with SGD, not with Adam", () => {
    expect(refusal("models/resnet18.net", 256, "wasm")).toBeUndefined();
    const e = refusal("models/resnet18.net", 256, "wasm", undefined, "adam")!;
    expect(e.message).toMatch(/^training resnet18 \(batch 256\) needs about [\d.]+ GiB, more than the 3\.3 GiB/);
    expect(e.hints[0]).toMatch(/, the optimizer's state 85\.\d MiB, /);
  });

  it("names the largest batch that fits, and it does fit", () => {
    const e = refusal("models/vgg11.net", 128, "wasm")!;
    const largest = Number(/the largest batch that fits is --batch (\d+)/.exec(e.hints.join("\n"))![1]);
    expect(largest).toBeGreaterThan(0);
    expect(estimate("models/vgg11.net", largest)).toBeLessThanOrEqual(memoryLimit("wasm").bytes);
    expect(estimate("models/vgg11.net", largest + 1)).toBeGreaterThan(memoryLimit("wasm").bytes);
    expect(e.hints[0]).toMatch(/^parameters 491\.4 MiB, their gradients and the update 2\.4 GiB, activations [\d.]+ GiB \([\d.]+ MiB per example\)$/);
  });

  it("refuses `conv 999999 k5` on 1×28×28 with the numbers, whatever the batch", () => {
    const e = refusal("wide.net", 128, "wasm", "input 1x28x28\nconv 999999 k5\nflatten\nlinear 10\n")!;
    expect(e.message).toMatch(/^training wide \(batch 128\) needs about [\d.]+ TiB, more than the 3\.3 GiB/);
    expect(e.hints).toContain("even one example does not fit: make the model smaller (`netc shapes` shows where its parameters and activations are)");
  });

  it("refuses on cpu a tensor longer than a typed array can be", () => {
    // 2^16 channels of 256×256 at batch 2: 2^33 elements in one output.
    const e = refusal("tall.net", 2, "cpu", "input 1x256x256\nconv 65536 k1\n");
    if (e) expect(e.message).toMatch(/needs (a tensor of 8,589,934,592 elements, more than the cpu backend's 2\^32|about .*, more than this machine's)/);
    else throw new Error("not refused");
  });
});
