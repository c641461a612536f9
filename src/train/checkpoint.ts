/**
 * Checkpoints: a directory `checkpoint/` in the run directory holding `model.json` (TensorFlow.js's
 * weights-manifest format, with netc's metadata), `weights.bin` and `model.net` (the model source,
 * verbatim). `weights.bin` holds the model's tensors and, under names starting with `opt.`, the
 * optimizer's state (optimizers.ts). The directory is built aside and renamed into place, so
 * `model.json` and `weights.bin` always belong together, whenever the process dies.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { NamedTensorMap } from "@tensorflow/tfjs";
import { UserError } from "../errors.js";
import type { Tf } from "../runtime/backend.js";
import { writeDirAtomic, writeFileAtomic } from "../runtime/fsutil.js";
import { isOptimizerState } from "./optimizers.js";
import { CHECKPOINT_DIR, checkpointFiles, FORMAT, type CheckpointMeta, type ManifestEntry, type ModelJson } from "./checkpoint-files.js";

export { CHECKPOINT_DIR, FORMAT, weightName, type CheckpointMeta, type ManifestEntry, type ModelJson } from "./checkpoint-files.js";

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Writes (or replaces) `runDir/checkpoint/` atomically; returns its path. */
export async function saveCheckpoint(tf: Tf, runDir: string, weights: NamedTensorMap, source: Uint8Array, meta: CheckpointMeta): Promise<string> {
  const files = await checkpointFiles(tf, weights, source, meta);
  const dir = join(runDir, CHECKPOINT_DIR);
  await writeDirAtomic(dir, async (tmp) => {
    for (const [name, bytes] of Object.entries(files)) await writeFileAtomic(join(tmp, name), bytes);
  });
  return dir;
}

export interface LoadedCheckpoint {
  dir: string;
  json: ModelJson;
  source: Uint8Array;
  /** `model.net`'s path, for diagnostics. */
  sourcePath: string;
  weightsData: ArrayBuffer;
}

/**
 * Reads a checkpoint from a run directory (or a checkpoint directory itself) and checks that
 * `model.net` is the source the weights were trained from. Weight tensors are decoded by
 * `decodeWeights` once a backend is up.
 */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  const dir = (await isFile(join(path, "model.json"))) ? path : join(path, CHECKPOINT_DIR);
  const jsonPath = join(dir, "model.json");
  if (!(await isFile(jsonPath))) {
    const exists = await stat(path).then(() => true, () => false);
    throw new UserError(
      exists ? `${path} holds no checkpoint (no ${join(path, CHECKPOINT_DIR, "model.json")})` : `${path}: no such directory`,
      ["pass the run directory that `netc train` printed, e.g. `netc eval runs/lenet_bn-20250101-120000`"],
    );
  }
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(jsonPath, "utf8")) as ModelJson;
  } catch (e) {
    throw new UserError(`${jsonPath} is not valid JSON: ${(e as Error).message}`);
  }
  if (json?.format !== FORMAT || !json.netc || !Array.isArray(json.weightsManifest)) {
    throw new UserError(`${jsonPath} is not a netc checkpoint (its "format" is not "${FORMAT}")`);
  }
  const sourcePath = join(dir, "model.net");
  const source = await readFile(sourcePath).catch(() => {
    throw new UserError(`${sourcePath} is missing: the checkpoint keeps the model's source beside its weights`);
  });
  const actual = sha256(source);
  if (actual !== json.netc.sourceSha256) {
    throw new UserError(`${sourcePath} has changed since the weights were saved (SHA-256 ${actual.slice(0, 12)}…, recorded ${String(json.netc.sourceSha256).slice(0, 12)}…)`, [
      "the weights only fit the model they were trained with; restore that model.net, or train the changed model",
    ]);
  }
  const group = json.weightsManifest[0];
  if (json.weightsManifest.length !== 1 || !group || group.paths.length !== 1) {
    throw new UserError(`${jsonPath}: expected one weights file in "weightsManifest"`);
  }
  const binPath = join(dir, group.paths[0]!);
  const bin = await readFile(binPath).catch(() => {
    throw new UserError(`${binPath} is missing`);
  });
  const expected = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === "bool" ? 1 : 4), 0);
  if (bin.length !== expected) {
    throw new UserError(`${binPath} holds ${bin.length} bytes, but model.json describes ${expected}`, ["the checkpoint is damaged; train again"]);
  }
  const weightsData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
  return { dir, json, source, sourcePath, weightsData };
}

/** The saved tensors: the model's weights, and the optimizer's state (empty for plain SGD). */
export function decodeWeights(tf: Tf, ckpt: LoadedCheckpoint): { weights: NamedTensorMap; optimizer: NamedTensorMap } {
  const all = tf.io.decodeWeights(ckpt.weightsData, ckpt.json.weightsManifest[0]!.weights);
  const weights: NamedTensorMap = {};
  const optimizer: NamedTensorMap = {};
  for (const [name, t] of Object.entries(all)) (isOptimizerState(name) ? optimizer : weights)[name] = t;
  return { weights, optimizer };
}

/**
 * Differences between the weights a compiled model has and a checkpoint's, one line each
 * (empty when they fit). The optimizer's state is not the model's and is left out.
 */
export function weightMismatches(model: NamedTensorMap, manifest: readonly ManifestEntry[]): string[] {
  const saved = manifest.filter((w) => !isOptimizerState(w.name));
  const out: string[] = [];
  const savedByName = new Map(saved.map((w) => [w.name, w]));
  const shape = (s: readonly number[]) => `[${s.join(", ")}]`;
  for (const [name, t] of Object.entries(model)) {
    const w = savedByName.get(name);
    if (!w) out.push(`${name} ${shape(t.shape)}: not in the checkpoint`);
    else if (shape(w.shape) !== shape(t.shape)) out.push(`${name}: the model has ${shape(t.shape)}, the checkpoint ${shape(w.shape)}`);
    else if (w.dtype !== t.dtype) out.push(`${name}: the model has ${t.dtype}, the checkpoint ${w.dtype}`);
  }
  for (const w of saved) if (!(w.name in model)) out.push(`${w.name} ${shape(w.shape)}: in the checkpoint but not in the model`);
  return out;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}
