/**
 * What `netc compare` makes of finished runs, whether it trained them or was given their
 * directories: one record per run (settings, final and best metrics, how it ended), the
 * final-metrics table, `summary.json`, and the figures. Needs no TensorFlow.js.
 */
import { readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import { UserError } from "../errors.js";
import { pyFixed, thousands } from "../numbers.js";
import { DASHES, metricLine, PALETTE, type Figure, type Line, type MetricKey, type MetricPoint } from "../runtime/plot.js";
import { columns } from "../shape-table.js";
import { resolveSettings, TRAIN_ARGS, type TrainSettings } from "../train-settings.js";
import { CHECKPOINT_DIR, readCheckpoint } from "./checkpoint.js";
import type { LoopSettings } from "./loop.js";
import type { Bn } from "./setup.js";

/** A run's training settings, seed included, its batch norm implementation and `--limit`. */
export interface RunSettings extends LoopSettings {
  bn: Bn;
  /** `--limit`, when the run trained on the first examples only. */
  limit?: number;
}

/** What tells runs apart: the model and its training settings. */
export interface RunDescription {
  model: string;
  settings: RunSettings;
  backend?: string;
}

export type RunStatus = "done" | "stopped" | "diverged";

export interface RunRecord extends RunDescription {
  dir: string;
  status: RunStatus;
  /** Epochs completed. */
  epochs: number;
  /** The last training loss and accuracy and the last test accuracy; null for a run that diverged. */
  final: { trainLoss: number | null; trainAcc: number | null; testAcc: number | null };
  best: { testAcc: number; epoch: number } | null;
  /** Training examples per second of step time over the completed epochs (null if not recorded). */
  examplesPerSec: number | null;
  /** Where the loss diverged: in which epoch (1-based), and what it became (NaN, Infinity, or the exploded mean). */
  diverged?: { epoch: number; loss: string };
  points: MetricPoint[];
}

/** Run settings with the defaults filled in, for runs and summaries older than the optimizers, which did not record them. */
export function withDefaults(settings: Partial<TrainSettings> & Pick<RunSettings, "seed" | "bn" | "limit">): RunSettings {
  return { ...settings, ...resolveSettings(settings) };
}

/** A run's record from its metrics; `completed` says whether it ran all its epochs. */
export function runRecord(dir: string, desc: RunDescription, points: MetricPoint[], completed: boolean): RunRecord {
  const train = points.filter((p) => p.trainLoss !== undefined);
  const tests = points.filter((p) => p.testAcc !== undefined);
  const divergedAt = points.find((p) => p.diverged !== undefined);
  let best: RunRecord["best"] = null;
  for (const p of tests) if (!best || p.testAcc! > best.testAcc) best = { testAcc: p.testAcc!, epoch: Math.round(p.x) };
  // Every epoch has the same examples, so the overall rate is the harmonic mean of the epochs'.
  const rates = tests.map((p) => p.examplesPerSec).filter((v): v is number => v !== undefined && v > 0);
  const examplesPerSec = rates.length ? rates.length / rates.reduce((a, v) => a + 1 / v, 0) : null;
  const last = train.at(-1);
  return {
    dir,
    ...desc,
    status: divergedAt ? "diverged" : completed ? "done" : "stopped",
    epochs: tests.length,
    final: divergedAt
      ? { trainLoss: null, trainAcc: null, testAcc: null }
      : { trainLoss: last?.trainLoss ?? null, trainAcc: last?.trainAcc ?? null, testAcc: tests.at(-1)?.testAcc ?? null },
    best,
    examplesPerSec,
    ...(divergedAt ? { diverged: { epoch: Math.floor(divergedAt.x - 1e-9) + 1, loss: divergedAt.diverged! } } : {}),
    points,
  };
}

/**
 * Reads a run directory made by `netc train` or `netc compare`: its checkpoint's settings and
 * `metrics.jsonl`. A run that diverged in its first epoch has no checkpoint: then the settings
 * a comparison's summary recorded (`known`) describe it.
 */
export async function readRun(dir: string, known?: RunDescription): Promise<RunRecord> {
  if (known && !(await stat(join(dir, CHECKPOINT_DIR)).then(() => true, () => false))) {
    return runRecord(dir, known, await readMetrics(join(dir, "metrics.jsonl")), false);
  }
  const ckpt = await readCheckpoint(dir);
  const meta = ckpt.json.netc;
  const points = await readMetrics(join(dir, "metrics.jsonl"));
  const settings = withDefaults({ ...meta.settings, bn: meta.bn });
  const completed = meta.epoch >= meta.settings.epochs && meta.batch === 0;
  return runRecord(dir, { model: meta.model, settings, backend: meta.backend }, points, completed);
}

export async function readMetrics(path: string): Promise<MetricPoint[]> {
  const text = await readFile(path, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${path}: ${e.code === "ENOENT" ? "no such file" : e.message}`, ["a run directory written by `netc train` or `netc compare` has one"]);
  });
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "")
    .map(({ line, n }) => {
      let p: MetricPoint;
      try {
        p = JSON.parse(line) as MetricPoint;
      } catch (e) {
        throw new UserError(`${path}:${n}: not a JSON line: ${(e as Error).message}`);
      }
      if (typeof p !== "object" || p === null || typeof p.x !== "number") throw new UserError(`${path}:${n}: a metrics point needs a numeric "x"`);
      return p;
    });
}

interface SettingKey {
  key: string;
  value: (d: RunDescription) => string | number | boolean | undefined;
  /** How it reads in a label, e.g. `lr 0.3`. */
  text: (d: RunDescription) => string;
  /** How it reads in a run directory's name, e.g. `lr0.3`. */
  slug: (d: RunDescription) => string;
  /** Left out of the settings every run shares: its default, which goes without saying. */
  isDefault?: (d: RunDescription) => boolean;
}

/** A directory by its last part, as the plot's subtitle names it. */
const dataName = (data: string) => data.split(/[\\/]/).filter(Boolean).at(-1) ?? data;

/** A training setting of the `train` header's other than lr, batch and epochs, e.g. `optimizer adam`, `nesterov`, `wd 0.0005`. */
function headerSetting(key: keyof TrainSettings): SettingKey {
  const raw = (d: RunDescription) => d.settings[key];
  const value = (d: RunDescription) => {
    const v = raw(d);
    if (key === "data" && typeof v === "string") return dataName(v);
    return Array.isArray(v) ? v.join(",") : (v as string | number | boolean | undefined);
  };
  return {
    key,
    value,
    text: (d) => (typeof raw(d) === "boolean" ? (raw(d) ? key : `no ${key}`) : `${key} ${value(d)}`),
    // A word names itself (`adam`, `cosine`); a number needs its setting's name (`wd0.0005`).
    slug: (d) => (typeof raw(d) === "boolean" ? (raw(d) ? key : `no-${key}`) : typeof raw(d) === "string" ? String(value(d)) : `${key}${value(d)}`),
    // The defaults that go with the run's optimizer (the weight decay's differs).
    isDefault: (d) => {
      const defaults = resolveSettings(key === "optimizer" ? {} : { optimizer: d.settings.optimizer });
      return String(value(d)) === String(value({ ...d, settings: { ...d.settings, ...defaults } }));
    },
  };
}

/** Each setting that can tell runs apart, in the order labels and directory names list them. */
const KEYS: SettingKey[] = [
  { key: "model", value: (d) => d.model, text: (d) => d.model, slug: (d) => d.model },
  { key: "lr", value: (d) => d.settings.lr, text: (d) => `lr ${d.settings.lr}`, slug: (d) => `lr${d.settings.lr}` },
  { key: "batch", value: (d) => d.settings.batch, text: (d) => `batch ${d.settings.batch}`, slug: (d) => `batch${d.settings.batch}` },
  { key: "epochs", value: (d) => d.settings.epochs, text: (d) => `${d.settings.epochs} epoch${d.settings.epochs === 1 ? "" : "s"}`, slug: (d) => `epochs${d.settings.epochs}` },
  ...TRAIN_ARGS.map((a) => a.name as keyof TrainSettings)
    .filter((k) => !["lr", "batch", "epochs", "data"].includes(k))
    .map(headerSetting),
  { key: "bn", value: (d) => d.settings.bn, text: (d) => `bn ${d.settings.bn}`, slug: (d) => `bn-${d.settings.bn}` },
  { key: "seed", value: (d) => d.settings.seed, text: (d) => `seed ${d.settings.seed}`, slug: (d) => `seed${d.settings.seed}` },
  {
    key: "limit",
    value: (d) => d.settings.limit,
    text: (d) => (d.settings.limit === undefined ? "all examples" : `first ${thousands(d.settings.limit)} examples`),
    slug: (d) => `limit${d.settings.limit ?? "none"}`,
  },
  { key: "backend", value: (d) => d.backend, text: (d) => d.backend ?? "", slug: (d) => d.backend ?? "" },
  headerSetting("data"),
];

/** The settings whose values differ between runs, in KEYS' order. */
export function varyingKeys(runs: readonly RunDescription[]): string[] {
  return KEYS.filter((k) => new Set(runs.map((r) => String(k.value(r)))).size > 1).map((k) => k.key);
}

/** A run's label: only what differs between the runs (the model's name if nothing does). */
export function runLabel(run: RunDescription, varying: readonly string[]): string {
  const parts = KEYS.filter((k) => varying.includes(k.key)).map((k) => k.text(run));
  return parts.length ? parts.join(", ") : run.model;
}

/** What all runs share, e.g. `batch 128, 10 epochs, bn scratch, seed 0`. */
export function commonSettings(runs: readonly RunDescription[], varying: readonly string[]): string {
  const first = runs[0];
  if (!first) return "";
  return KEYS.filter((k) => k.key !== "model" && !varying.includes(k.key) && k.value(first) !== undefined && !k.isDefault?.(first))
    .map((k) => k.text(first))
    .join(", ");
}

/** A run directory's name inside a comparison: `03-lenet_bn-lr0.3`. */
export function runDirName(index: number, count: number, run: RunDescription, varying: readonly string[]): string {
  const slugs = KEYS.filter((k) => k.key !== "model" && varying.includes(k.key)).map((k) => k.slug(run));
  return [String(index + 1).padStart(String(count).length, "0"), run.model, ...slugs].join("-").replace(/[^\w.+-]+/g, "_");
}

const optional = (v: number | null, digits = 3) => (v === null ? "–" : pyFixed(v, digits));

function endText(r: RunRecord): string {
  if (r.status === "diverged") return `diverged in epoch ${r.diverged!.epoch} (loss ${r.diverged!.loss})`;
  if (r.status === "stopped") return `stopped after ${r.epochs} epoch${r.epochs === 1 ? "" : "s"}`;
  return "done";
}

/** The final-metrics table, one row per run, the varying settings as columns. */
export function compareTable(runs: readonly RunRecord[]): string {
  const varying = varyingKeys(runs);
  const settingKeys = KEYS.filter((k) => k.key !== "model" && varying.includes(k.key));
  const header = ["#", "model", ...settingKeys.map((k) => k.key), "loss", "train acc", "test acc", "best test acc", "examples/sec", "end"];
  const rows = runs.map((r, i) => [
    String(i + 1),
    r.model,
    ...settingKeys.map((k) => String(k.value(r) ?? "all")),
    optional(r.final.trainLoss),
    optional(r.final.trainAcc),
    optional(r.final.testAcc),
    r.best ? `${pyFixed(r.best.testAcc, 3)} (epoch ${r.best.epoch})` : "–",
    r.examplesPerSec === null ? "–" : thousands(r.examplesPerSec),
    endText(r),
  ]);
  const numeric = new Set(["#", ...settingKeys.filter((k) => runs.some((r) => typeof k.value(r) === "number")).map((k) => k.key), "loss", "train acc", "test acc", "examples/sec"]);
  const align = header.map((h) => (numeric.has(h) ? "right" : "left") as "left" | "right");
  const lines = columns([header, ...rows], align);
  const common = commonSettings(runs, varying);
  return [...(common ? [`same for every run: ${common}`] : []), ...lines].join("\n");
}

/** `summary.json`: every run's settings and results; directories relative to the summary's. */
export function summaryJson(runs: readonly RunRecord[], summaryDir: string) {
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return {
    format: "netc-compare",
    version: 1,
    varying: varyingKeys(runs),
    runs: runs.map((r) => ({
      dir: relative(summaryDir, r.dir) || ".",
      model: r.model,
      settings: r.settings,
      ...(r.backend ? { backend: r.backend } : {}),
      status: r.status,
      epochs: r.epochs,
      final: { trainLoss: finite(r.final.trainLoss), trainAcc: finite(r.final.trainAcc), testAcc: finite(r.final.testAcc) },
      best: r.best,
      examplesPerSec: r.examplesPerSec === null ? null : Math.round(r.examplesPerSec),
      ...(r.diverged ? { diverged: r.diverged } : {}),
    })),
  };
}

/**
 * A colour and dash per run. With two or more settings varying, the first (usually the model)
 * picks the dash and the settings that vary within its groups (e.g. the learning rate, not a
 * batch size that comes with the model) pick the colour, so runs differing only in the first pair up.
 */
function lineStyles(runs: readonly RunDescription[], varying: readonly string[]): { color: string; dash: string }[] {
  const value = (k: string, r: RunDescription) => String(KEYS.find((x) => x.key === k)!.value(r));
  const distinct = (f: (r: RunDescription) => string) => [...new Set(runs.map(f))];
  const [first, ...rest] = varying;
  if (first !== undefined && rest.length) {
    const colourKeys = rest.filter((k) => distinct((r) => value(first, r)).some((g) => new Set(runs.filter((r) => value(first, r) === g).map((r) => value(k, r))).size > 1));
    const colourOf = (r: RunDescription) => colourKeys.map((k) => value(k, r)).join("\u0000");
    const dashValues = distinct((r) => value(first, r));
    const colourValues = distinct(colourOf);
    if (colourKeys.length && dashValues.length <= DASHES.length && colourValues.length <= PALETTE.length) {
      return runs.map((r) => ({ dash: DASHES[dashValues.indexOf(value(first, r))]!, color: PALETTE[colourValues.indexOf(colourOf(r))]! }));
    }
  }
  return runs.map((_, i) => ({ color: PALETTE[i % PALETTE.length]!, dash: DASHES[Math.floor(i / PALETTE.length) % DASHES.length]! }));
}

function titleOf(runs: readonly RunDescription[]): string {
  return [...new Set(runs.map((r) => r.model))].join(" vs ");
}

const PANELS: { key: MetricKey; title: string }[] = [
  { key: "trainLoss", title: "train loss" },
  { key: "trainAcc", title: "train acc" },
  { key: "testAcc", title: "test acc" },
];

/** One panel per metric against the epoch, one line per run, one legend under them. */
export function compareFigure(runs: readonly RunRecord[]): Figure {
  const varying = varyingKeys(runs);
  const styles = lineStyles(runs, varying);
  const epochs = Math.max(1, ...runs.map((r) => r.settings.epochs));
  const xmin = epochs > 1 ? 1 : 0;
  const labels = uniqueLabels(runs, varying);
  const lineOf = (r: RunRecord, i: number, key: MetricKey): Line => ({
    label: labels[i]!,
    ...styles[i]!,
    markers: key === "testAcc",
    points: metricLine(r.points, key),
  });
  const common = commonSettings(runs, varying);
  return {
    title: titleOf(runs),
    ...(common ? { subtitle: common } : {}),
    columns: PANELS.length,
    cellWidth: 420,
    cellHeight: 340,
    panels: PANELS.map((p) => ({
      title: p.title,
      x: { label: "epoch", domain: [xmin, Math.max(epochs, xmin + 1)], whole: true },
      y: {},
      lines: runs.map((r, i) => lineOf(r, i, p.key)),
    })),
    legend: runs.map((r, i) => ({ ...lineOf(r, i, "testAcc"), label: `${labels[i]}${r.status === "done" ? "" : ` (${r.status})`}` })),
  };
}

/**
 * Final test accuracy against the learning rate (log x), one line per group of runs that share
 * everything but the learning rate; a run that diverged is a ✕ on the x axis.
 */
export function lrFigure(runs: readonly RunRecord[]): Figure {
  const varying = varyingKeys(runs);
  const others = varying.filter((k) => k !== "lr");
  const groupOf = (r: RunRecord) => runLabel(r, others);
  const groups = [...new Set(runs.map(groupOf))];
  const lrs = [...new Set(runs.map((r) => r.settings.lr))].sort((a, b) => a - b);
  const colour = (g: string) => PALETTE[groups.indexOf(g) % PALETTE.length]!;
  const lines: Line[] = groups.map((g) => ({
    label: g,
    color: colour(g),
    markers: true,
    points: runs
      .filter((r) => groupOf(r) === g && r.final.testAcc !== null)
      .map((r) => [r.settings.lr, r.final.testAcc!] as const)
      .sort((a, b) => a[0] - b[0]),
  }));
  const missing = runs.filter((r) => r.final.testAcc === null).map((r) => ({ x: r.settings.lr, color: colour(groupOf(r)) }));
  const common = commonSettings(runs, varying);
  const note = missing.length ? "✕ diverged (loss NaN, infinite or exploded)" : "";
  const subtitle = [common, note].filter(Boolean).join(" · ");
  return {
    title: `${titleOf(runs)}: final test accuracy by learning rate`,
    ...(subtitle ? { subtitle } : {}),
    columns: 1,
    cellWidth: 720,
    cellHeight: 420,
    panels: [{ x: { label: "learning rate", log: true, ticks: lrs }, y: { label: "final test acc" }, lines, missing }],
    legend: lines,
  };
}

/** Labels from the varying settings, with the directory's name added where two would read the same. */
function uniqueLabels(runs: readonly RunRecord[], varying: readonly string[]): string[] {
  const labels = runs.map((r) => runLabel(r, varying));
  return labels.map((l, i) => (labels.indexOf(l) !== labels.lastIndexOf(l) ? `${l} (${runs[i]!.dir.split(/[\\/]/).filter(Boolean).at(-1)})` : l));
}
