/**
 * `netc train FILE`. Loaded by cli.ts with a dynamic import, so commands that never train don't
 * load any of this (nor TensorFlow.js, which backend.ts imports on demand).
 */
import { join } from "node:path";
import { lookupDataset } from "../datasets.js";
import { UserError } from "../errors.js";
import type { BackendChoice } from "../runtime/backend.js";
import { loadDataset } from "../runtime/datasets/load.js";
import { stopBackend } from "../runtime/backend.js";
import type { TrainSettings } from "../train-settings.js";
import { CHECKPOINT_DIR } from "./checkpoint.js";
import { Interrupts } from "./interrupts.js";
import { divergence, finalLines, settingsLine, stopPoint } from "./lines.js";
import { inputLayout } from "./loop.js";
import type { CompiledModel } from "./model.js";
import { Progress } from "./progress.js";
import { runTraining } from "./run.js";
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
      stderr.write(`${network.name}: ${settingsLine(settings, flags.bn)}; writing ${runDir}/\n`);
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
