/**
 * `netc train FILE`. Loaded by cli.ts with a dynamic import, so commands that never train don't
 * load any of this (nor TensorFlow.js, which backend.ts imports on demand).
 */
import { join } from "node:path";
import type { Checked } from "../compile.js";
import { lookupDataset } from "../datasets.js";
import { UserError } from "../errors.js";
import { stopBackend, type Backend, type BackendChoice } from "../runtime/backend.js";
import type { Dataset, Split } from "../runtime/data.js";
import { loadDataset } from "../runtime/datasets/load.js";
import type { TrainSettings } from "../train-settings.js";
import { CHECKPOINT_DIR } from "./checkpoint.js";
import { Interrupts } from "./interrupts.js";
import { divergence, finalLines, settingsLine, stopPoint } from "./lines.js";
import { inputLayout, type LoopSettings } from "./loop.js";
import { checkMemory } from "./memory.js";
import type { CompiledModel } from "./model.js";
import { Progress } from "./progress.js";
import { runTraining, type RunOutcome, type RunSpec } from "./run.js";
import { checkDataFit, checkModel, describeData, limitSplit, loadCompile, makeEmptyDir, makeTimestampedDir, readModel, settingsOf, smallerLr, startBackend, type Bn, type Deps } from "./setup.js";

/** The training settings' flags (`--lr`, `--optimizer`, `--data`, …: train-flags.ts) and the run's own. */
export interface TrainFlags extends Partial<TrainSettings> {
  bn: Bn;
  backend: BackendChoice;
  threads?: number;
  seed: number;
  out?: string;
  limit?: number;
}

/**
 * Returns the exit status: 0 when the run completed, 130 when Ctrl-C stopped it (after saving
 * a checkpoint). Divergence and bad input throw UserErrors (exit 1).
 */
export async function trainCommand(path: string, flags: TrainFlags, deps: Deps = {}): Promise<number> {
  const source = await readModel(path);
  const { evalBatch, checked } = checkModel(path, source, flags.bn);
  const settings = { ...settingsOf(checked.network.train, flags), seed: flags.seed };
  return trainInto(
    {
      checked,
      evalBatch,
      source,
      settings,
      bn: flags.bn,
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      async open(backend) {
        const runDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", checked.network.name, deps.now ?? new Date());
        return { runDir, headline: `training on ${backend.description}`, plan: `writing ${runDir}/` };
      },
    },
    flags,
    deps,
  );
}

/** A run to make or continue: the checked model, its settings, and how its directory opens. */
export interface RunPlan {
  checked: Checked;
  evalBatch: number;
  /** The model file's bytes, kept in the checkpoint. */
  source: Uint8Array;
  settings: LoopSettings;
  bn: Bn;
  limit?: number;
  /**
   * Once the model fits the data and the backend, is compiled and the data are loaded: the run
   * directory (made, or reopened with the model's state restored), the first line for stdout,
   * what the settings line ends with, and where a continued run starts.
   */
  open(backend: Backend, model: CompiledModel, data: { loaded: Dataset; train: Split }): Promise<{ runDir: string; headline: string; plan: string; start?: RunSpec["start"] }>;
}

/** Trains a plan on the backend of the flags: what `netc train` and `--resume` share. */
export async function trainInto(plan: RunPlan, flags: { backend: BackendChoice; threads?: number }, deps: Deps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const { checked, settings } = plan;
  const { network } = checked;
  const progress = new Progress(stderr, settings.epochs);
  const interrupts = new Interrupts(deps.signals ?? process, stderr, deps.exitNow ?? (() => process.exit(130)), () => progress.clear());
  try {
    // A dataset known by name is checked before it is loaded (or downloaded); a directory once read.
    const named = lookupDataset(settings.data);
    if (named) checkDataFit(checked, named, settings.normalize);
    const loaded = await loadDataset(settings.data);
    checkDataFit(checked, loaded, settings.normalize);
    const layout = inputLayout(network.input?.shape, loaded.shape);
    const train = limitSplit(loaded.train, plan.limit);
    const compile = await loadCompile(deps);
    const backend = await startBackend(flags.backend, flags.threads);
    let model: CompiledModel | undefined;
    try {
      checkMemory(network, checked.shapes, settings.batch, backend.name, { mode: "train", bn: plan.bn, optimizer: settings });
      model = compile(backend.tf, network, { bn: plan.bn, seed: settings.seed, optimizer: settings });
      const opened = await plan.open(backend, model, { loaded, train });
      const { runDir } = opened;
      stdout.write(`${opened.headline}\n`);
      stderr.write(`${describeData(loaded, train)}\n`);
      stderr.write(`${network.name}: ${settingsLine(settings, plan.bn)}; ${opened.plan}\n`);
      if (layout.kind === "image" && layout.resize) stderr.write(`images resized to ${layout.height}×${layout.width} for the model's input\n`);

      const outcome = await runTraining({
        tf: backend.tf,
        backend: backend.name,
        network,
        source: plan.source,
        model,
        train,
        test: loaded.test,
        layout,
        settings,
        bn: plan.bn,
        ...(plan.limit !== undefined ? { limit: plan.limit } : {}),
        runDir,
        evalBatch: plan.evalBatch,
        stdout,
        progress,
        interrupts,
        data: { source: loaded.source, train: train.count, test: loaded.test.count },
        ...(opened.start ? { start: opened.start } : {}),
      });
      return endOfRun(outcome, settings, runDir, backend.name, stdout, stderr);
    } finally {
      model?.dispose();
      stopBackend(backend);
    }
  } finally {
    interrupts.dispose();
  }
}

/**
 * What `netc train` prints and returns when a run ends (also when resumed): the seed's last lines
 * and 0; 130 when Ctrl-C stopped it; a UserError when the loss diverged.
 */
function endOfRun(outcome: RunOutcome, settings: LoopSettings, runDir: string, backend: string, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): number {
  const end = outcome.end;
  if (end.kind === "diverged") {
    const kept =
      outcome.checkpointEpoch === null || outcome.checkpointEpoch === 0
        ? `the loss diverged in the first epoch: ${join(runDir, CHECKPOINT_DIR)} holds the initial weights`
        : `the checkpoint of epoch ${outcome.checkpointEpoch} in ${join(runDir, CHECKPOINT_DIR)} is kept`;
    throw new UserError(`${divergence(end, settings.lr)}: try a smaller learning rate, e.g. --lr ${smallerLr(settings.lr)}`, [kept]);
  }
  if (end.kind === "stopped") {
    stderr.write(`interrupted at ${stopPoint(end)}: checkpoint saved in ${join(runDir, CHECKPOINT_DIR)}/ (\`netc train --resume ${runDir}\` continues it, \`netc eval ${runDir}\` evaluates it)\n`);
    return 130;
  }
  for (const line of finalLines(outcome, backend)) stdout.write(`${line}\n`);
  stderr.write(`saved ${runDir}/: ${CHECKPOINT_DIR}/ (model.json, weights.bin, model.net), metrics.jsonl, plot.svg, plot.png\n`);
  return 0;
}
