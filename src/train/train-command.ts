/**
 * `netc train FILE`. Loaded by cli.ts with a dynamic import, so commands that never train don't
 * load any of this (nor TensorFlow.js, which backend.ts imports on demand).
 */
import { join } from "node:path";
import { UserError } from "../errors.js";
import { pyFixed } from "../numbers.js";
import type { BackendChoice } from "../runtime/backend.js";
import { loadFashionMnist } from "../runtime/data.js";
import { stopBackend } from "../runtime/backend.js";
import { resolveSettings } from "../train-settings.js";
import { CHECKPOINT_DIR } from "./checkpoint.js";
import { Interrupts } from "./interrupts.js";
import { checkMemory } from "./memory.js";
import { inputLayout, type LoopSettings } from "./loop.js";
import type { CompiledModel } from "./model.js";
import { Progress } from "./progress.js";
import { runTraining, type RunOutcome } from "./run.js";
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
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const source = await readModel(path);
  const { network, shapes, evalBatch } = checkModel(path, source, flags.bn);
  const layout = inputLayout(network.input?.shape);
  const settings = { ...resolveSettings(network.train, { lr: flags.lr, epochs: flags.epochs, batch: flags.batch }), seed: flags.seed };
  const progress = new Progress(stderr, settings.epochs);
  const interrupts = new Interrupts(deps.signals ?? process, stderr, deps.exitNow ?? (() => process.exit(130)), () => progress.clear());
  try {
    const compile = await loadCompile(deps);
    const backend = await startBackend(flags.backend, flags.threads);
    let model: CompiledModel | undefined;
    try {
      checkMemory(network, shapes, settings.batch, backend.name, "train", flags.bn);
      const loaded = await loadFashionMnist({ dir: flags.data });
      const train = limitSplit(loaded.train, flags.limit);
      model = compile(backend.tf, network, { bn: flags.bn, seed: flags.seed });
      const runDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", network.name, deps.now ?? new Date());
      stdout.write(`training on ${backend.description}\n`);
      stderr.write(`${describeData(loaded, train)}\n`);
      stderr.write(`${network.name}: lr ${settings.lr}, ${settings.epochs} epoch${settings.epochs === 1 ? "" : "s"}, batch ${settings.batch}, bn ${flags.bn}, seed ${flags.seed}; writing ${runDir}/\n`);
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
        dataSource: loaded.source,
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
      outcome.checkpointEpoch === null
        ? "no checkpoint was saved (the loss diverged in the first epoch)"
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
