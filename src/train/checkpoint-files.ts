/**
 * A checkpoint's files, without I/O: `model.json` (TensorFlow.js's weights-manifest format with
 * netc's metadata), `weights.bin` and `model.net` (the source, verbatim). checkpoint.ts writes
 * them into a run directory; the browser page offers them as a download. `model.json` records
 * a checksum of its own contents and of `weights.bin`, so that a damaged or edited checkpoint is
 * refused rather than loaded (Web Crypto's SHA-256: the same in Node and the browser).
 */
import type { NamedTensorMap } from "@tensorflow/tfjs";
import type { Tf } from "../layers/types.js";
import type { MetricPoint } from "../runtime/plot.js";
import type { TrainSettings } from "../train-settings.js";
import { VERSION } from "../version.js";
import type { LoopPosition, LoopSettings } from "./loop.js";

export const CHECKPOINT_DIR = "checkpoint";
export const FORMAT = "netc-checkpoint";

/**
 * A parameter's name in checkpoints: its layer's position among the network's layers (depth
 * first, branches in order), the layer kind and the parameter, e.g. `03.conv.weight`.
 */
export function weightName(layerIndex: number, layer: string, param: string): string {
  return `${String(layerIndex).padStart(2, "0")}.${layer}.${param}`;
}

export type ManifestEntry = { name: string; shape: number[]; dtype: "float32" | "int32" | "bool" | "string" | "complex64" };

/** What a resumed run needs beyond the weights and the optimizer's state to continue as if it had never stopped. */
export interface ResumeState {
  position: LoopPosition;
  /** The model's `randomState` (dropout masks' seed sequence) at that position. */
  random: number;
  /** The Animator's points so far: `metrics.jsonl` is rewritten from them. */
  points: MetricPoint[];
}

export interface CheckpointMeta {
  /** netc's version. */
  version: string;
  model: string;
  /** Epochs completed; `batch` more steps were taken into the next one when interrupted. */
  epoch: number;
  batch: number;
  /** Test accuracy after `epoch` epochs (absent when the checkpoint is mid-epoch). */
  testAcc?: number;
  /** Every training setting (a resumed run continues with them), the seed, and `--limit`. */
  settings: TrainSettings & { seed: number; limit?: number };
  bn: "scratch" | "builtin";
  backend: string;
  /** Where the training data came from, and how many examples each split had. */
  data?: DataRecord;
  /** SHA-256 of `model.net`, hex. */
  sourceSha256: string;
  /** SHA-256 of `weights.bin`, hex (checkpoints of netc before checksums have none). */
  weightsSha256?: string;
  /** Absent in checkpoints that cannot be resumed (imported weights, the browser page's). */
  resume?: ResumeState;
  savedAt: string;
}

export interface DataRecord {
  source: string;
  train: number;
  test: number;
}

export interface ModelJson {
  format: typeof FORMAT;
  modelTopology: null;
  weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
  netc: CheckpointMeta;
  /** SHA-256 of this object's JSON without this field: any edit of the manifest or metadata shows. */
  checksum?: string;
}

/** SHA-256 of `bytes`, hex. */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What `ModelJson.checksum` is computed over: the object's JSON without the checksum. */
export function checksumText(json: ModelJson): string {
  const { checksum: _, ...rest } = json;
  return JSON.stringify(rest);
}

/** What a run records in each of its checkpoints. */
export interface RunRecord {
  model: string;
  settings: LoopSettings;
  limit?: number;
  bn: CheckpointMeta["bn"];
  backend: string;
  data?: DataRecord;
  sourceSha256: string;
}

export function checkpointMeta(run: RunRecord, epoch: number, batch: number, testAcc?: number): CheckpointMeta {
  return {
    version: VERSION,
    model: run.model,
    epoch,
    batch,
    ...(testAcc !== undefined ? { testAcc } : {}),
    settings: { ...run.settings, ...(run.limit !== undefined ? { limit: run.limit } : {}) },
    bn: run.bn,
    backend: run.backend,
    ...(run.data ? { data: run.data } : {}),
    sourceSha256: run.sourceSha256,
    savedAt: new Date().toISOString(),
  };
}

/** Named in the order they are written: model.json, which describes the others, last. */
export interface CheckpointFiles {
  "weights.bin": Uint8Array;
  "model.net": Uint8Array;
  "model.json": string;
}

export async function checkpointFiles(tf: Tf, weights: NamedTensorMap, source: Uint8Array, meta: CheckpointMeta): Promise<CheckpointFiles> {
  const { data, specs } = await tf.io.encodeWeights(weights);
  const bytes = new Uint8Array(data);
  const json: ModelJson = {
    format: FORMAT,
    modelTopology: null,
    weightsManifest: [{ paths: ["weights.bin"], weights: specs as ManifestEntry[] }],
    netc: { ...meta, weightsSha256: await sha256Hex(bytes) },
  };
  json.checksum = await sha256Hex(checksumText(json));
  // Indented, with each shape on one line.
  const text = JSON.stringify(json, null, 2).replace(/\[\s+([-\d.e,\s]*?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(", ")}]`);
  return { "weights.bin": bytes, "model.net": source, "model.json": text + "\n" };
}
