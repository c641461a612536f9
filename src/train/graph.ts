import type { NamedTensorMap, Scalar, Tensor, Tensor4D, Variable } from "@tensorflow/tfjs";
import { ACTIVATION, SOFTMAX_CROSS_ENTROPY } from "../kernels/names.js";
import { canUseKernel, isProblem, type BackwardResult, type BuildOptions, type ForwardResult, type LowerContext, type Shape, type Tf } from "../layers/types.js";
import type { LayerNode, Network, Node } from "../resolve.js";
import { Mulberry32 } from "../runtime/data.js";
import type { CompiledModel, StepTimer } from "./model.js";
import { weightName } from "./checkpoint-files.js";
import { createOptimizer, PLAIN_SGD, type OptimizerSettings } from "./optimizers.js";
import { foldForInference, freezeBiasBeforeNorm, fuseNormActivationPool } from "./passes.js";
import type { FoldedStep, LayerStep, MergeStep, Step } from "./steps.js";

/**
 * Lowering: a checked network becomes a static training graph. Every layer runs its registry
 * entry's forward; the backward pass walks the recorded steps in reverse, calling each entry's
 * explicit backward (or differentiating its forward with `tf.grads` where it has none), and the
 * optimizer (optimizers.ts) updates the parameters in place. No autodiff tape spans the whole network.
 */

/** What the forward pass keeps for the backward pass. */
type Record_ =
  | { step: LayerStep; x: Tensor; forward: ForwardResult }
  | { step: MergeStep; ys: Tensor[]; branches: Record_[][] };

class Builder {
  private layerIndex = 0;
  /** Every variable by its checkpoint name (`03.conv.weight`). */
  readonly all: Record<string, Variable> = {};

  constructor(
    private readonly tf: Tf,
    private readonly nextSeed: () => number,
  ) {}

  sequence(nodes: readonly Node[], input: Shape): { steps: Step[]; output: Shape } {
    const steps: Step[] = [];
    let shape = input;
    for (const node of nodes) {
      switch (node.kind) {
        case "invalid":
          throw new Error("internal: a model with errors reached the lowering");
        case "group": {
          const inner = this.sequence(node.children, shape);
          for (const step of inner.steps) steps.push(step);
          shape = inner.output;
          break;
        }
        case "layer": {
          const output = node.spec.outputShape(shape, node.args);
          if (isProblem(output)) throw new Error(`internal: unchecked shape error: ${output.problem}`);
          steps.push(this.layer(node, shape, output));
          shape = output;
          break;
        }
        case "merge": {
          const branches = node.branches.map((branch) => this.sequence(branch, shape));
          const output = node.spec.outputShape(branches.map((b) => b.output));
          if (isProblem(output)) throw new Error(`internal: unchecked shape error: ${output.problem}`);
          steps.push({ kind: "merge", node, spec: node.spec, branches: branches.map((b) => b.steps) });
          shape = output;
          break;
        }
      }
    }
    return { steps, output: shape };
  }

  private layer(node: LayerNode, input: Shape, output: Shape): LayerStep {
    const { tf } = this;
    const { spec, args } = node;
    const index = this.layerIndex++;
    const variables: Record<string, Variable> = {};
    for (const p of spec.lower.params?.(input, output, args) ?? []) {
      const initial =
        "uniform" in p.init
          ? tf.randomUniform(p.shape, -p.init.uniform, p.init.uniform, "float32", this.nextSeed())
          : "identity" in p.init
            ? tf.tidy(() => tf.broadcastTo(tf.eye(p.shape.at(-1)!), p.shape))
            : tf.fill(p.shape, p.init.constant);
      // Unnamed for tfjs, whose variable names are global to the process.
      const variable = tf.variable(initial, p.trainable);
      initial.dispose();
      variables[p.name] = variable;
      this.all[weightName(index, spec.name, p.name)] = variable;
    }
    return { kind: "layer", node, spec, args, variables };
  }
}

export interface CompileOptions extends BuildOptions {
  /** Seeds weight initialization and dropout masks. */
  seed: number;
  /** Run the compiler passes (default); without them the graph is the plain reference. */
  optimize?: boolean;
  /** The update rule (default: the seed's plain SGD). */
  optimizer?: OptimizerSettings;
}

export function compileModel(tf: Tf, network: Network, options: CompileOptions): CompiledModel {
  if (!network.input) throw new Error("internal: a model without input reached the lowering");
  const random = new Mulberry32(options.seed);
  const nextSeed = () => Math.floor(random.next() * 2 ** 31);
  const builder = new Builder(tf, nextSeed);
  const { steps } = builder.sequence(network.layers, network.input.shape);
  const optimize = options.optimize ?? true;
  const context = (training: boolean, kernels = optimize): LowerContext => ({ tf, training, bn: options.bn, nextSeed, kernels });
  const trainingSteps = optimize ? fuseNormActivationPool(freezeBiasBeforeNorm(steps), context(true)) : steps;
  const inferenceSteps = optimize ? foldForInference(steps) : steps;
  const variables = builder.all;
  const trainable = Object.fromEntries(Object.entries(variables).filter(([, v]) => v.trainable));
  const optimizer = createOptimizer(tf, trainable, options.optimizer ?? PLAIN_SGD, optimize);

  function forward(sequence: readonly Step[], x: Tensor, ctx: LowerContext, records: Record_[] | null, timer?: StepTimer): Tensor {
    for (const step of sequence) {
      if (step.kind === "merge") {
        const branches: Record_[][] = [];
        const ys = step.branches.map((branch) => {
          const branchRecords: Record_[] = [];
          branches.push(branchRecords);
          return forward(branch, x, ctx, records && branchRecords, timer);
        });
        records?.push({ step, ys, branches });
        x = step.spec.merge(ctx, ys);
        timer?.lap({ phase: "forward", node: step.node }, x);
        continue;
      }
      if (step.kind === "folded") {
        x = foldedForward(ctx, step, x);
        continue;
      }
      const result = (step.lower ?? step.spec.lower).forward(ctx, x, step.variables, step.args);
      for (const [name, value] of Object.entries(result.state ?? {})) step.variables[name]!.assign(value);
      records?.push({ step, x, forward: result });
      x = result.y;
      timer?.lap({ phase: "forward", node: step.node }, x);
    }
    return x;
  }

  /**
   * Inference frees each activation as soon as the next exists, so memory peaks at a few
   * layers' activations rather than the whole network's (a 96×96 DenseNet needs this).
   */
  function infer(sequence: readonly Step[], input: Tensor, ctx: LowerContext): Tensor {
    let x = input;
    for (const step of sequence) {
      let next: Tensor;
      if (step.kind === "merge") {
        const ys = step.branches.map((branch) => infer(branch, x, ctx));
        next = step.spec.merge(ctx, ys);
        for (const y of ys) if (y !== x && y !== next) y.dispose();
      } else if (step.kind === "folded") {
        next = foldedForward(ctx, step, x);
      } else {
        next = (step.lower ?? step.spec.lower).forward(ctx, x, step.variables, step.args).y;
      }
      if (x !== input && x !== next) x.dispose();
      x = next;
    }
    return x;
  }

  /**
   * An affine layer with BN folded into its weights, then its activation and pooling: inference
   * only. The project's activation kernel takes the sigmoid (which its convolution does not
   * fuse) and the pooling in one pass; otherwise tfjs fuses the activation and pools after.
   */
  function foldedForward(ctx: LowerContext, { affine, norm, activation, pool2 }: FoldedStep, x: Tensor): Tensor {
    const lower = affine.spec.lower;
    let weight: Tensor = affine.variables["weight"]!;
    let bias: Tensor = affine.variables["bias"] ?? tf.zeros([weight.shape.at(-1)!]);
    if (norm) {
      // BN(x⊛W + b) = x⊛(W·scale) + (b·scale + shift), scale on the output-channel axis.
      const { scale, shift } = norm.spec.lower.inferenceScaleShift!(ctx, norm.variables, norm.args);
      weight = tf.mul(weight, scale);
      bias = tf.add(tf.mul(bias, scale), shift);
    }
    if ((activation === "sigmoid" || pool2) && canUseKernel(ctx, ACTIVATION)) {
      const y = lower.affine!(ctx, x, weight, bias, affine.args, activation === "relu" ? "relu" : "linear");
      const [activated, pooled] = tf.engine().runKernel(ACTIVATION, { x: y }, { act: activation === "sigmoid" ? "sigmoid" : "none", pool: pool2 ? 2 : 0 }) as Tensor[];
      return keepLast(y, activated!, pooled);
    }
    const y = lower.affine!(ctx, x, weight, bias, affine.args, activation ?? "linear");
    return pool2 ? keepLast(y, tf.avgPool(y as Tensor4D, 2, 2, "valid")) : y;
  }

  /** The last of a chain of tensors; the ones before it are freed (inference keeps few alive). */
  function keepLast(...chain: (Tensor | undefined)[]): Tensor {
    const present = chain.filter((t) => t !== undefined);
    for (const t of present.slice(0, -1)) t.dispose();
    return present.at(-1)!;
  }

  /** The layer's explicit backward, or its forward differentiated by tfjs. Frozen parameters get none. */
  function layerBackward(ctx: LowerContext, step: LayerStep, x: Tensor, result: ForwardResult, dy: Tensor, needDx: boolean): BackwardResult {
    const params = step.frozen ? Object.fromEntries(Object.entries(step.variables).filter(([n]) => !step.frozen!.has(n))) : step.variables;
    const lower = step.lower ?? step.spec.lower;
    if (lower.backward) return lower.backward(ctx, dy, x, result, params, step.args, needDx);
    const names = Object.keys(params).filter((n) => step.variables[n]!.trainable);
    const f = (input: Tensor, ...params: Tensor[]) => {
      const bound: Record<string, Tensor> = { ...step.variables };
      names.forEach((n, i) => (bound[n] = params[i]!));
      return lower.forward(ctx, input, bound, step.args).y;
    };
    const [dx, ...dParams] = tf.grads(f)([x, ...names.map((n) => step.variables[n]!)], dy);
    return { dx: dx!, grads: Object.fromEntries(names.map((n, i) => [n, dParams[i]!])) };
  }

  /** Walks the records in reverse, collecting parameter gradients; returns the input's gradient. */
  function backward(records: readonly Record_[], dy: Tensor, ctx: LowerContext, grads: Map<Variable, Tensor>, needInputGrad: boolean, timer?: StepTimer): Tensor | undefined {
    let gradient: Tensor | undefined = dy;
    for (let i = records.length - 1; i >= 0 && gradient; i--) {
      const record = records[i]!;
      const needDx = i > 0 || needInputGrad;
      if ("forward" in record) {
        const result = layerBackward(ctx, record.step, record.x, record.forward, gradient, needDx);
        for (const [name, g] of Object.entries(result.grads)) grads.set(record.step.variables[name]!, g);
        gradient = result.dx;
        timer?.lap({ phase: "backward", node: record.step.node }, gradient ?? Object.values(result.grads)[0] ?? dy);
      } else {
        const parts = record.step.spec.split(ctx, gradient, record.ys);
        timer?.lap({ phase: "backward", node: record.step.node }, parts[0]!);
        const dxs = record.branches.map((branch, b) => backward(branch, parts[b]!, ctx, grads, needDx, timer) ?? parts[b]!);
        gradient = needDx ? tf.addN(dxs) : undefined;
        if (gradient) timer?.lap({ phase: "backward", node: record.step.node }, gradient);
      }
    }
    return gradient;
  }

  function crossEntropy(logits: Tensor, labels: Tensor) {
    const logProbs = tf.logSoftmax(logits);
    const oneHot = tf.oneHot(labels, logits.shape[1]!);
    return { loss: tf.div(tf.neg(tf.sum(tf.mul(oneHot, logProbs))), labels.shape[0]!) as Scalar, logProbs, oneHot };
  }

  function countCorrectOf(logits: Tensor, labels: Tensor): Scalar {
    return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "int32")) as Scalar;
  }

  /** The loss, its gradient and the correct count: one kernel of netc's where it may run, else tfjs ops. */
  function lossAndGradient(ctx: LowerContext, logits: Tensor, labels: Tensor): { loss: Scalar; dLogits: Tensor; correct: Scalar } {
    if (canUseKernel(ctx, SOFTMAX_CROSS_ENTROPY)) {
      const [loss, dLogits, correct] = tf.engine().runKernel(SOFTMAX_CROSS_ENTROPY, { logits, labels }) as Tensor[];
      return { loss: loss as Scalar, dLogits: dLogits!, correct: correct as Scalar };
    }
    // Softmax cross-entropy's gradient is (softmax − one-hot)/N.
    const { loss, logProbs, oneHot } = crossEntropy(logits, labels);
    return { loss, dLogits: tf.div(tf.sub(tf.exp(logProbs), oneHot), labels.shape[0]!), correct: countCorrectOf(logits, labels) };
  }

  return {
    trainStep(images, labels, lr, timer) {
      return tf.tidy(() => {
        const ctx = context(true);
        const records: Record_[] = [];
        const logits = forward(trainingSteps, images, ctx, records, timer);
        const { loss, dLogits, correct } = lossAndGradient(ctx, logits, labels);
        timer?.lap({ phase: "loss" }, dLogits);
        const grads = new Map<Variable, Tensor>();
        backward(records, dLogits, ctx, grads, false, timer);
        optimizer.apply(grads, lr);
        // The update assigns every parameter in place; the last one assigned marks its end.
        if (timer) timer.lap({ phase: "update" }, Object.values(trainable).at(-1) ?? loss);
        return { loss, correct };
      });
    },
    trainingLoss(images, labels) {
      // The unoptimized steps on tfjs ops: the project's kernels have no tfjs gradient.
      return tf.tidy(() => crossEntropy(forward(steps, images, context(true, false), null), labels).loss);
    },
    predict(images) {
      return tf.tidy(() => infer(inferenceSteps, images, context(false)));
    },
    countCorrect(images, labels) {
      return tf.tidy(() => countCorrectOf(infer(inferenceSteps, images, context(false)), labels));
    },
    get randomState() {
      return random.state;
    },
    set randomState(state: number) {
      random.state = state;
    },
    weights(): NamedTensorMap {
      return { ...variables };
    },
    setWeights(weights) {
      const expected = Object.keys(variables).sort();
      const given = Object.keys(weights).sort();
      const missing = expected.filter((n) => !(n in weights));
      const extra = given.filter((n) => !(n in variables));
      if (missing.length || extra.length) throw new Error(`the weights do not fit this model: ${[missing.length ? `missing ${missing.join(", ")}` : "", extra.length ? `unexpected ${extra.join(", ")}` : ""].filter(Boolean).join("; ")}`);
      for (const name of expected) {
        const v = variables[name]!;
        const w = weights[name]!;
        if (v.shape.join("x") !== w.shape.join("x")) throw new Error(`the weights do not fit this model: ${name} is ${w.shape.join("×")}, the model needs ${v.shape.join("×")}`);
      }
      for (const name of expected) variables[name]!.assign(weights[name]!);
    },
    optimizerState: () => optimizer.state(),
    setOptimizerState: (state) => optimizer.setState(state),
    dispose() {
      for (const v of Object.values(variables)) v.dispose();
      optimizer.dispose();
    },
  };
}
