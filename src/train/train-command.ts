/**
 * `netc train FILE`. Loaded by cli.ts with a dynamic import, so commands that never train don't
 * load any of this (nor TensorFlow.js, which backend.ts imports on demand).
 */
import { join, resolve } from "node:path";
import { isDatasetName, lookupDataset } from "../datasets.js";
import { UserError } from "../errors.js";
import type { BackendChoice } from "../runtime/backend.js";
import { loadDataset } from "../runtime/datasets/load.js";
import { stopBackend } from "../runtime/backend.js";
import { mergeGiven, preprocessSummary, resolveSettings, settingsProblems, TRAIN_ARGS, updateSummary, type TrainSettings } from "../train-settings.js";
import { CHECKPOINT_DIR } from "./checkpoint.js";
import { Interrupts } from "./interrupts.js";
import { divergence, finalLines, stopPoint } from "./lines.js";
import { inputLayout } from "./loop.js";
import type { CompiledModel } from "./model.js";
import { Progress } from "./progress.js";
import { runTraining } from "./run.js";
import { checkDataFit, checkModel, describeData, limitSplit, loadCompile, makeEmptyDir, makeTimestampedDir, readModel, smallerLr, startBackend, type Bn, type Deps } from "./setup.js";

/** The training settings' flags (`--lr`, `--optimizer`, `--data`, …: train-flags.ts) and the run's own. */
export interface TrainFlags extends Partial<TrainSettings> {
  bn: Bn;
  backend: BackendChoice;
  threads?: number;
  seed: number;
  out?: string;
  limit?: number;
}

/** The settings of flags over the model's header; a rule broken between them is a UserError naming where each came from. */
function settingsOf(header: Partial<TrainSettings>, flags: TrainFlags): TrainSettings {
  const own: Partial<TrainSettings> = Object.fromEntries(TRAIN_ARGS.map((a) => [a.name, flags[a.name as keyof TrainSettings]]));
  const problems = settingsProblems(mergeGiven(header, own));
  if (problems.length > 0) {
    const where = (key: string) => (own[key as keyof TrainSettings] !== undefined ? `--${key}` : "the model's `train` header");
    const [first] = problems;
    throw new UserError(`${where(first!.key)}: ${first!.message}`, [first!.hint, ...problems.slice(1).map((p) => `also (${where(p.key)}): ${p.message}`)], 2);
  }
  const settings = resolveSettings(header, own);
  // A directory is recorded absolute, so that `netc eval` finds it from anywhere.
  return isDatasetName(settings.data) ? settings : { ...settings, data: resolve(settings.data) };
}

/**
 * Returns the exit status: 0 when the run completed, 130 when Ctrl-C stopped it (after saving
 * a checkpoint). Divergence and bad input throw UserErrors (exit 1).
 */
export async function trainCommand(path: string, flags: TrainFlags, deps: Deps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const source = await readModel(path);
  const { network, evalBatch, checked } = checkModel(path, source, flags.bn);
  const settings = { ...settingsOf(network.train, flags), seed: flags.seed };
  const progress = new Progress(stderr, settings.epochs);
  const interrupts = new Interrupts(deps.signals ?? process, stderr, deps.exitNow ?? (() => process.exit(130)), () => progress.clear());
  try {
    // A dataset known by name is checked before it is loaded (or downloaded); a directory once read.
    const named = lookupDataset(settings.data);
    if (named) checkDataFit(checked, named, settings.normalize);
    const loaded = await loadDataset(settings.data);
    checkDataFit(checked, loaded, settings.normalize);
    const layout = inputLayout(network.input?.shape, loaded.shape);
    const train = limitSplit(loaded.train, flags.limit);
    const compile = await loadCompile(deps);
    const backend = await startBackend(flags.backend, flags.threads);
    let model: CompiledModel | undefined;
    try {
      model = compile(backend.tf, network, { bn: flags.bn, seed: flags.seed, optimizer: settings });
      const runDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", network.name, deps.now ?? new Date());
      stdout.write(`training on ${backend.description}\n`);
      stderr.write(`${describeData(loaded, train)}\n`);
      const preprocess = preprocessSummary(settings);
      stderr.write(
        `${network.name}: ${updateSummary(settings)}, ${settings.epochs} epoch${settings.epochs === 1 ? "" : "s"}, batch ${settings.batch}${preprocess ? `, ${preprocess}` : ""}, bn ${flags.bn}, seed ${flags.seed}; writing ${runDir}/\n`,
      );
      if (layout.kind === "image" && layout.resize) stderr.write(`images resized to ${layout.height}×${layout.width} for the model's input\n`);

      const outcome = await runTraining({
        tf: backend.tf,
        backend: backend.name,
        network,
        source,
        model,
        train,
        test: loaded.test,
        layout,
        settings,
        bn: flags.bn,
        ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        runDir,
        evalBatch,
        stdout,
        progress,
        interrupts,
      });
      const end = outcome.end;
      if (end.kind === "diverged") {
        const kept =
          outcome.checkpointEpoch === null
            ? "no checkpoint was saved (the loss diverged in the first epoch)"
            : `the checkpoint of epoch ${outcome.checkpointEpoch} in ${join(runDir, CHECKPOINT_DIR)} is kept`;
        throw new UserError(
          `${divergence(end, settings.lr)}: try a smaller learning rate, e.g. --lr ${smallerLr(settings.lr)}`,
          [kept],
        );
      }
      if (end.kind === "stopped") {
        stderr.write(`interrupted at ${stopPoint(end)}: checkpoint saved in ${join(runDir, CHECKPOINT_DIR)}/ (\`netc eval ${runDir}\` evaluates it)\n`);
        return 130;
      }
      for (const line of finalLines(outcome, backend.name)) stdout.write(`${line}\n`);
      stderr.write(`saved ${runDir}/: ${CHECKPOINT_DIR}/ (model.json, weights.bin, model.net), metrics.jsonl, plot.svg, plot.png\n`);
      return 0;
    } finally {
      model?.dispose();
      stopBackend(backend);
    }
  } finally {
    interrupts.dispose();
  }
}
