/**
 * `netc time FILE` (Caffe's `caffe time`): training steps on random data of the model's input
 * shape, timed layer by layer. It is what netc's kernels are optimised with, and what a user
 * chooses a batch size with. Loaded by cli.ts with a dynamic import, as `netc train` is.
 */
import type { Tensor } from "@tensorflow/tfjs";
import type { Shape } from "../layers/types.js";
import { pyFixed, thousands } from "../numbers.js";
import type { LayerNode, Network, Node } from "../resolve.js";
import { backendMemoryBytes, stopBackend, type BackendChoice, type Tf } from "../runtime/backend.js";
import { columns, layerLabel, withBatch } from "../shape-table.js";
import type { ShapeReport } from "../shapes.js";
import type { SourceFile } from "../source.js";
import { resolveSettings, type OptimizerName } from "../train-settings.js";
import type { CompiledModel, StepPart, StepTimer } from "./model.js";
import { checkMemory } from "./memory.js";
import { checkModel, loadCompile, readModel, startBackend, type Bn, type Deps } from "./setup.js";

export interface TimeFlags {
  batch?: number;
  bn: Bn;
  backend: BackendChoice;
  threads?: number;
  steps: number;
  warmup: number;
  format: "human" | "json";
  seed: number;
}

/** Milliseconds summed over the timed steps. */
interface Times {
  forward: number;
  backward: number;
}

/**
 * Collects the laps of timed steps. netc's backends (wasm, tfjs-node, cpu) run each kernel to
 * completion before the op returns, so the clock at a lap is the end of that part: the lap
 * does not need to read `output` (on wasm a read would copy the tensor out of the heap).
 */
class LapTimer implements StepTimer {
  readonly byNode = new Map<Node, Times>();
  loss = 0;
  update = 0;
  /** Highest tensor memory seen at a lap (tfjs's count of live tensor bytes). */
  peakBytes = 0;
  private last = 0;

  constructor(private readonly tf: Tf) {}

  start(): void {
    this.last = performance.now();
  }

  lap(part: StepPart): void {
    const now = performance.now();
    const ms = now - this.last;
    this.last = now;
    this.peakBytes = Math.max(this.peakBytes, this.tf.memory().numBytes);
    if (!("node" in part)) {
      this[part.phase] += ms;
    } else {
      const times = this.byNode.get(part.node) ?? { forward: 0, backward: 0 };
      times[part.phase] += ms;
      this.byNode.set(part.node, times);
    }
  }
}

export interface TimedRow {
  line: number;
  depth: number;
  layer: string;
  torch?: string;
  kind: "layer" | "group";
  output: number[] | null;
  /** Mean milliseconds per step; null for a layer fused into the one before it. */
  forwardMs: number | null;
  backwardMs: number | null;
  /** Of the whole step's time. */
  share: number | null;
  /** Floating-point operations per second reached, for conv and linear layers. */
  forwardGflops: number | null;
  backwardGflops: number | null;
  /** Runs inside the layer before it (a fused lowering), so has no time of its own. */
  fused: boolean;
}

export interface TimeReport {
  version: 1;
  model: string;
  file: string;
  backend: string;
  bn: Bn;
  optimizer: OptimizerName;
  batch: number;
  warmup: number;
  steps: number;
  layers: TimedRow[];
  lossMs: number;
  updateMs: number;
  /** What no lap covers: tfjs's tidy-up of the step's tensors and reading the loss. */
  otherMs: number;
  stepMs: { mean: number; median: number; min: number };
  /** CPU time per step, all threads: less than stepMs × threads when other load takes the cores. */
  cpuMs: number;
  examplesPerSec: number;
  /** Conv and linear multiply-adds ×2, forward and backward, per step, as a direct product does them. */
  gflopPerStep: number;
  memory: { peakTensorBytes: number; backendBytes: number | null };
}

/** Layers that get no input gradient: the first of the network (and of branches it starts with). */
function firstLayers(nodes: readonly Node[]): LayerNode[] {
  const first = nodes[0];
  if (!first) return [];
  if (first.kind === "layer") return [first];
  if (first.kind === "group") return firstLayers(first.children);
  if (first.kind === "merge") return first.branches.flatMap(firstLayers);
  return [];
}

/** Forward and backward floating-point operations of a conv or linear layer on a batch. */
function layerFlops(node: LayerNode, macs: number, batch: number, noInputGradient: ReadonlySet<Node>): { forward: number; backward: number } | undefined {
  if (!node.spec.lower.affine) return undefined;
  const forward = 2 * macs * batch;
  // The filter (or weight) gradient, and the input gradient unless it is the first layer.
  return { forward, backward: noInputGradient.has(node) ? forward : 2 * forward };
}

export function timeRows(network: Network, shapes: ShapeReport, source: SourceFile, byNode: ReadonlyMap<Node, Times>, steps: number, stepMs: number, batch: number): TimedRow[] {
  const noInputGradient = new Set<Node>(firstLayers(network.layers));
  const perStep = (ms: number) => ms / steps;
  // Each row's own time: a layer's, or a merge's add or concat.
  const own = shapes.rows.map((r) => (r.node ? byNode.get(r.node) : undefined));
  const rows: TimedRow[] = shapes.rows.map((r, i) => {
    const times = own[i];
    const flops = r.leaf && r.node?.kind === "layer" ? layerFlops(r.node, r.macs, batch, noInputGradient) : undefined;
    const forwardMs = times ? perStep(times.forward) : r.leaf ? null : 0;
    const backwardMs = times ? perStep(times.backward) : r.leaf ? null : 0;
    return {
      line: source.position(r.span.start).line,
      depth: r.depth,
      layer: r.label,
      ...(r.torchName ? { torch: r.torchName } : {}),
      kind: r.leaf ? "layer" : "group",
      output: r.output ? withBatch(r.output, batch) : null,
      forwardMs,
      backwardMs,
      share: null,
      forwardGflops: flops && forwardMs ? flops.forward / forwardMs / 1e6 : null,
      backwardGflops: flops && backwardMs ? flops.backward / backwardMs / 1e6 : null,
      fused: r.leaf && !times,
    };
  });
  // A group's time is its own plus that of every row nested in it.
  rows.forEach((row, i) => {
    if (row.kind !== "group") return;
    for (let j = i + 1; j < rows.length && rows[j]!.depth > row.depth; j++) {
      row.forwardMs! += perStep(own[j]?.forward ?? 0);
      row.backwardMs! += perStep(own[j]?.backward ?? 0);
    }
  });
  for (const row of rows) if (row.forwardMs !== null) row.share = (row.forwardMs + row.backwardMs!) / stepMs;
  return rows;
}

function totalFlops(network: Network, shapes: ShapeReport, batch: number): number {
  const noInputGradient = new Set<Node>(firstLayers(network.layers));
  let total = 0;
  for (const r of shapes.rows) {
    if (!r.leaf || r.node?.kind !== "layer") continue;
    const flops = layerFlops(r.node, r.macs, batch, noInputGradient);
    if (flops) total += flops.forward + flops.backward;
  }
  return total;
}

function randomBatch(tf: Tf, input: Shape, classes: number, batch: number, seed: number): { x: Tensor; y: Tensor } {
  // NHWC for images, as the training loop feeds them.
  const shape = input.length === 3 ? [batch, input[1]!, input[2]!, input[0]!] : [batch, ...input];
  return { x: tf.randomUniform(shape, 0, 1, "float32", seed), y: tf.randomUniform([batch], 0, classes, "int32", seed + 1) };
}

/** Runs the steps and measures them; the model is the caller's. */
export function measureSteps(tf: Tf, model: CompiledModel, x: Tensor, y: Tensor, lr: number, warmup: number, steps: number, onStep?: (done: number) => void) {
  const step = (timer?: LapTimer) => {
    const { loss, correct } = model.trainStep(x, y, lr, timer);
    loss.dataSync();
    tf.dispose([loss, correct]);
  };
  for (let i = 0; i < warmup; i++) {
    step();
    onStep?.(i + 1);
  }
  const timer = new LapTimer(tf);
  const stepMs: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    timer.start();
    step(timer);
    stepMs.push(performance.now() - t0);
    onStep?.(warmup + i + 1);
  }
  const cpu = process.cpuUsage(cpu0);
  return { timer, stepMs, cpuMs: (cpu.user + cpu.system) / 1000 / steps };
}

export async function timeCommand(path: string, flags: TimeFlags, deps: Deps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const bytes = await readModel(path);
  const { network, checked } = checkModel(path, bytes, flags.bn);
  const { shapes, source } = checked;
  const settings = resolveSettings(network.train, { batch: flags.batch });
  const batch = settings.batch;
  const compile = await loadCompile(deps);
  const backend = await startBackend(flags.backend, flags.threads);
  const { tf } = backend;
  let model: CompiledModel | undefined;
  let data: { x: Tensor; y: Tensor } | undefined;
  try {
    // Refused before anything is allocated when it cannot fit, as `netc train` refuses it.
    checkMemory(network, shapes, batch, backend.name, { mode: "train", bn: flags.bn, optimizer: settings });
    // The header's optimizer, as `netc train` would run it: its update is part of the step.
    model = compile(tf, network, { bn: flags.bn, seed: flags.seed, optimizer: settings });
    data = randomBatch(tf, network.input!.shape, shapes.output![0]!, batch, flags.seed);
    const total = flags.warmup + flags.steps;
    stderr.write(`timing ${network.name} (batch ${batch}, bn ${flags.bn}): ${flags.warmup} warm-up + ${flags.steps} timed steps on random data\n`);
    const tty = Boolean((stderr as NodeJS.WriteStream).isTTY);
    const { timer, stepMs, cpuMs } = measureSteps(tf, model, data.x, data.y, settings.lr, flags.warmup, flags.steps, tty ? (done) => stderr.write(`\rstep ${done}/${total}`) : undefined);
    if (tty) stderr.write("\r\x1b[K");

    const sorted = [...stepMs].sort((a, b) => a - b);
    const mean = stepMs.reduce((a, b) => a + b, 0) / stepMs.length;
    const layers = timeRows(network, shapes, source, timer.byNode, flags.steps, mean, batch);
    const lapped = [...timer.byNode.values()].reduce((sum, t) => sum + t.forward + t.backward, 0) / flags.steps;
    const lossMs = timer.loss / flags.steps;
    const updateMs = timer.update / flags.steps;
    const report: TimeReport = {
      version: 1,
      model: network.name,
      file: path,
      backend: backend.description,
      bn: flags.bn,
      optimizer: settings.optimizer,
      batch,
      warmup: flags.warmup,
      steps: flags.steps,
      layers,
      lossMs,
      updateMs,
      otherMs: mean - lapped - lossMs - updateMs,
      stepMs: { mean, median: sorted[sorted.length >> 1]!, min: sorted[0]! },
      cpuMs,
      examplesPerSec: (batch * 1000) / mean,
      gflopPerStep: totalFlops(network, shapes, batch) / 1e9,
      memory: { peakTensorBytes: timer.peakBytes, backendBytes: backendMemoryBytes(backend) ?? null },
    };
    stdout.write(flags.format === "json" ? JSON.stringify(report, null, 2) + "\n" : renderTimeReport(report, shapes) + "\n");
    return 0;
  } finally {
    if (data) tf.dispose([data.x, data.y]);
    model?.dispose();
    stopBackend(backend);
  }
}

const ms = (v: number | null) => (v === null ? "" : pyFixed(v, 2));
const gflops = (v: number | null) => (v === null ? "--" : pyFixed(v, 1));
const megabytes = (bytes: number) => `${thousands(bytes / 2 ** 20)} MiB`;

export function renderTimeReport(r: TimeReport, shapes: ShapeReport): string {
  const header = ["Line", "Layer (type)", "Output Shape", "Forward ms", "Backward ms", "Share", "GFLOP/s fwd", "bwd"];
  const body = r.layers.map((row, i) => [
    String(row.line),
    layerLabel(shapes.rows[i]!),
    row.output ? `[${row.output.join(", ")}]` : "?",
    row.fused ? "(fused)" : ms(row.forwardMs),
    ms(row.backwardMs),
    row.share === null ? "" : `${pyFixed(100 * row.share, 1)}%`,
    gflops(row.forwardGflops),
    gflops(row.backwardGflops),
  ]);
  const [head, ...lines] = columns([header, ...body], ["right", "left", "left", "right", "right", "right", "right", "right"]);
  const rule = "=".repeat(Math.max(60, head!.length));
  const step = r.stepMs;
  const rest = (v: number) => `${pyFixed(v, 2)} ms (${pyFixed((100 * v) / step.mean, 1)}%)`;
  const fused = r.layers.some((l) => l.fused) ? ["(fused): runs inside the layer above it, whose time includes it"] : [];
  return [
    `Model: ${r.model}   input: [${withBatch(shapes.input ?? [], r.batch).join(", ")}]   bn ${r.bn}`,
    `${r.backend}`,
    `${r.steps} steps after ${r.warmup} warm-up, on random data; times are means per step`,
    rule,
    head,
    rule,
    ...lines,
    rule,
    `Loss and its gradient: ${rest(r.lossMs)}; ${r.optimizer} update: ${rest(r.updateMs)}; other (freeing the step's tensors): ${rest(r.otherMs)}`,
    ...fused,
    `Step: ${pyFixed(step.mean, 1)} ms (median ${pyFixed(step.median, 1)}, fastest ${pyFixed(step.min, 1)}), ${pyFixed(r.cpuMs, 1)} ms of CPU time   ${pyFixed(r.examplesPerSec, 1)} examples/sec`,
    `Conv and linear: ${pyFixed(r.gflopPerStep, 2)} GFLOP per step, ${pyFixed((r.gflopPerStep * 1000) / step.mean, 1)} GFLOP/s over the whole step (a direct product's count: Winograd's 3×3 and 5×5 layers do fewer)`,
    `Peak memory: ${megabytes(r.memory.peakTensorBytes)} of tensors${r.memory.backendBytes !== null ? `; backend heap ${megabytes(r.memory.backendBytes)}` : ""}`,
    rule,
  ].join("\n");
}
