import type { NamedTensorMap, Scalar, Tensor, Variable } from "@tensorflow/tfjs";
import { ADAM_UPDATE, SGD_UPDATE } from "../kernels/names.js";
import type { Tf } from "../layers/types.js";
import type { OptimizerName, TrainSettings } from "../train-settings.js";

/**
 * The optimizers, one entry each: the state it keeps per parameter, under PyTorch's names (so a
 * checkpoint's state reads as torch.optim's `state_dict`), and its update of one parameter,
 * written as torch.optim's single-tensor code (torch 1.13) does it, op for op, so that the float32
 * results agree. The update is part of the training step: it runs inside the step's `tidy`, which
 * frees every temporary, and parameters and state are variables assigned in place, so memory
 * does not grow from step to step.
 */

export type OptimizerSettings = Pick<TrainSettings, "optimizer" | "momentum" | "nesterov" | "wd" | "betas" | "eps">;

/** The seed notebook's update: plain SGD. */
export const PLAIN_SGD: OptimizerSettings = { optimizer: "sgd", momentum: 0, nesterov: false, wd: 0, betas: [0.9, 0.999], eps: 1e-8 };

/** Checkpoint names of optimizer state start with this; the rest of a checkpoint is the model's. */
export const STATE_PREFIX = "opt.";
const STEP = `${STATE_PREFIX}step`;

export function isOptimizerState(name: string): boolean {
  return name.startsWith(STATE_PREFIX);
}

type Scalars = Readonly<Record<string, Scalar>>;

interface Rule {
  /** State per parameter, by PyTorch's names. */
  slots: readonly string[];
  /** Whether it keeps a step count (Adam's bias corrections need one; SGD's state has none). */
  countsSteps: boolean;
  /** The scalars of step `t` (1-based) at learning rate `lr`, computed in double precision as PyTorch does in Python; made once per step. */
  stepScalars(lr: number, t: number): Scalars;
  /** One parameter's update, in place. */
  update(param: Variable, grad: Tensor, state: Readonly<Record<string, Variable>>, step: Scalars): void;
  /** Every parameter's update in one call of the project's kernel, where the rule has one and the backend runs it; false otherwise. */
  updateAll?(params: readonly Variable[], grads: readonly Tensor[], states: readonly Readonly<Record<string, Variable>>[], lr: number, t: number): boolean;
  dispose(): void;
}

/** Scalars of the settings, made once, so that a step makes none per parameter. */
function constants(tf: Tf, values: Record<string, number>): Scalars {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, tf.scalar(v)]));
}

/** torch.optim.SGD with dampening 0: weight decay added to the gradient, momentum, then the step. */
function sgd(tf: Tf, s: OptimizerSettings): Rule {
  const c = constants(tf, { wd: s.wd, momentum: s.momentum });
  return {
    slots: s.momentum !== 0 ? ["momentum_buffer"] : [],
    countsSteps: false,
    stepScalars: (lr) => ({ lr: tf.scalar(lr) }),
    update(param, grad, state, step) {
      let d = s.wd !== 0 ? tf.add(grad, tf.mul(param, c["wd"]!)) : grad;
      const buffer = state["momentum_buffer"];
      if (buffer) {
        // PyTorch's first step clones d into the buffer: from a zero buffer, the same.
        buffer.assign(tf.add(tf.mul(buffer, c["momentum"]!), d));
        d = s.nesterov ? tf.add(d, tf.mul(buffer, c["momentum"]!)) : buffer;
      }
      param.assign(tf.sub(param, tf.mul(d, step["lr"]!)));
    },
    updateAll(params, grads, states, lr) {
      if (!tf.getKernel(SGD_UPDATE, tf.getBackend())) return false;
      const inputs: Record<string, Tensor> = {};
      params.forEach((param, i) => {
        inputs[`param${i}`] = param;
        inputs[`grad${i}`] = grads[i]!;
        const buffer = states[i]!["momentum_buffer"];
        if (buffer) inputs[`buffer${i}`] = buffer;
      });
      const outs = tf.engine().runKernel(SGD_UPDATE, inputs, { lr, momentum: s.momentum, wd: s.wd, nesterov: s.nesterov }) as Tensor[];
      let o = 0;
      params.forEach((param, i) => {
        param.assign(outs[o++]!);
        states[i]!["momentum_buffer"]?.assign(outs[o++]!);
      });
      return true;
    },
    dispose: () => tf.dispose(Object.values(c)),
  };
}

/**
 * torch.optim.Adam (weight decay added to the gradient, an L2 penalty) and AdamW (`decoupled`:
 * the parameter scaled by 1 − lr·wd before the update).
 */
function adam(tf: Tf, s: OptimizerSettings, decoupled: boolean): Rule {
  const [beta1, beta2] = s.betas;
  const c = constants(tf, { wd: s.wd, beta1, beta2, oneMinusBeta1: 1 - beta1, oneMinusBeta2: 1 - beta2, eps: s.eps });
  /** The step's scalars, in double precision as PyTorch computes them in Python. */
  const scalars = (lr: number, t: number) => ({ stepSize: lr / (1 - beta1 ** t), bc2Sqrt: Math.sqrt(1 - beta2 ** t), decay: 1 - lr * s.wd });
  return {
    slots: ["exp_avg", "exp_avg_sq"],
    countsSteps: true,
    stepScalars(lr, t) {
      const { stepSize, bc2Sqrt, decay } = scalars(lr, t);
      return { stepSize: tf.scalar(stepSize), biasCorrection2Sqrt: tf.scalar(bc2Sqrt), decay: tf.scalar(decay) };
    },
    update(param, grad, state, step) {
      if (decoupled && s.wd !== 0) param.assign(tf.mul(param, step["decay"]!));
      const g = !decoupled && s.wd !== 0 ? tf.add(grad, tf.mul(param, c["wd"]!)) : grad;
      const m = state["exp_avg"]!;
      const v = state["exp_avg_sq"]!;
      m.assign(tf.add(tf.mul(m, c["beta1"]!), tf.mul(g, c["oneMinusBeta1"]!)));
      v.assign(tf.add(tf.mul(v, c["beta2"]!), tf.mul(tf.mul(g, g), c["oneMinusBeta2"]!)));
      const denom = tf.add(tf.div(tf.sqrt(v), step["biasCorrection2Sqrt"]!), c["eps"]!);
      param.assign(tf.sub(param, tf.mul(tf.div(m, denom), step["stepSize"]!)));
    },
    updateAll(params, grads, states, lr, t) {
      if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) return false;
      const inputs: Record<string, Tensor> = {};
      params.forEach((param, i) => {
        Object.assign(inputs, { [`param${i}`]: param, [`grad${i}`]: grads[i]!, [`m${i}`]: states[i]!["exp_avg"]!, [`v${i}`]: states[i]!["exp_avg_sq"]! });
      });
      const outs = tf.engine().runKernel(ADAM_UPDATE, inputs, { beta1, beta2, eps: s.eps, wd: s.wd, decoupled, ...scalars(lr, t) }) as Tensor[];
      params.forEach((param, i) => {
        param.assign(outs[3 * i]!);
        states[i]!["exp_avg"]!.assign(outs[3 * i + 1]!);
        states[i]!["exp_avg_sq"]!.assign(outs[3 * i + 2]!);
      });
      return true;
    },
    dispose: () => tf.dispose(Object.values(c)),
  };
}

/**
 * What one parameter's update holds, in tensors of the parameter's size: the state it keeps
 * (`slots`, as each rule's) and the tensors an update makes, all held until the step's `tidy`
 * ends (memory.ts counts both). Counted op by op from the rules above.
 */
export function updateFootprint(s: OptimizerSettings): { slots: number; temporaries: number } {
  const wd = s.wd !== 0;
  if (s.optimizer === "sgd") {
    // Weight decay: mul, add; momentum: mul, add (Nesterov: mul, add more); the step: mul, sub.
    const momentum = s.momentum !== 0 ? (s.nesterov ? 4 : 2) : 0;
    return { slots: s.momentum !== 0 ? 1 : 0, temporaries: (wd ? 2 : 0) + momentum + 2 };
  }
  // Weight decay: mul (adamw) or mul, add (adam); m: mul, mul, add; v: mul, mul, mul, add;
  // the denominator: sqrt, div, add; the step: div, mul, sub.
  return { slots: 2, temporaries: (wd ? (s.optimizer === "adamw" ? 1 : 2) : 0) + 13 };
}

const RULES: Record<OptimizerName, (tf: Tf, s: OptimizerSettings) => Rule> = {
  sgd,
  adam: (tf, s) => adam(tf, s, false),
  adamw: (tf, s) => adam(tf, s, true),
};

export interface Optimizer {
  /**
   * One step's update of every parameter, in place, inside the caller's `tidy`. A parameter with
   * no gradient (frozen: its gradient is known to be zero) is updated with a zero gradient, as
   * PyTorch updates it: weight decay and momentum still move it.
   */
  apply(grads: ReadonlyMap<Variable, Tensor>, lr: number): void;
  /** The state, by checkpoint name: `opt.<parameter>.<slot>` (e.g. `opt.03.conv.weight.momentum_buffer`) and `opt.step`. */
  state(): NamedTensorMap;
  /** Replaces the state (from a checkpoint); throws when a name or shape does not match. */
  setState(state: NamedTensorMap): void;
  dispose(): void;
}

/**
 * An optimizer over `params` (the trainable variables, by checkpoint name), its state all zeros;
 * with `kernels`, the update is the project's kernel where there is one.
 */
export function createOptimizer(tf: Tf, params: Readonly<Record<string, Variable>>, settings: OptimizerSettings, kernels = true): Optimizer {
  const rule = RULES[settings.optimizer](tf, settings);
  const zeros = (shape: number[]) => {
    const initial = tf.zeros(shape);
    const variable = tf.variable(initial, false);
    initial.dispose();
    return variable;
  };
  const slots = Object.fromEntries(Object.entries(params).map(([name, p]) => [name, Object.fromEntries(rule.slots.map((slot) => [slot, zeros(p.shape)]))]));
  const stepCount = rule.countsSteps ? zeros([]) : undefined;
  // The step count, mirrored here: reading the variable would wait for the backend.
  let t = 0;
  const named = (): Record<string, Variable> => {
    const out: Record<string, Variable> = {};
    for (const [name, state] of Object.entries(slots)) for (const [slot, v] of Object.entries(state)) out[`${STATE_PREFIX}${name}.${slot}`] = v;
    if (stepCount) out[STEP] = stepCount;
    return out;
  };

  return {
    apply(grads, lr) {
      t++;
      const names = Object.keys(params);
      const gradOf = (param: Variable) => grads.get(param) ?? tf.zerosLike(param);
      const fused = kernels && rule.updateAll?.(names.map((n) => params[n]!), names.map((n) => gradOf(params[n]!)), names.map((n) => slots[n]!), lr, t);
      if (!fused) {
        const step = rule.stepScalars(lr, t);
        for (const name of names) rule.update(params[name]!, gradOf(params[name]!), slots[name]!, step);
      }
      stepCount?.assign(tf.scalar(t));
    },
    state: named,
    setState(state) {
      const own = named();
      const problems = [
        ...Object.keys(own).filter((n) => !(n in state)).map((n) => `missing ${n}`),
        ...Object.keys(state).filter((n) => !(n in own)).map((n) => `unexpected ${n}`),
        ...Object.entries(own).filter(([n, v]) => n in state && state[n]!.shape.join("x") !== v.shape.join("x")).map(([n, v]) => `${n} is ${state[n]!.shape.join("×")}, the model needs ${v.shape.join("×")}`),
      ];
      if (problems.length > 0) throw new Error(`the optimizer state does not fit this model and optimizer (${settings.optimizer}): ${problems.join("; ")}`);
      for (const [n, v] of Object.entries(own)) v.assign(state[n]!);
      t = stepCount ? stepCount.dataSync()[0]! : 0;
    },
    dispose() {
      tf.dispose(Object.values(named()));
      rule.dispose();
    },
  };
}
