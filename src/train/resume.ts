/**
 * `netc train --resume RUN_DIR [FILE]`: continues a run from its checkpoint, with the run's own
 * settings and model (FILE, if given, must be the same source), from the position the checkpoint
 * records: the epoch after the last finished one, or the same step of the same shuffled epoch
 * when Ctrl-C stopped it midway, with the optimizer's state, the Animator's sums, the dropout
 * seed sequence and the metric points restored; the learning-rate schedule and each epoch's
 * shuffle and augmentation are functions of the position and the seed. An uninterrupted run and
 * one stopped and resumed end the same.
 */
import { dirname, join } from "node:path";
import { rename, readdir, rm } from "node:fs/promises";
import { UserError } from "../errors.js";
import { thousands } from "../numbers.js";
import type { BackendChoice } from "../runtime/backend.js";
import { leftBehind } from "../runtime/fsutil.js";
import { CHECKPOINT_DIR, readCheckpoint, restoreWeights, sha256, type LoadedCheckpoint } from "./checkpoint.js";
import { checkModel, readModel, withDataDir, type Deps } from "./setup.js";
import { trainInto } from "./train-command.js";

export interface ResumeFlags {
  backend: BackendChoice;
  threads?: number;
  /** Where the run's data are now, when they moved (default: the dataset or directory the run recorded). */
  data?: string;
}

/** Returns the exit status, as `netc train` does. */
export async function resumeCommand(runDir: string, file: string | undefined, flags: ResumeFlags, deps: Deps = {}): Promise<number> {
  const ckpt = await readCheckpoint(runDir);
  const meta = ckpt.json.netc;
  // The run directory, also when RUN_DIR names its checkpoint/ or the checkpoint was left beside it.
  const run = dirname(ckpt.dir);
  const resume = meta.resume;
  if (!resume) {
    throw new UserError(`the checkpoint in ${run} has no resume state (it was saved by netc ${meta.version})`, [`\`netc eval ${run}\` evaluates it; a new \`netc train\` run trains the model again`]);
  }
  let sourcePath = ckpt.sourcePath;
  if (file !== undefined) {
    if (sha256(await readModel(file)) !== meta.sourceSha256) {
      throw new UserError(`${file} is not the model ${run} was trained with (it differs from ${ckpt.sourcePath})`, [
        "leave the file out to resume with the run's own copy, or train the changed model in a new run",
      ]);
    }
    sourcePath = file;
  }
  if (resume.position.epoch >= meta.settings.epochs) {
    const epochs = meta.settings.epochs === 1 ? "its 1 epoch" : `all ${meta.settings.epochs} epochs`;
    throw new UserError(`${run} finished ${epochs}: there is nothing to resume`, [`\`netc eval ${run}\` evaluates it`]);
  }
  const { evalBatch, checked } = checkModel(sourcePath, ckpt.source, meta.bn);
  const { limit, ...recorded } = meta.settings;
  // Every setting as the run recorded it (optimizer, schedule, augmentation, seed); only the data may have moved.
  const settings = withDataDir({ ...recorded, ...(flags.data !== undefined ? { data: flags.data } : {}) });
  return trainInto(
    {
      checked,
      evalBatch,
      source: ckpt.source,
      settings,
      bn: meta.bn,
      ...(limit !== undefined ? { limit } : {}),
      async open(backend, model, { loaded, train }) {
        if (meta.data && (train.count !== meta.data.train || loaded.test.count !== meta.data.test)) {
          throw new UserError(
            `the data have ${thousands(train.count)} training and ${thousands(loaded.test.count)} test examples, the run was trained on ${thousands(meta.data.train)} and ${thousands(meta.data.test)} (from ${meta.data.source})`,
            [`pass the run's data with --data ${meta.data.source}`],
          );
        }
        // The model as the checkpoint left it: weights, the optimizer's state, the dropout seed sequence.
        restoreWeights(backend.tf, model, ckpt, { optimizer: true });
        model.randomState = resume.random;
        await tidyRunDir(run, ckpt);
        const { epoch, batch } = resume.position;
        const at = batch > 0 ? `epoch ${epoch + 1}, batch ${batch + 1}` : `epoch ${epoch + 1}`;
        return { runDir: run, headline: `resuming ${run} at ${at} on ${backend.description}`, plan: `continuing ${run}/`, start: { position: resume.position, points: resume.points } };
      },
    },
    flags,
    deps,
  );
}

/**
 * Puts a checkpoint that a killed write left beside `checkpoint/` back in its place, and removes
 * the other temp files killed writes left in the run directory (the checkpoint in use is whole:
 * readCheckpoint verified it).
 */
async function tidyRunDir(run: string, ckpt: LoadedCheckpoint): Promise<void> {
  if (ckpt.leftBehind) await rename(ckpt.dir, join(run, CHECKPOINT_DIR));
  for (const entry of await readdir(run)) {
    if ([CHECKPOINT_DIR, "metrics.jsonl", "plot.svg", "plot.png"].some((name) => leftBehind(entry, name))) await rm(join(run, entry), { recursive: true, force: true });
  }
}
