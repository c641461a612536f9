/**
 * `netc inspect RUN_DIR`: what training learned. Statistics of every saved tensor, and each
 * normalization layer's gamma, beta and moving statistics, located by the layer's line in the
 * model as `netc shapes` shows it. The weights are decoded straight from `weights.bin`
 * (float32, little-endian, in the manifest's order), so no TensorFlow.js backend starts.
 */
import { UserError } from "../errors.js";
import { pyFixed, thousands } from "../numbers.js";
import type { LayerNode, Node } from "../resolve.js";
import { figureSvg, PALETTE, type Figure, type Panel } from "../runtime/plot.js";
import { writeSvgPng } from "../runtime/svg-files.js";
import { columns } from "../shape-table.js";
import { resolveSettings, updateSummary } from "../train-settings.js";
import { readCheckpoint, type LoadedCheckpoint } from "./checkpoint.js";
import { isOptimizerState } from "./optimizers.js";
import { checkModel } from "./setup.js";

export interface InspectFlags {
  format: "human" | "json";
  plot?: boolean;
}

/** Vectors of this many values or fewer are printed whole. */
const MAX_LISTED = 8;

/** |x| below this counts as near zero. */
export const NEAR_ZERO = 1e-3;

/** Where a layer is: its place in the lowering (the `NN` of `NN.kind.param`) and in the source. */
interface LayerPlace {
  index: number;
  kind: string;
  torch?: string;
  line: number;
  column: number;
}

interface TensorStats {
  name: string;
  layer: LayerPlace;
  param: string;
  trainable: boolean;
  shape: number[];
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  /** Fraction of values with |x| < NEAR_ZERO. */
  nearZero: number;
  /** The value every element started from, for constant-initialized tensors (gamma 1, beta 0). */
  initial?: number;
}

/** The vectors of a normalization layer (those it has: `affine=false` has no gamma and beta). */
interface NormLayer {
  layer: LayerPlace;
  /** The layer's channels (or features); `layernorm`'s vectors have a value per element. */
  channels: number;
  gamma?: number[];
  beta?: number[];
  movingMean?: number[];
  movingVar?: number[];
}

export interface Inspection {
  run: string;
  model: string;
  epoch: number;
  batch: number;
  tensors: TensorStats[];
  norms: NormLayer[];
  totals: { trainable: number; state: number };
}

const NORM_VECTORS = { gamma: "gamma", beta: "beta", moving_mean: "movingMean", moving_var: "movingVar" } as const;

export async function inspectCommand(runDir: string, flags: InspectFlags, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const ckpt = await readCheckpoint(runDir);
  const inspection = inspect(runDir, ckpt);
  if (flags.format === "json") stdout.write(JSON.stringify(inspectionJson(inspection, ckpt), null, 2) + "\n");
  else stdout.write(inspectionText(inspection, ckpt) + "\n");
  if (flags.plot) {
    const norms = inspection.norms.filter((n) => n.gamma || n.beta);
    if (!norms.length) throw new UserError(`${inspection.model} has no normalization layer with gamma or beta to draw`);
    const paths = await writeSvgPng(runDir, "inspect", figureSvg(histogramFigure(inspection, ckpt)));
    stderr.write(`saved ${paths.svg}, ${paths.png}\n`);
  }
  return 0;
}

/** The statistics of every tensor of a checkpoint, mapped back to the layers of its `model.net`. */
export function inspect(runDir: string, ckpt: LoadedCheckpoint): Inspection {
  const meta = ckpt.json.netc;
  const { checked } = checkModel(ckpt.sourcePath, ckpt.source, meta.bn);
  const rows = checked.shapes.rows.filter((r) => r.leaf);
  const nodes = layersInLoweringOrder(checked.network.layers);
  const places = rows.map((row, index): LayerPlace => {
    const at = checked.source.position(row.span.start);
    return { index, kind: row.label, ...(row.torchName ? { torch: row.torchName } : {}), line: at.line, column: at.column };
  });
  const mismatch = (what: string) =>
    new UserError(`the weights in ${ckpt.dir} do not fit ${ckpt.sourcePath}: ${what}`, ["the checkpoint was saved by a netc that named its weights differently"]);

  const view = new DataView(ckpt.weightsData);
  let offset = 0;
  const tensors: TensorStats[] = [];
  const norms = new Map<number, NormLayer>();
  for (const entry of ckpt.json.weightsManifest[0]!.weights) {
    const count = entry.shape.reduce((a, b) => a * b, 1);
    // The optimizer's state (momentum buffers, Adam's moments) is how training went on, not what it learned.
    if (isOptimizerState(entry.name)) {
      offset += count * (entry.dtype === "bool" ? 1 : 4);
      continue;
    }
    const values = new Float64Array(count);
    if (entry.dtype !== "float32") throw mismatch(`${entry.name} is ${entry.dtype}, not float32`);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
    offset += 4 * count;

    const m = /^(\d+)\.([a-z]\w*)\.(\w+)$/.exec(entry.name);
    const index = m ? Number(m[1]) : -1;
    const node = nodes[index];
    const row = rows[index];
    if (!m || !node || !row || node.spec.name !== m[2]) throw mismatch(`no layer ${m ? `${m[2]} at position ${index}` : `for ${entry.name}`}`);
    const param = m[3]!;
    const spec = (row.input && row.output ? node.spec.lower.params?.(row.input, row.output, node.args) : undefined)?.find((p) => p.name === param);
    if (!spec) throw mismatch(`${node.spec.name} has no parameter ${param}`);
    const initial = "constant" in spec.init ? { initial: spec.init.constant } : {};
    tensors.push({ name: entry.name, layer: places[index]!, param, trainable: spec.trainable, shape: entry.shape, count, ...stats(values), ...initial });

    if (param in NORM_VECTORS) {
      const norm = norms.get(index) ?? { layer: places[index]!, channels: row.output?.[0] ?? count };
      norm[NORM_VECTORS[param as keyof typeof NORM_VECTORS]] = Array.from(values);
      norms.set(index, norm);
    }
  }
  const sum = (trainable: boolean) => tensors.filter((t) => t.trainable === trainable).reduce((a, t) => a + t.count, 0);
  return {
    run: runDir,
    model: meta.model,
    epoch: meta.epoch,
    batch: meta.batch,
    tensors,
    norms: [...norms.values()],
    totals: { trainable: sum(true), state: sum(false) },
  };
}

/** The layers in the order the lowering numbers them: blocks expanded, branches one after another. */
function layersInLoweringOrder(nodes: readonly Node[], out: LayerNode[] = []): LayerNode[] {
  for (const node of nodes) {
    if (node.kind === "layer") out.push(node);
    else if (node.kind === "group") layersInLoweringOrder(node.children, out);
    else if (node.kind === "merge") for (const branch of node.branches) layersInLoweringOrder(branch, out);
  }
  return out;
}

function stats(values: Float64Array): Pick<TensorStats, "mean" | "std" | "min" | "max" | "nearZero"> {
  const n = values.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  let near = 0;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (Math.abs(v) < NEAR_ZERO) near++;
  }
  const mean = sum / n;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, std: Math.sqrt(squares / n), min, max, nearZero: near / n };
}

/** Four decimals: weights and statistics are mostly between -10 and 10. */
function fixed(v: number): string {
  return pyFixed(v, 4);
}

function place(p: LayerPlace): string {
  return `${p.kind}${p.torch ? ` (${p.torch})` : ""}`;
}

function checkpointLine(ins: Inspection, ckpt: LoadedCheckpoint): string {
  const s = ckpt.json.netc.settings;
  const at = ins.batch > 0 ? `epoch ${ins.epoch} + ${ins.batch} batches` : `epoch ${ins.epoch}`;
  // Defaults fill in what a checkpoint older than the optimizers did not record.
  return `${ins.run}, ${at} of ${s.epochs} (${updateSummary(resolveSettings(s))}, batch ${s.batch}, bn ${ckpt.json.netc.bn}, seed ${s.seed})`;
}

export function inspectionText(ins: Inspection, ckpt: LoadedCheckpoint): string {
  const header = ["Line", "Layer (type)", "Tensor", "Shape", "Count", "Mean", "Std", "Min", "Max", `|x|<${NEAR_ZERO}`];
  let previous = -1;
  const rows = ins.tensors.map((t) => {
    const first = t.layer.index !== previous;
    previous = t.layer.index;
    return [
      first ? String(t.layer.line) : "",
      first ? place(t.layer) : "",
      `${t.name}${t.trainable ? "" : " (state)"}`,
      `[${t.shape.join(", ")}]`,
      thousands(t.count),
      fixed(t.mean),
      fixed(t.std),
      fixed(t.min),
      fixed(t.max),
      `${(100 * t.nearZero).toFixed(1)}%`,
    ];
  });
  const out = [`${ins.model}: ${checkpointLine(ins, ckpt)}`, "", ...columns([header, ...rows], ["right", "left", "left", "left", "right", "right", "right", "right", "right", "right"])];
  out.push(`Parameters: ${thousands(ins.totals.trainable)} trainable, ${thousands(ins.totals.state)} state (moving statistics)`);
  if (ins.norms.length) {
    // Only what the layers have: `affine=false` learns no gamma and beta, `track=false` keeps no moving statistics.
    const roles = [
      ins.norms.some((n) => n.gamma) ? "gamma and beta are learned" : "",
      ins.norms.some((n) => n.movingMean) ? "the moving mean and variance normalize at inference" : "",
    ].filter(Boolean);
    out.push("", `Normalization layers${roles.length ? `: ${roles.join("; ")}` : ""}`);
    const normHeader = ["Line", "Layer (type)", "Channels", "Vector", "Size", "Mean", "Std", "Min", "Max", "Values"];
    const normRows: string[][] = [];
    for (const n of ins.norms) {
      const vectors = (["gamma", "beta", "movingMean", "movingVar"] as const).filter((k) => n[k]);
      vectors.forEach((k, i) => {
        const v = n[k]!;
        const s = stats(Float64Array.from(v));
        normRows.push([
          i === 0 ? String(n.layer.line) : "",
          i === 0 ? place(n.layer) : "",
          i === 0 ? String(n.channels) : "",
          { gamma: "gamma", beta: "beta", movingMean: "moving mean", movingVar: "moving var" }[k],
          thousands(v.length),
          fixed(s.mean),
          fixed(s.std),
          fixed(s.min),
          fixed(s.max),
          v.length <= MAX_LISTED ? v.map((x) => pyFixed(x, 2)).join(" ") : "",
        ]);
      });
    }
    out.push(...columns([normHeader, ...normRows], ["right", "left", "right", "left", "right", "right", "right", "right", "right", "left"]));
    if (normRows.some((r) => r[9] === "")) out.push(`(values listed up to ${MAX_LISTED}; \`--format json\` has them all, \`--plot\` draws gamma's and beta's histograms)`);
  }
  return out.join("\n");
}

export function inspectionJson(ins: Inspection, ckpt: LoadedCheckpoint) {
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  const meta = ckpt.json.netc;
  return {
    format: "netc-inspect",
    version: 1,
    run: ins.run,
    model: ins.model,
    checkpoint: { epoch: ins.epoch, batch: ins.batch, settings: { ...meta.settings, bn: meta.bn }, backend: meta.backend },
    nearZero: NEAR_ZERO,
    tensors: ins.tensors.map((t) => ({ ...t, mean: finite(t.mean), std: finite(t.std), min: finite(t.min), max: finite(t.max) })),
    normalization: ins.norms.map((n) => ({
      layer: n.layer,
      channels: n.channels,
      ...Object.fromEntries((["gamma", "beta", "movingMean", "movingVar"] as const).filter((k) => n[k]).map((k) => [k, n[k]!.map(finite)])),
    })),
    totals: ins.totals,
  };
}

/** Histograms of every normalization layer's gamma and beta, one small panel each, a row per layer. */
export function histogramFigure(ins: Inspection, ckpt: LoadedCheckpoint): Figure {
  const panels: Panel[] = [];
  for (const n of ins.norms) {
    for (const [k, colour] of [["gamma", PALETTE[0]!], ["beta", PALETTE[1]!]] as const) {
      const values = n[k];
      if (!values) continue;
      const initial = ins.tensors.find((t) => t.layer.index === n.layer.index && t.param === k)?.initial;
      panels.push({ ...histogram(values.filter(Number.isFinite), initial), title: `line ${n.layer.line} ${n.layer.kind}: ${k}, ${thousands(values.length)} ${values.length === n.channels ? "channels" : "values"}`, barColor: colour });
    }
  }
  return { title: `${ins.model}: normalization gamma and beta`, subtitle: checkpointLine(ins, ckpt), columns: 2, cellWidth: 400, cellHeight: 230, panels };
}

/** A histogram panel with the Rice rule's bin count (2·n^⅓, at least 5), and where the values started. */
function histogram(values: number[], initial: number | undefined): Panel {
  const bins = Math.max(5, Math.ceil(2 * Math.cbrt(values.length)));
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!(hi - lo > 1e-9 * Math.max(1, Math.abs(lo)))) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const from = Math.min(lo, initial ?? lo);
  const to = Math.max(hi, initial ?? hi);
  const pad = (to - from) * 0.04;
  return {
    x: { domain: [from - pad, to + pad] },
    ...(initial !== undefined ? { marks: [{ x: initial, label: "initial" }] } : {}),
    y: { domain: [0, Math.max(...counts) * 1.22], integer: true },
    bars: counts.map((count, i) => ({ from: lo + i * width, to: lo + (i + 1) * width, count })),
  };
}
