/**
 * A checkpoint's files, without I/O: `model.json` (TensorFlow.js's weights-manifest format with
 * netc's metadata), `weights.bin` and `model.net` (the source, verbatim). checkpoint.ts writes
 * them into a run directory; the browser page offers them as a download.
 */
import type { NamedTensorMap } from "@tensorflow/tfjs";
import type { Tf } from "../layers/types.js";
import type { TrainSettings } from "../train-settings.js";
import { VERSION } from "../version.js";
import type { LoopSettings } from "./loop.js";

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
  /** SHA-256 of `model.net`, hex. */
  sourceSha256: string;
  savedAt: string;
}

export interface ModelJson {
  format: typeof FORMAT;
  modelTopology: null;
  weightsManifest: { paths: string[]; weights: ManifestEntry[] }[];
  netc: CheckpointMeta;
}

/** What a run records in each of its checkpoints. */
export interface RunRecord {
  model: string;
  settings: LoopSettings;
  limit?: number;
  bn: CheckpointMeta["bn"];
  backend: string;
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
  const json: ModelJson = {
    format: FORMAT,
    modelTopology: null,
    weightsManifest: [{ paths: ["weights.bin"], weights: specs as ManifestEntry[] }],
    netc: meta,
  };
  // Indented, with each shape on one line.
  const text = JSON.stringify(json, null, 2).replace(/\[\s+([-\d.e,\s]*?)\s+\]/g, (_, inner: string) => `[${inner.split(/,\s*/).join(", ")}]`);
  return { "weights.bin": new Uint8Array(data), "model.net": source, "model.json": text + "\n" };
}
