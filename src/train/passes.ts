import type { Tensor } from "@tensorflow/tfjs";
import type { Activation, ArgValues, LayerSpec, LowerContext } from "../layers/types.js";
import type { LayerStep, Step } from "./steps.js";

/** Whether tfjs's fused conv2d and matMul kernels can apply the activation. */
function tfjsFusable(activation: Activation | undefined): activation is "relu" | "sigmoid" {
  return activation === "relu" || activation === "sigmoid";
}

/**
 * Compiler passes over the lowered graph. Each is a pure rewrite of a step sequence, applied
 * inside branches too, and each relies only on facts the registry states about a layer.
 */

function isLayer(step: Step | undefined): step is LayerStep {
  return step?.kind === "layer";
}

/**
 * Training: a bias that feeds a mean-subtracting normalization has a gradient of exactly zero
 * (BN removes any per-channel constant), so it is neither computed nor applied. The parameter
 * stays, with its count and value, so the network is still the one the file describes.
 */
export function freezeBiasBeforeNorm(steps: readonly Step[]): Step[] {
  return steps.map((step, i) => {
    if (step.kind === "merge") return { ...step, branches: step.branches.map(freezeBiasBeforeNorm) };
    const next = steps[i + 1];
    if (isLayer(step) && step.spec.hasBias?.(step.args) && isLayer(next) && next.spec.subtractsMean) {
      return { ...step, frozen: new Set(["bias"]) };
    }
    return step;
  });
}

/**
 * Inference: an affine layer (conv, linear), the normalization after it (its moving statistics
 * are constants now), the activation after that and a 2×2 average pooling after them become
 * one step: the affine layer with folded weights, then at most one pass over its output.
 */
export function foldForInference(steps: readonly Step[]): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.kind === "merge") {
      out.push({ ...step, branches: step.branches.map(foldForInference) });
      continue;
    }
    if (!isLayer(step) || !step.spec.lower.affine) {
      out.push(step);
      continue;
    }
    // The steps it absorbs follow it in this order, each optional.
    let j = i + 1;
    const layerAt = (k: number) => {
      const candidate = steps[k];
      return isLayer(candidate) ? candidate : undefined;
    };
    const normCandidate = layerAt(j);
    const norm = normCandidate?.spec.lower.inferenceScaleShift && (normCandidate.spec.lower.inferenceIsScaleShift?.(normCandidate.args) ?? true) ? normCandidate : undefined;
    if (norm) j++;
    const activation = layerAt(j)?.spec.lower.activation;
    const fused = tfjsFusable(activation) ? activation : undefined;
    if (fused) j++;
    const poolCandidate = layerAt(j);
    const pool2 = poolCandidate?.spec.lower.isAveragePool2?.(poolCandidate.args) === true;
    if (pool2) j++;
    out.push({ kind: "folded", affine: step, ...(norm ? { norm } : {}), ...(fused ? { activation: fused } : {}), ...(pool2 ? { pool2 } : {}) });
    i = j - 1;
  }
  return out;
}

type LayerLike = { kind: "layer"; spec: LayerSpec; args: ArgValues };

/**
 * What a fusing layer at `i` of a sequence (steps, or the checked network's layers) absorbs:
 * the activation right after it, then a 2×2 average pooling; `count` entries after `i` in all.
 */
export function absorbedAfter(sequence: readonly { kind: string }[], i: number): { activation?: LayerLike; pool2: boolean; count: number } {
  const layerAt = (j: number) => (sequence[j]?.kind === "layer" ? (sequence[j] as LayerLike) : undefined);
  const next = layerAt(i + 1);
  const activation = next?.spec.lower.activation ? next : undefined;
  const after = layerAt(i + (activation ? 2 : 1));
  const pool2 = after?.spec.lower.isAveragePool2?.(after.args) === true;
  return { ...(activation ? { activation } : {}), pool2, count: (activation ? 1 : 0) + (pool2 ? 1 : 0) };
}

/**
 * Training: a layer that can fuse (BN from scratch, with the project's kernels), the activation
 * after it and a 2×2 average pooling after that become one step: two passes over the
 * activations forward and two backward, instead of a dozen tfjs kernels.
 */
export function fuseNormActivationPool(steps: readonly Step[], ctx: LowerContext): Step[] {
  const out: Step[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    if (step.kind === "merge") {
      out.push({ ...step, branches: step.branches.map((b) => fuseNormActivationPool(b, ctx)) });
      continue;
    }
    if (!isLayer(step) || !step.spec.lower.fuse) {
      out.push(step);
      continue;
    }
    const fusible = absorbedAfter(steps, i);
    const next = fusible.activation;
    const activation = next ? { name: next.spec.lower.activation!, apply: (x: Tensor) => next.spec.lower.forward(ctx, x, {}, next.args).y } : undefined;
    const pool2 = fusible.pool2;
    const lower = step.spec.lower.fuse(ctx, step.args, { ...(activation ? { activation } : {}), pool2 });
    if (!lower) {
      out.push(step);
      continue;
    }
    const absorbed = steps.slice(i + 1, i + 1 + fusible.count).filter(isLayer).map((s) => s.node);
    out.push({ ...step, lower, absorbed });
    i += fusible.count;
  }
  return out;
}
