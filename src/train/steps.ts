import type { Variable } from "@tensorflow/tfjs";
import type { ArgValues, LayerSpec, Lowering, MergeSpec } from "../layers/types.js";
import type { LayerNode, MergeNode } from "../resolve.js";

/** The lowered graph: the network's layers as steps, groups flattened, branches kept. */

export interface LayerStep {
  kind: "layer";
  /** The layer of the checked network this step runs (`netc time` reports by it). */
  node: LayerNode;
  spec: LayerSpec;
  args: ArgValues;
  /** Parameter and state variables by the layer's own names (`weight`, `moving_mean`). */
  variables: Record<string, Variable>;
  /** Parameters whose gradient is known to be zero: not computed, not updated. */
  frozen?: ReadonlySet<string>;
  /** A fused lowering that replaces the entry's own (and the steps it absorbed). */
  lower?: Lowering;
  /** The layers a fused lowering absorbed, which no longer run as steps of their own. */
  absorbed?: readonly LayerNode[];
}

export interface MergeStep {
  kind: "merge";
  node: MergeNode;
  spec: MergeSpec;
  branches: Step[][];
}

/**
 * An affine layer with the normalization and activation after it folded in, for inference:
 * one fused kernel instead of three passes over the activations.
 */
export interface FoldedStep {
  kind: "folded";
  affine: LayerStep;
  norm?: LayerStep;
  activation?: "relu" | "sigmoid";
  /** A 2×2 average pooling after it (stride 2, no padding), also absorbed. */
  pool2?: boolean;
}

export type Step = LayerStep | MergeStep | FoldedStep;
