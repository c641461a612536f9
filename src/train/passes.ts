import type { LayerStep, Step } from "./steps.js";

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
 * are constants now) and the activation after that become one fused kernel with folded weights.
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
    let next = steps[i + 1];
    const norm = isLayer(next) && next.spec.lower.inferenceScaleShift ? next : undefined;
    if (norm) next = steps[i + 1 + 1];
    const activation = isLayer(next) && next.spec.lower.fusedActivation ? next : undefined;
    out.push({ kind: "folded", affine: step, ...(norm ? { norm } : {}), ...(activation ? { activation } : {}) });
    i += (norm ? 1 : 0) + (activation ? 1 : 0);
  }
  return out;
}
