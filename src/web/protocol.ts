/** The messages between the page and its training worker (train-worker.ts). */
import type { IdxFile } from "../runtime/fashion-mnist.js";
import type { MetricPoint } from "../runtime/plot.js";
import type { CheckpointFiles } from "../train/checkpoint-files.js";
import type { EpochInfo, LoopSettings, StepInfo } from "../train/loop.js";

/** Where the four Fashion-MNIST files are, as URLs, and what to call them. */
export interface DataSource {
  name: string;
  files: Record<IdxFile, string>;
}

export interface StartRequest {
  type: "start";
  /** The model's text and file name, checked again by the worker. */
  text: string;
  fileName: string;
  /** The page's fields; the model's `train` header gives the other settings. */
  settings: Pick<LoopSettings, "lr" | "epochs" | "batch" | "seed">;
  bn: "scratch" | "builtin";
  /** Train on the first N examples only. */
  limit?: number;
  data: DataSource;
  /** The URL of the page's directory: the tfjs and netc WebAssembly files are under it. */
  assets: string;
  /** Backend threads (they need a cross-origin isolated page). */
  threads: number;
}

export type ToWorker = StartRequest | { type: "stop" } | { type: "checkpoint" };

export type FromWorker =
  /** What the worker is doing. */
  | { type: "status"; text: string }
  /** The data the run trains on, as `netc train` describes it. */
  | { type: "data"; text: string }
  /** Training began, with these settings (the page's fields over the model's header). */
  | { type: "started"; backend: string; description: string; settings: LoopSettings; trainCount: number }
  | { type: "step"; info: StepInfo }
  | { type: "point"; point: MetricPoint }
  | { type: "epoch"; info: EpochInfo; line: string }
  /** The run ended: the seed's final lines, or why it stopped. */
  | { type: "end"; kind: "done" | "stopped" | "diverged"; lines: string[] }
  | { type: "checkpoint"; name: string; files: CheckpointFiles }
  | { type: "error"; message: string; hints: string[] };
