import type { NamedTensorMap, Scalar, Tensor } from "@tensorflow/tfjs";
import type { LayerNode, MergeNode } from "../resolve.js";

/** A part of a training step, as `netc time` reports it. */
export type StepPart =
  | { phase: "forward" | "backward"; node: LayerNode | MergeNode }
  /** The loss and its gradient; the optimizer's update of every parameter. */
  | { phase: "loss" | "update" };

/**
 * Told when each part of a training step has run (`netc time`). A step given one pays for the
 * calls and whatever `lap` does (e.g. waiting for `output` on an asynchronous backend); a step
 * without one pays for neither.
 */
export interface StepTimer {
  lap(part: StepPart, output: Tensor): void;
}

/**
 * A network lowered to TensorFlow.js, ready to train: the interface between the lowering
 * (graph.ts) and the training loop. Tensors go in NHWC, the layout tfjs's kernels want.
 */
export interface CompiledModel {
  /**
   * One optimizer step on a batch at learning rate `lr`, in training mode (batch statistics,
   * moving statistics updated).
   * Returns the mean cross-entropy loss and the number of correct predictions as scalars;
   * the caller reads them (reading synchronises) and disposes them. With a timer, each layer's
   * forward and backward is reported to it as it completes.
   */
  trainStep(images: Tensor, labels: Tensor, lr: number, timer?: StepTimer): { loss: Scalar; correct: Scalar };
  /**
   * The mean cross-entropy of a training-mode forward (which also updates the moving
   * statistics), as one function of the variables that `tf.grads` can differentiate: the
   * reference the explicit backward pass is tested against.
   */
  trainingLoss(images: Tensor, labels: Tensor): Scalar;
  /** Logits in inference mode (BN uses its moving statistics, dropout is off). */
  predict(images: Tensor): Tensor;
  /** Correct predictions on a batch, in inference mode. */
  countCorrect(images: Tensor, labels: Tensor): Scalar;
  /**
   * Where the seeded sequence that dropout masks draw from stands: saved in checkpoints, so that
   * a resumed run draws the masks the uninterrupted run would have.
   */
  randomState: number;
  /** Parameters and state by stable names (e.g. `layer3.conv.weight`, `layer4.bn.moving_mean`). */
  weights(): NamedTensorMap;
  /** Replaces parameters and state; throws when a name or shape does not match. */
  setWeights(weights: NamedTensorMap): void;
  /**
   * The optimizer's state (momentum buffers, Adam's moments, its step count) by names that
   * start with `opt.` (optimizers.ts): saved in checkpoints beside `weights()`, so that a
   * resumed run continues where it stopped. Empty for plain SGD.
   */
  optimizerState(): NamedTensorMap;
  /** Replaces the optimizer's state; throws when a name or shape does not match. */
  setOptimizerState(state: NamedTensorMap): void;
  dispose(): void;
}
