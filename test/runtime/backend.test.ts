import type { Rank, Tensor4D } from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { initBackend } from "../../src/runtime/backend.js";

type Shape4 = [number, number, number, number];
type Case = { x: Shape4; w: Shape4; stride: number; pad: "valid" | "same" };
const CASES: Case[] = [
  { x: [4, 28, 28, 1], w: [5, 5, 1, 6], stride: 1, pad: "valid" },
  { x: [4, 12, 12, 6], w: [5, 5, 6, 16], stride: 1, pad: "valid" },
  { x: [2, 9, 9, 3], w: [3, 3, 3, 2], stride: 1, pad: "same" },
  { x: [3, 13, 13, 4], w: [3, 3, 4, 5], stride: 2, pad: "same" },
  { x: [3, 14, 14, 4], w: [3, 3, 4, 5], stride: 2, pad: "valid" },
  { x: [2, 10, 10, 2], w: [4, 4, 2, 3], stride: 2, pad: "same" }, // even kernel: asymmetric padding
];

describe("initBackend", () => {
  it("falls back to wasm when tfjs-node is missing, and says why", async () => {
    const b = await initBackend("auto");
    // tfjs-node can't install on these machines; where it can, auto must pick it.
    expect(["tensorflow", "wasm"]).toContain(b.name);
    expect(b.tf.getBackend()).toBe(b.name);
    if (b.name === "wasm") expect(b.description).toMatch(/^wasm \(WebAssembly.*\); tensorflow unavailable: \S/);
  });

  it("gives tf.grad through conv2d on wasm the cpu backend's filter gradient", async () => {
    const grads = async (backend: "cpu" | "wasm") => {
      const { tf } = await initBackend(backend);
      return CASES.map((c, i) =>
        tf.tidy(() => {
          const x = tf.randomNormal<Rank.R4>(c.x, 0, 1, "float32", i + 1);
          const w = tf.randomNormal<Rank.R4>(c.w, 0, 1, "float32", i + 10);
          const dy = tf.randomNormal(tf.conv2d(x, w, c.stride, c.pad).shape, 0, 1, "float32", i + 20);
          const dW = tf.grad((w) => tf.sum(tf.mul(tf.conv2d(x, w as Tensor4D, c.stride, c.pad), dy)))(w);
          expect(dW.shape).toEqual(c.w);
          return dW.dataSync().slice();
        }),
      );
    };
    const cpu = await grads("cpu");
    const wasm = await grads("wasm");
    CASES.forEach((c, i) => {
      const scale = Math.max(...cpu[i]!.map(Math.abs));
      const worst = Math.max(...cpu[i]!.map((v, j) => Math.abs(v - wasm[i]![j]!)));
      expect(scale).toBeGreaterThan(1);
      expect(worst / scale, JSON.stringify(c)).toBeLessThan(1e-5);
    });
  });

  it("does not leak tensors or wasm memory across training steps", async () => {
    const { tf } = await initBackend("wasm");
    const x = tf.randomNormal<Rank.R4>([16, 12, 12, 3]);
    const w = tf.variable(tf.randomNormal<Rank.R4>([3, 3, 3, 4]));
    const opt = tf.train.sgd(0.01);
    const step = () => opt.minimize(() => tf.mean(tf.square(tf.conv2d(x, w, 2, "same"))), true)!.dispose();
    step();
    const before = tf.memory();
    for (let i = 0; i < 5; i++) step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});
