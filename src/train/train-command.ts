/**
 * `netc train FILE`. Loaded by cli.ts with a dynamic import, so commands that never train don't
 * load any of this (nor TensorFlow.js, which backend.ts imports on demand).
 */
import { join } from "node:path";
import { UserError } from "../errors.js";
import { pyFixed } from "../numbers.js";
import type { Network } from "../resolve.js";
import { stopBackend, type Backend, type BackendChoice } from "../runtime/backend.js";
import { loadFashionMnist, type Split } from "../runtime/data.js";
import type { ShapeReport } from "../shapes.js";
import { resolveSettings } from "../train-settings.js";
import { CHECKPOINT_DIR } from "./checkpoint.js";
import { Interrupts } from "./interrupts.js";
import { checkMemory } from "./memory.js";
import { inputLayout, type LoopSettings } from "./loop.js";
import type { CompiledModel } from "./model.js";
import { Progress } from "./progress.js";
import { runTraining, type RunOutcome, type RunSpec } from "./run.js";
import { checkModel, describeData, limitSplit, loadCompile, makeEmptyDir, makeTimestampedDir, readModel, smallerLr, startBackend, type Bn, type Deps } from "./setup.js";

export interface TrainFlags {
  epochs?: number;
  lr?: number;
  batch?: number;
  bn: Bn;
  backend: BackendChoice;
  threads?: number;
  data?: string;
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
  const { network, shapes, evalBatch } = checkModel(path, source, flags.bn);
  const settings = { ...resolveSettings(network.train, { lr: flags.lr, epochs: flags.epochs, batch: flags.batch }), seed: flags.seed };
  return trainInto(
    {
      network,
      shapes,
      evalBatch,
      source,
      settings,
      bn: flags.bn,
      ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
      async open(backend) {
        const runDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", network.name, deps.now ?? new Date());
        return { runDir, headline: `training on ${backend.description}`, plan: `writing ${runDir}/` };
      },
    },
    flags,
    deps,
  );
}

/** A run to make or continue: the checked model, its settings, and how its directory opens. */
export interface RunPlan {
  network: Network;
  shapes: ShapeReport;
  evalBatch: number;
  /** The model file's bytes, kept in the checkpoint. */
  source: Uint8Array;
  settings: LoopSettings;
  bn: Bn;
  limit?: number;
  /**
   * Once the model fits the backend, is compiled and the data are loaded: the run directory
   * (made, or reopened with the model's state restored), the first line for stdout, what the
   * settings line ends with, and where a continued run starts.
   */
  open(backend: Backend, model: CompiledModel, data: { train: Split; test: Split }): Promise<{ runDir: string; headline: string; plan: string; start?: RunSpec["start"] }>;
}

/** Trains a plan on the backend and data of the flags: what `netc train` and `--resume` share. */
export async function trainInto(plan: RunPlan, flags: { backend: BackendChoice; threads?: number; data?: string }, deps: Deps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const { network, settings } = plan;
  const layout = inputLayout(network.input?.shape);
  const progress = new Progress(stderr, settings.epochs);
  const interrupts = new Interrupts(deps.signals ?? process, stderr, deps.exitNow ?? (() => process.exit(130)), () => progress.clear());
  try {
    const compile = await loadCompile(deps);
    const backend = await startBackend(flags.backend, flags.threads);
    let model: CompiledModel | undefined;
    try {
      checkMemory(network, plan.shapes, settings.batch, backend.name, "train", plan.bn);
      const loaded = await loadFashionMnist({ dir: flags.data });
      const train = limitSplit(loaded.train, plan.limit);
      model = compile(backend.tf, network, { bn: plan.bn, seed: settings.seed });
      const opened = await plan.open(backend, model, { train, test: loaded.test });
      const { runDir } = opened;
      stdout.write(`${opened.headline}\n`);
      stderr.write(`${describeData(loaded, train)}\n`);
      stderr.write(`${network.name}: lr ${settings.lr}, ${settings.epochs} epoch${settings.epochs === 1 ? "" : "s"}, batch ${settings.batch}, bn ${plan.bn}, seed ${settings.seed}; ${opened.plan}\n`);
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
        dataSource: loaded.source,
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
export function endOfRun(outcome: RunOutcome, settings: LoopSettings, runDir: string, backend: string, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): number {
  const end = outcome.end;
  if (end.kind === "diverged") {
    const kept =
      outcome.checkpointEpoch === null || outcome.checkpointEpoch === 0
        ? `the loss diverged in the first epoch: ${join(runDir, CHECKPOINT_DIR)} holds the initial weights`
        : `the checkpoint of epoch ${outcome.checkpointEpoch} in ${join(runDir, CHECKPOINT_DIR)} is kept`;
    throw new UserError(
      `loss became ${Number.isNaN(end.loss) ? "NaN" : end.loss > 0 ? "Infinity" : "-Infinity"} at epoch ${end.epoch + 1}, batch ${end.batch + 1} (lr ${settings.lr}): try a smaller learning rate, e.g. --lr ${smallerLr(settings.lr)}`,
      [kept],
    );
  }
  if (end.kind === "stopped") {
    const where = end.batch > 0 ? `epoch ${end.epoch + 1}, batch ${end.batch}` : `the end of epoch ${end.epoch}`;
    stderr.write(`interrupted at ${where}: checkpoint saved in ${join(runDir, CHECKPOINT_DIR)}/ (\`netc train --resume ${runDir}\` continues it, \`netc eval ${runDir}\` evaluates it)\n`);
    return 130;
  }
  // The seed's last two lines, in its format.
  stdout.write(`loss ${pyFixed(outcome.trainLoss, 3)}, train acc ${pyFixed(outcome.trainAcc, 3)}, test acc ${pyFixed(outcome.testAcc, 3)}\n`);
  stdout.write(`${pyFixed(outcome.examplesPerSec, 1)} examples/sec on ${backend}\n`);
  stderr.write(`saved ${runDir}/: ${CHECKPOINT_DIR}/ (model.json, weights.bin, model.net), metrics.jsonl, plot.svg, plot.png\n`);
  return 0;
}
