/**
 * The memory check before training or evaluating: what a step will hold, estimated from the
 * checked shapes (the figures `netc shapes` reports), against what the backend has. A model
 * that cannot fit is refused with the numbers and what would fit, before anything is
 * allocated or written (TensorFlow.js would otherwise fail midway, e.g. "Invalid typed array
 * length", or run the wasm heap out of its 4 GiB).
 *
 * A training step holds everything it makes until it ends (graph.ts runs it in one tf.tidy: the
 * forward records for the backward pass, then every gradient). Per layer that is its output
 * and the gradient of its input, and what the layers' `trainingElements` add (a stride-1 conv's
 * padded gradient, an activation's derivative, dropout's mask; BN fused with what follows it
 * holds less); besides, copies of the parameters: themselves, their gradients, the filters the
 * convolutions' backward flips, and what the optimizer keeps and its update makes (plain SGD:
 * two temporaries; Adam: two moments and thirteen; optimizers.ts counts them). Calibrated with
 * tf.profile's peak bytes of a step (plain SGD unless named) on the wasm backend (2 threads):
 *
 *   model       batch   measured   estimated
 *   LeNet         512     92 MB     106 MB
 *   LeNet-BN      512     38 MB      48 MB
 *   AlexNet       128   2684 MB    3038 MB   (trains: the wasm heap peaks at 3.40 GB)
 *   NiN             4    175 MB     196 MB
 *   GoogLeNet     128   2518 MB    2749 MB   (trains: the heap peaks at 2.95 GB)
 *   ResNet-18       8    345 MB     370 MB
 *   ResNet-18     256   3136 MB    3517 MB   (trains: the heap peaks at 3.83 GB)
 *   DenseNet       48    887 MB     954 MB
 *   ResNet-18 Adam  8    926 MB     951 MB
 *   LeNet-norms   128     71 MB      80 MB   (test/fixtures/lenet-norms.net; Adam: 74, 84)
 *
 * (`node scripts/bench-memory.mjs MODEL:BATCH ...` measures them; the README has its last run.)
 */
import os from "node:os";
import { UserError } from "../errors.js";
import { product, type Counts, type Shape } from "../layers/types.js";
import { thousands } from "../numbers.js";
import type { Network, Node } from "../resolve.js";
import type { BackendName } from "../runtime/backend.js";
import { peakActivation, type ShapeReport } from "../shapes.js";
import { PLAIN_SGD, updateFootprint, type OptimizerSettings } from "./optimizers.js";
import { absorbedAfter } from "./passes.js";
import type { Bn } from "./setup.js";

const FLOAT = 4;
/**
 * Copies of the parameters besides the optimizer's: themselves, their gradients, the filters'
 * flipped copies, and one more the calibration found (with plain SGD's two temporaries, six).
 */
const PARAMETER_COPIES = 4;
/**
 * The share of wasm's 4 GiB that estimated tensors may take: the heap grows past what the
 * tensors hold (by 1.17–1.27× at 2.5–3.1 GB, measured) and the estimate is at least 1.05× what
 * they hold, so 83% keeps the heap within 4 GiB.
 */
const WASM_USABLE = 0.83;
const WASM_BYTES = 4 * 2 ** 30;
/** The cpu backend keeps each tensor in one typed array: at most 2^32 elements. */
const CPU_TENSOR_ELEMENTS = 2 ** 32;

export interface MemoryEstimate {
  batch: number;
  /**
   * Bytes of the parameters, their gradients and the update's temporaries, the optimizer's state
   * (momentum buffers, Adam's moments), the BN statistics, the activations at `batch`.
   */
  parameters: number;
  gradients: number;
  optimizer: number;
  state: number;
  activations: number;
  total: number;
  /** The largest single tensor, in elements (a layer's output or input at `batch`). */
  largestTensor: number;
}

/**
 * What one training step holds at `batch`. `fused`: the backend runs BN fused with the
 * activation and pooling after it (the project's kernels: wasm and cpu). `optimizer`: the
 * update (default: plain SGD, the seed's).
 */
export function estimateTraining(network: Network, shapes: ShapeReport, batch: number, how: { fused: boolean; bn: Bn; optimizer?: OptimizerSettings }): MemoryEstimate {
  const input = network.input!.shape;
  const perExample = product(input) + held(network.layers, input, how).elements;
  const update = updateFootprint(how.optimizer ?? PLAIN_SGD);
  return estimate(shapes.totals, batch, perExample, PARAMETER_COPIES + update.temporaries, update.slots, peakActivation(shapes) * batch);
}

/**
 * What inference holds at `batch`: the weights and their BN-folded copies, and a few activations
 * at a time (graph.ts frees each as soon as the next exists).
 */
function estimateInference(shapes: ShapeReport, batch: number): MemoryEstimate {
  return estimate(shapes.totals, batch, 3 * peakActivation(shapes), 2, 0, peakActivation(shapes) * batch);
}

function estimate(totals: Counts, batch: number, perExample: number, parameterCopies: number, optimizerSlots: number, largestTensor: number): MemoryEstimate {
  const parameters = FLOAT * totals.trainable;
  const gradients = FLOAT * (parameterCopies - 1) * totals.trainable;
  const optimizer = FLOAT * optimizerSlots * totals.trainable;
  const state = FLOAT * totals.state;
  const activations = FLOAT * batch * perExample;
  return { batch, parameters, gradients, optimizer, state, activations, total: parameters + gradients + optimizer + state + activations, largestTensor };
}

/** Elements per example the layers of `nodes` hold in a training step, and their output shape. */
function held(nodes: readonly Node[], input: Shape, how: { fused: boolean; bn: Bn }): { elements: number; output: Shape } {
  // As the lowering runs them: groups flattened, so BN fuses with an activation after a block's end.
  const sequence = flatten(nodes);
  let shape = input;
  let elements = 0;
  let absorbedUntil = -1;
  sequence.forEach((node, i) => {
    if (node.kind === "merge") {
      const branches = node.branches.map((branch) => held(branch, shape, how));
      const output = node.spec.outputShape(branches.map((b) => b.output)) as Shape;
      // y, the branches' gradients (a concat's split), and their sum.
      elements += branches.reduce((n, b) => n + b.elements, 0) + product(shape) + (node.spec.name === "concat" ? 2 : 1) * product(output);
      shape = output;
      return;
    }
    if (node.kind !== "layer") throw new Error("internal: a model with errors reached the memory check");
    const output = node.spec.outputShape(shape, node.args) as Shape;
    const fused = how.fused && node.spec.lower.fuse !== undefined;
    if (fused) absorbedUntil = i + absorbedAfter(sequence, i).count;
    // A layer absorbed by the fused one before it holds nothing of its own.
    if (i > absorbedUntil || fused) elements += node.spec.lower.trainingElements?.(shape, output, node.args, { fused, bn: how.bn }) ?? product(shape) + product(output);
    shape = output;
  });
  return { elements, output: shape };
}

function flatten(nodes: readonly Node[]): Node[] {
  return nodes.flatMap((node) => (node.kind === "group" ? flatten(node.children) : [node]));
}

/** What a backend can hold, and how to say it. */
export function memoryLimit(backend: BackendName): { bytes: number; what: string } {
  if (backend === "wasm") return { bytes: WASM_BYTES * WASM_USABLE, what: `the ${bytesText(WASM_BYTES * WASM_USABLE)} the wasm backend can give tensors (of its 4 GiB address space)` };
  return { bytes: os.totalmem(), what: `this machine's ${bytesText(os.totalmem())} of memory` };
}

function fits(e: MemoryEstimate, backend: BackendName): boolean {
  return e.total <= memoryLimit(backend).bytes && (backend !== "cpu" || e.largestTensor <= CPU_TENSOR_ELEMENTS);
}

/**
 * Refuses (a UserError) a model that cannot train (or be evaluated) at `batch` on `backend`,
 * with the estimate, the largest batch that fits, and a backend with more room. `netc train`
 * and `netc eval` call it after starting the backend, before compiling the model.
 */
export function checkMemory(network: Network, shapes: ShapeReport, batch: number, backend: BackendName, how: { mode: "train" | "eval"; bn: Bn; optimizer?: OptimizerSettings }): MemoryEstimate {
  const { mode, bn } = how;
  const fused = backend !== "tensorflow";
  const at = (b: number) => (mode === "train" ? estimateTraining(network, shapes, b, { fused, bn, ...(how.optimizer ? { optimizer: how.optimizer } : {}) }) : estimateInference(shapes, b));
  const e = at(batch);
  if (fits(e, backend)) return e;
  const limit = memoryLimit(backend);
  const tooLarge = backend === "cpu" && e.largestTensor > CPU_TENSOR_ELEMENTS && e.total <= limit.bytes;
  const what = mode === "train" ? `training ${network.name} (batch ${thousands(batch)})` : `evaluating ${network.name}`;
  const parts = [
    `parameters ${bytesText(e.parameters)}`,
    `${mode === "train" ? "their gradients and the update" : "their BN-folded copies"} ${bytesText(e.gradients)}`,
    ...(e.optimizer > 0 ? [`the optimizer's state ${bytesText(e.optimizer)}`] : []),
    ...(e.state > 0 ? [`BN statistics ${bytesText(e.state)}`] : []),
    `activations ${bytesText(e.activations)} (${bytesText(e.activations / e.batch)} per example)`,
  ];
  const hints = [parts.join(", ")];
  let largest = 0;
  for (let lo = 1, hi = batch - 1; lo <= hi; ) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(at(mid), backend)) [largest, lo] = [mid, mid + 1];
    else hi = mid - 1;
  }
  if (mode === "train" && largest > 0) hints.push(`the largest batch that fits is --batch ${largest}`);
  if (largest === 0) hints.push(`even one example does not fit: make the model smaller (\`netc shapes\` shows where its parameters and activations are)`);
  if (backend === "wasm" && fits(at(mode === "train" ? batch : 1), "tensorflow")) {
    hints.push(`--backend tensorflow (with @tensorflow/tfjs-node installed) or --backend cpu (slow) can use ${memoryLimit("tensorflow").what}`);
  }
  throw new UserError(
    tooLarge
      ? `${what} needs a tensor of ${thousands(e.largestTensor)} elements, more than the cpu backend's 2^32`
      : `${what} needs about ${bytesText(e.total)}, more than ${limit.what}`,
    hints,
  );
}

/** 1536 → "1.5 KiB". */
function bytesText(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit]}`;
}
