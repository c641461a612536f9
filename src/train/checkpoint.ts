/**
 * Checkpoints: a directory `checkpoint/` in the run directory holding `model.json` (TensorFlow.js's
 * weights-manifest format, with netc's metadata), `weights.bin` and `model.net` (the model source,
 * verbatim; checkpoint-files.ts makes them). `weights.bin` holds the model's tensors and, under
 * names starting with `opt.`, the optimizer's state (optimizers.ts). The directory is built aside
 * and renamed into place, so `model.json` and `weights.bin` always belong together, whenever the
 * process dies; a process killed between the two renames of a replacement leaves no
 * `checkpoint/` but the complete old (and new) one beside it, which `readCheckpoint` finds.
 * `model.json`'s checksums of itself and of `weights.bin` are verified before anything is loaded.
 */
import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { NamedTensorMap } from "@tensorflow/tfjs";
import { UserError } from "../errors.js";
import type { Tf } from "../runtime/backend.js";
import { leftBehind, writeDirAtomic, writeFileAtomic } from "../runtime/fsutil.js";
import { CHECKPOINT_DIR, checkpointFiles, checksumText, FORMAT, type CheckpointMeta, type ManifestEntry, type ModelJson } from "./checkpoint-files.js";
import type { CompiledModel } from "./model.js";
import { isOptimizerState } from "./optimizers.js";

export { CHECKPOINT_DIR, FORMAT, weightName, type CheckpointMeta, type ManifestEntry, type ModelJson, type ResumeState } from "./checkpoint-files.js";

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function checksumOf(json: ModelJson): string {
  return sha256(checksumText(json));
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
  /** Set when `checkpoint/` was missing and this is the whole one a killed write left beside it. */
  leftBehind?: "tmp" | "old";
}

/**
 * Reads a checkpoint from a run directory (or a checkpoint directory itself) and checks that
 * it is whole: `model.json` unchanged since it was written, `weights.bin` the bytes it describes,
 * `model.net` the source the weights were trained from. Weight tensors are decoded by
 * `decodeWeights` or `restoreWeights` once a backend is up.
 */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  if (await isFile(join(path, "model.json"))) return readCheckpointDir(path);
  const dir = join(path, CHECKPOINT_DIR);
  if (await isFile(join(dir, "model.json"))) return readCheckpointDir(dir);
  const exists = await stat(path).then((s) => s.isDirectory(), () => false);
  const recovered = exists ? await recoverCheckpoint(path) : undefined;
  if (recovered) return recovered;
  if (exists && (await readdir(path)).some((entry) => leftBehind(entry, CHECKPOINT_DIR))) {
    throw new UserError(`${path} was stopped while writing its first checkpoint, before training began: there is nothing to resume or evaluate`, ["start the run again with `netc train`"]);
  }
  throw new UserError(exists ? `${path} holds no checkpoint (no ${join(path, CHECKPOINT_DIR, "model.json")})` : `${path}: no such directory`, [
    "pass the run directory that `netc train` printed, e.g. `runs/lenet_bn-20250101-120000`",
  ]);
}

/** The most advanced whole checkpoint among those a killed checkpoint write left beside `checkpoint/`. */
async function recoverCheckpoint(runDir: string): Promise<LoadedCheckpoint | undefined> {
  let best: LoadedCheckpoint | undefined;
  for (const entry of await readdir(runDir)) {
    const kind = leftBehind(entry, CHECKPOINT_DIR);
    if (!kind) continue;
    const candidate = await readCheckpointDir(join(runDir, entry)).catch(() => undefined);
    if (!candidate) continue;
    const at = (c: LoadedCheckpoint) => c.json.netc.epoch * 1e9 + c.json.netc.batch;
    if (!best || at(candidate) > at(best)) best = { ...candidate, leftBehind: kind };
  }
  return best;
}

async function readCheckpointDir(dir: string): Promise<LoadedCheckpoint> {
  const jsonPath = join(dir, "model.json");
  const damaged = "the checkpoint is damaged; nothing was changed. Resume or evaluate an intact copy, or train again";
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(jsonPath, "utf8")) as ModelJson;
  } catch (e) {
    throw new UserError(`${jsonPath} is not valid JSON: ${(e as Error).message}`, [damaged]);
  }
  if (json?.format !== FORMAT || !json.netc || !Array.isArray(json.weightsManifest)) {
    throw new UserError(`${jsonPath} is not a netc checkpoint (its "format" is not "${FORMAT}")`);
  }
  // Checkpoints of netc before checksums have none to check.
  if (json.checksum !== undefined && json.checksum !== checksumOf(json)) {
    throw new UserError(`${jsonPath} was edited or damaged after it was saved (its checksum does not match its contents)`, [damaged]);
  }
  const sourcePath = join(dir, "model.net");
  const source = await readFile(sourcePath).catch(() => {
    throw new UserError(`${sourcePath} is missing: the checkpoint keeps the model's source beside its weights`, [damaged]);
  });
  const actual = sha256(source);
  if (actual !== json.netc.sourceSha256) {
    throw new UserError(`${sourcePath} has changed since the weights were saved (SHA-256 ${actual.slice(0, 12)}…, recorded ${String(json.netc.sourceSha256).slice(0, 12)}…)`, [
      "the weights only fit the model they were trained with; restore that model.net, or train the changed model",
    ]);
  }
  const group = json.weightsManifest[0];
  if (json.weightsManifest.length !== 1 || !group || group.paths.length !== 1) {
    throw new UserError(`${jsonPath}: expected one weights file in "weightsManifest"`, [damaged]);
  }
  const binPath = join(dir, group.paths[0]!);
  const bin = await readFile(binPath).catch(() => {
    throw new UserError(`${binPath} is missing`, [damaged]);
  });
  const expected = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (w.dtype === "bool" ? 1 : 4), 0);
  if (bin.length !== expected) {
    throw new UserError(`${binPath} holds ${bin.length} bytes, but model.json describes ${expected}`, [damaged]);
  }
  if (json.netc.weightsSha256 !== undefined && sha256(bin) !== json.netc.weightsSha256) {
    throw new UserError(`${binPath} has changed since it was saved (its SHA-256 does not match model.json's)`, [damaged]);
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
 * Sets a compiled model's weights from a checkpoint, and with `optimizer` its optimizer's state
 * too (a resumed run's moments and step count). Weights that do not fit the model are refused,
 * naming them.
 */
export function restoreWeights(tf: Tf, model: CompiledModel, ckpt: LoadedCheckpoint, { optimizer: withOptimizer }: { optimizer: boolean }): void {
  const problems = weightMismatches(model.weights(), ckpt.json.weightsManifest[0]!.weights);
  if (problems.length) {
    const shown = problems.slice(0, 8).map((p) => `  ${p}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    throw new UserError(`the weights in ${relative(".", ckpt.dir) || "."} do not fit the compiled model:\n${shown.join("\n")}`, [
      "the checkpoint was saved by a netc whose lowering named or shaped the weights differently; train again",
    ]);
  }
  const { weights, optimizer } = decodeWeights(tf, ckpt);
  try {
    model.setWeights(weights);
    if (withOptimizer) model.setOptimizerState(optimizer);
  } finally {
    tf.dispose([...Object.values(weights), ...Object.values(optimizer)]);
  }
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
