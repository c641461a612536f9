/**
 * The seed notebook's `train()` loop over a CompiledModel: minibatch SGD on shuffled
 * Fashion-MNIST, the Animator's metric points, a timer around the training steps only, and the
 * test accuracy once per epoch. Output, checkpoints and signals are the caller's (command.ts):
 * the loop reports through hooks and polls `shouldStop` between steps.
 */
import type { Tensor } from "@tensorflow/tfjs";
import { UserError } from "../errors.js";
import type { Tf } from "../runtime/backend.js";
import { batches, shuffledIndices, type Split } from "../runtime/data.js";
import type { MetricPoint } from "../runtime/plot.js";
import type { CompiledModel } from "./model.js";

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** How a batch of Fashion-MNIST images is fed to a model with the given input shape. */
export type InputLayout =
  | { kind: "flat"; features: number }
  | { kind: "image"; height: number; width: number; resize: boolean };

/**
 * Maps a model's `input` (C×H×W or F, without the batch) onto 1×28×28 grey images: NHWC
 * `[N, 28, 28, 1]`, resized bilinearly (as the notebooks' `transforms.Resize`) when the model
 * wants another size, or `[N, 784]` for a flat input.
 */
export function inputLayout(shape: readonly number[] | undefined): InputLayout {
  if (!shape) throw new UserError("the model has no `input` statement", ["add e.g. `input 1x28x28` after `model`"]);
  if (shape.length === 1) {
    if (shape[0] !== PIXELS) {
      throw new UserError(`the model's input has ${shape[0]} features, but a Fashion-MNIST image has ${PIXELS} (28×28)`, ["use `input 784`, or `input 1x28x28` for an image input"]);
    }
    return { kind: "flat", features: PIXELS };
  }
  if (shape.length === 3) {
    const [c, h, w] = shape as [number, number, number];
    if (c !== 1) throw new UserError(`the model's input has ${c} channels, but Fashion-MNIST images are greyscale (1 channel)`, [`use \`input 1x${h}x${w}\``]);
    return { kind: "image", height: h, width: w, resize: h !== SIDE || w !== SIDE };
  }
  throw new UserError(`the model's input shape ${shape.join("x")} cannot take Fashion-MNIST images`, ["use `input 1x28x28` or `input 784`"]);
}

/** A batch of images (count × 784 floats in [0, 1]) as the model's input tensor. */
export function imagesTensor(tf: Tf, images: Float32Array, count: number, layout: InputLayout): Tensor {
  if (layout.kind === "flat") return tf.tensor2d(images, [count, PIXELS]);
  if (!layout.resize) return tf.tensor4d(images, [count, SIDE, SIDE, 1]);
  return tf.tidy(() => {
    const x = tf.tensor4d(images, [count, SIDE, SIDE, 1]);
    // align_corners=False and half-pixel centres: PyTorch's (and torchvision's) bilinear resize.
    return tf.image.resizeBilinear(x, [layout.height, layout.width], false, true);
  });
}

export interface Evaluation {
  correct: number;
  count: number;
  accuracy: number;
  /** Wall time of the evaluation, tensors' creation included. */
  seconds: number;
}

/** Accuracy on `split` in inference mode, `batchSize` examples at a time (`evaluate_accuracy_gpu`). */
export async function evaluate(
  tf: Tf,
  model: CompiledModel,
  split: Split,
  layout: InputLayout,
  opts: { batchSize?: number } = {},
): Promise<Evaluation> {
  const t0 = performance.now();
  let correct = 0;
  let count = 0;
  for (const batch of batches(split, opts.batchSize ?? 1000)) {
    const x = imagesTensor(tf, batch.images, batch.size, layout);
    const y = tf.tensor1d(batch.labels, "int32");
    try {
      const c = model.countCorrect(x, y);
      correct += c.dataSync()[0]!;
      c.dispose();
    } finally {
      x.dispose();
      y.dispose();
    }
    count += batch.size;
    await yieldToEventLoop();
  }
  return { correct, count, accuracy: count ? correct / count : 0, seconds: (performance.now() - t0) / 1000 };
}

/** Lets signal handlers and I/O callbacks run between two synchronous tfjs steps. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface LoopSettings {
  lr: number;
  epochs: number;
  batch: number;
  seed: number;
}

export interface StepInfo {
  /** 0-based epoch and batch, as the seed's `epoch` and `i`. */
  epoch: number;
  batch: number;
  numBatches: number;
  /** Cumulative over the epoch so far. */
  trainLoss: number;
  trainAcc: number;
  /** Training examples per second of step time in this epoch so far. */
  examplesPerSec: number;
}

export interface EpochInfo {
  /** 1-based: the number of epochs completed. */
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  examplesPerSec: number;
  /** Where the loop stands after this epoch (for a checkpoint). */
  position: LoopPosition;
}

/**
 * Where the loop stands, with what it has summed so far: a checkpoint saves it, and a loop
 * started from it continues as if it had never stopped (the same batches in the same order, the
 * same running averages on the Animator's points).
 */
export interface LoopPosition {
  /** Epochs completed. */
  epoch: number;
  /** Steps taken into the next epoch (0 between epochs). */
  batch: number;
  /** That epoch's Accumulator so far (the seed's `metric`): summed loss, correct predictions, examples. */
  lossSum: number;
  correctSum: number;
  seen: number;
  /** Step seconds in that epoch so far, and training examples and step seconds over the run. */
  epochSeconds: number;
  examples: number;
  stepSeconds: number;
}

export const START: LoopPosition = { epoch: 0, batch: 0, lossSum: 0, correctSum: 0, seen: 0, epochSeconds: 0, examples: 0, stepSeconds: 0 };

export interface LoopHooks {
  /** After every training step. */
  onStep?(info: StepInfo): void;
  /** A new point for the Animator (train points during the epoch, test accuracy after it). */
  onPoint?(point: MetricPoint): void;
  /** After the test evaluation of each epoch; awaited (checkpoints, metrics files). */
  onEpoch?(info: EpochInfo): Promise<void> | void;
  /** Polled between steps: true ends the loop after the step that just completed. */
  shouldStop?(): boolean;
}

export type LoopEnd =
  | { kind: "done" }
  /** Stopped by `shouldStop`: `batch` steps of epoch `epoch` (0-based) completed after the last full epoch. */
  | { kind: "stopped"; epoch: number; batch: number; position: LoopPosition }
  /** The loss of step `batch` (0-based) of epoch `epoch` (0-based) was not finite; its update was applied. */
  | { kind: "diverged"; epoch: number; batch: number; loss: number };

export interface LoopResult {
  end: LoopEnd;
  /** The last values of the seed's `train_l`, `train_acc`, `test_acc` (NaN before any). */
  trainLoss: number;
  trainAcc: number;
  testAcc: number;
  /** The seed's `metric[2] * num_epochs / timer.sum()`: training examples per second of step time. */
  examplesPerSec: number;
}

export interface LoopInput {
  tf: Tf;
  model: CompiledModel;
  train: Split;
  test: Split;
  layout: InputLayout;
  settings: LoopSettings;
  hooks?: LoopHooks;
  /** Test evaluation batch size (default 1000). */
  evalBatch?: number;
  /** Where to start (default: the first epoch), on a model in the state it had there. */
  start?: LoopPosition;
}

/** The seed's `train()`, on an initialised model, from the first epoch or a saved position. */
export async function trainLoop(input: LoopInput): Promise<LoopResult> {
  const { tf, model, train, test, layout, settings } = input;
  const hooks = input.hooks ?? {};
  const start = input.start ?? START;
  const numBatches = Math.ceil(train.count / settings.batch);
  // The seed plots every num_batches//5 batches (a ZeroDivisionError below 5 batches there).
  const every = Math.max(1, Math.floor(numBatches / 5));
  let trainLoss = NaN;
  let trainAcc = NaN;
  let testAcc = NaN;
  let { examples, stepSeconds } = start;
  const result = (end: LoopEnd): LoopResult => ({
    end,
    trainLoss,
    trainAcc,
    testAcc,
    examplesPerSec: stepSeconds > 0 ? examples / stepSeconds : 0,
  });

  for (let epoch = start.epoch; epoch < settings.epochs; epoch++) {
    // metric = Accumulator(3): summed loss, correct predictions, examples.
    const from = epoch === start.epoch ? start : START;
    let { lossSum, correctSum, seen, epochSeconds } = from;
    let i = from.batch;
    const position = (): LoopPosition => ({ epoch, batch: i, lossSum, correctSum, seen, epochSeconds, examples, stepSeconds });
    const order = shuffledIndices(train.count, settings.seed + epoch);
    for (const batch of batches(train, settings.batch, order, i)) {
      const t0 = performance.now();
      const x = imagesTensor(tf, batch.images, batch.size, layout);
      const y = tf.tensor1d(batch.labels, "int32");
      let loss: number;
      let correct: number;
      try {
        const out = model.trainStep(x, y, settings.lr);
        loss = out.loss.dataSync()[0]!;
        correct = out.correct.dataSync()[0]!;
        out.loss.dispose();
        out.correct.dispose();
      } finally {
        x.dispose();
        y.dispose();
      }
      const dt = (performance.now() - t0) / 1000;
      epochSeconds += dt;
      stepSeconds += dt;
      examples += batch.size;
      if (!Number.isFinite(loss)) return result({ kind: "diverged", epoch, batch: i, loss });
      lossSum += loss * batch.size;
      correctSum += correct;
      seen += batch.size;
      trainLoss = lossSum / seen;
      trainAcc = correctSum / seen;
      if ((i + 1) % every === 0 || i === numBatches - 1) {
        hooks.onPoint?.({ x: epoch + (i + 1) / numBatches, trainLoss, trainAcc });
      }
      hooks.onStep?.({ epoch, batch: i, numBatches, trainLoss, trainAcc, examplesPerSec: seen / epochSeconds });
      i++;
      await yieldToEventLoop();
      if (i < numBatches && hooks.shouldStop?.()) return result({ kind: "stopped", epoch, batch: i, position: position() });
    }
    // The test set is evaluated once per epoch (the seed's indentation evaluates it after
    // every batch, plotting the same x = epoch + 1 each time; its intent is once).
    const evaluation = await evaluate(tf, model, test, layout, { batchSize: input.evalBatch });
    testAcc = evaluation.accuracy;
    hooks.onPoint?.({ x: epoch + 1, testAcc });
    const between: LoopPosition = { ...START, epoch: epoch + 1, examples, stepSeconds };
    await hooks.onEpoch?.({
      epoch: epoch + 1,
      trainLoss,
      trainAcc,
      testAcc,
      examplesPerSec: epochSeconds > 0 ? seen / epochSeconds : 0,
      position: between,
    });
    if (epoch + 1 < settings.epochs && hooks.shouldStop?.()) return result({ kind: "stopped", epoch: epoch + 1, batch: 0, position: between });
  }
  return result({ kind: "done" });
}
