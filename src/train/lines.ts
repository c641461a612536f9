/** The lines a training run prints, the same in the terminal and in the browser page. */
import { DEFAULT_DATASET } from "../datasets.js";
import { pyFixed, thousands } from "../numbers.js";
import { updateSummary } from "../train-settings.js";
import type { EpochInfo, LoopEnd, LoopResult, LoopSettings } from "./loop.js";

/** An epoch's line; the learning rate is in it when it changes during the run. */
export function epochLine(e: EpochInfo, settings: LoopSettings): string {
  const lr = settings.schedule !== "constant" || settings.warmup > 0 ? `  lr ${Number(e.lr.toPrecision(4))}` : "";
  return `epoch ${e.epoch}/${settings.epochs}${lr}  loss ${pyFixed(e.trainLoss, 3)}  train acc ${pyFixed(e.trainAcc, 3)}  test acc ${pyFixed(e.testAcc, 3)}  ${thousands(e.examplesPerSec)} examples/sec`;
}

/** The seed notebook's last two lines, in its format. */
export function finalLines(result: LoopResult, backend: string): [string, string] {
  return [
    `loss ${pyFixed(result.trainLoss, 3)}, train acc ${pyFixed(result.trainAcc, 3)}, test acc ${pyFixed(result.testAcc, 3)}`,
    `${pyFixed(result.examplesPerSec, 1)} examples/sec on ${backend}`,
  ];
}

/** Where a stopped run stopped: `epoch 2, batch 4` or `the end of epoch 1`. */
export function stopPoint(end: { epoch: number; batch: number }): string {
  return end.batch > 0 ? `epoch ${end.epoch + 1}, batch ${end.batch}` : `the end of epoch ${end.epoch}`;
}

/** `loss became NaN at epoch 2, batch 3 (lr 0.5)`. */
export function divergence(end: Extract<LoopEnd, { kind: "diverged" }>, lr: number): string {
  return `loss became ${Number.isNaN(end.loss) ? "NaN" : end.loss > 0 ? "Infinity" : "-Infinity"} at epoch ${end.epoch + 1}, batch ${end.batch + 1} (lr ${lr})`;
}

/** A learning rate a tenth of `lr`, written short. */
export function smallerLr(lr: number): string {
  return String(Number((lr / 10).toPrecision(3)));
}

/** The plot's subtitle: the settings of the run. */
export function runSubtitle(settings: LoopSettings, bn: "scratch" | "builtin", backend: string, limited?: number): string {
  // A directory by its last part: the subtitle is one short line.
  const data = settings.data === DEFAULT_DATASET ? "" : `, ${settings.data.split(/[\\/]/).filter(Boolean).at(-1)}`;
  return `${updateSummary(settings)}, batch ${settings.batch}, bn ${bn}, ${backend}${data}${limited !== undefined ? `, first ${thousands(limited)} examples` : ""}`;
}
