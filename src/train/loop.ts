/**
 * The seed notebook's `train()` loop over a CompiledModel: minibatch steps on a shuffled
 * dataset at the schedule's learning rate, the Animator's metric points, a timer around the
 * training steps only, and the test accuracy once per epoch. Output, checkpoints and signals are
 * the caller's (run.ts): the loop reports through hooks and polls `shouldStop` between steps.
 */
import type { Tensor } from "@tensorflow/tfjs";
import { pixelsOf, type ImageShape } from "../datasets.js";
import type { Tf } from "../runtime/backend.js";
import { batches, mulberry32, shuffledIndices, type Preprocess, type Split } from "../runtime/data.js";
import type { MetricPoint } from "../runtime/plot.js";
import { peakActivation, type ShapeReport } from "../shapes.js";
import type { TrainSettings } from "../train-settings.js";
import type { CompiledModel } from "./model.js";
import { learningRate } from "./schedules.js";

/** How a batch of the dataset's images is fed to a model with the given input shape. */
export type InputLayout =
  | { kind: "flat"; source: ImageShape }
  | { kind: "image"; source: ImageShape; height: number; width: number; resize: boolean };

/**
 * Maps a model's `input` (C×H×W or F, without the batch) onto the dataset's C×H×W images: NHWC,
 * resized bilinearly (as the notebooks' `transforms.Resize`) when the model wants another height
 * and width, or flat (H, W, C order, as netc's `flatten`). The model was checked against the data
 * before (data-fit.ts): a mismatch here is netc's bug.
 */
export function inputLayout(shape: readonly number[] | undefined, source: ImageShape): InputLayout {
  if (shape?.length === 1 && shape[0] === pixelsOf(source)) return { kind: "flat", source };
  if (shape?.length === 3 && shape[0] === source.channels) {
    const [, height, width] = shape as [number, number, number];
    return { kind: "image", source, height, width, resize: height !== source.height || width !== source.width };
  }
  throw new Error(`internal: an input of ${shape?.join("x")} reached training on ${source.channels}x${source.height}x${source.width} images`);
}

/** A batch of images (count × H × W × C floats) as the model's input tensor. */
export function imagesTensor(tf: Tf, images: Float32Array, count: number, layout: InputLayout): Tensor {
  const { height, width, channels } = layout.source;
  if (layout.kind === "flat") return tf.tensor2d(images, [count, pixelsOf(layout.source)]);
  if (!layout.resize) return tf.tensor4d(images, [count, height, width, channels]);
  return tf.tidy(() => {
    const x = tf.tensor4d(images, [count, height, width, channels]);
    // align_corners=False and half-pixel centres: PyTorch's (and torchvision's) bilinear resize.
    return tf.image.resizeBilinear(x, [layout.height, layout.width], false, true);
  });
}

/** Floats that two consecutive activations of an evaluation batch may take (256 MB). */
const EVAL_FLOATS = 64 * 2 ** 20;

/**
 * Evaluation batches of 1,000 where they fit: inference holds about two activations at a
 * time, and the wasm backend's memory ends at 4 GB (a 96×96 DenseNet fits ~200 examples).
 */
export function evalBatchFor(shapes: ShapeReport): number {
  return Math.max(1, Math.min(1000, Math.floor(EVAL_FLOATS / (2 * Math.max(1, peakActivation(shapes))))));
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
  opts: { batchSize?: number; normalize?: readonly number[] } = {},
): Promise<Evaluation> {
  const t0 = performance.now();
  let correct = 0;
  let count = 0;
  for (const batch of batches(split, opts.batchSize ?? 1000, undefined, opts.normalize ? { normalize: opts.normalize } : {})) {
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

/**
 * Lets signal handlers and I/O callbacks (in a browser's worker: messages such as Stop) run
 * between two synchronous tfjs steps. Workers have no setImmediate, and their nested timeouts
 * wait 4 ms at least: a message to ourselves is the prompt way there.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === "function") return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export interface LoopSettings extends TrainSettings {
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
  /** The learning rate of the epoch's last step. */
  lr: number;
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
  /** The run's first step's loss, which an exploded loss is measured against (EXPLODED); absent before it. */
  firstLoss?: number;
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
  /**
   * At step `batch` (0-based) of epoch `epoch` (0-based), whose update was applied, the loss was
   * not finite (`loss` is it), or the epoch's mean loss (`loss`, finite) had exploded (EXPLODED).
   */
  | { kind: "diverged"; epoch: number; batch: number; loss: number };

/**
 * A loss that blows up without overflowing (saturated sigmoids keep it finite) has diverged as
 * surely as a NaN: the epoch's mean loss at one of the Animator's points (a fifth of an epoch or
 * more) above this many times the first step's loss, an untrained classifier's (about ln classes).
 */
export const EXPLODED = 10;

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

/** The training batches' preprocessing in `epoch`: its augmentation drawn from a stream of its own. */
function preprocessFor(settings: LoopSettings, epoch: number): Preprocess {
  const augment = settings.flip || settings.crop > 0;
  return {
    ...(settings.normalize ? { normalize: settings.normalize } : {}),
    ...(augment ? { flip: settings.flip, crop: settings.crop, random: mulberry32((settings.seed + epoch) ^ 0x5bd1e995) } : {}),
  };
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
  let firstLoss = start.firstLoss ?? NaN;
  // Kept in the position, so that a resumed run judges explosions by the run's first step too.
  const explosionReference = () => (Number.isNaN(firstLoss) ? {} : { firstLoss });
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
    const position = (): LoopPosition => ({ epoch, batch: i, lossSum, correctSum, seen, epochSeconds, examples, stepSeconds, ...explosionReference() });
    const order = shuffledIndices(train.count, settings.seed + epoch);
    let lr = NaN;
    // A resumed epoch's finished batches are made again but not trained on: their augmentation
    // draws from the epoch's stream as it did the first time.
    let finished = i;
    for (const batch of batches(train, settings.batch, order, preprocessFor(settings, epoch))) {
      if (finished > 0) {
        finished--;
        continue;
      }
      const t0 = performance.now();
      const x = imagesTensor(tf, batch.images, batch.size, layout);
      const y = tf.tensor1d(batch.labels, "int32");
      let loss: number;
      let correct: number;
      lr = learningRate(settings, epoch, i, numBatches);
      try {
        const out = model.trainStep(x, y, lr);
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
      if (Number.isNaN(firstLoss)) firstLoss = loss;
      lossSum += loss * batch.size;
      correctSum += correct;
      seen += batch.size;
      trainLoss = lossSum / seen;
      trainAcc = correctSum / seen;
      if ((i + 1) % every === 0 || i === numBatches - 1) {
        if (trainLoss > EXPLODED * firstLoss) return result({ kind: "diverged", epoch, batch: i, loss: trainLoss });
        hooks.onPoint?.({ x: epoch + (i + 1) / numBatches, trainLoss, trainAcc, lr });
      }
      hooks.onStep?.({ epoch, batch: i, numBatches, trainLoss, trainAcc, examplesPerSec: seen / epochSeconds });
      i++;
      await yieldToEventLoop();
      if (i < numBatches && hooks.shouldStop?.()) return result({ kind: "stopped", epoch, batch: i, position: position() });
    }
    // The test set is evaluated once per epoch (the seed's indentation evaluates it after
    // every batch, plotting the same x = epoch + 1 each time; its intent is once).
    const evaluation = await evaluate(tf, model, test, layout, { batchSize: input.evalBatch, ...(settings.normalize ? { normalize: settings.normalize } : {}) });
    testAcc = evaluation.accuracy;
    const examplesPerSec = epochSeconds > 0 ? seen / epochSeconds : 0;
    hooks.onPoint?.({ x: epoch + 1, testAcc, examplesPerSec });
    const between: LoopPosition = { ...START, epoch: epoch + 1, examples, stepSeconds, ...explosionReference() };
    await hooks.onEpoch?.({ epoch: epoch + 1, lr, trainLoss, trainAcc, testAcc, examplesPerSec, position: between });
    if (epoch + 1 < settings.epochs && hooks.shouldStop?.()) return result({ kind: "stopped", epoch: epoch + 1, batch: 0, position: between });
  }
  return result({ kind: "done" });
}
