/**
 * `netc compare`: several runs, one picture. Given model files, it trains every combination of
 * the models and the swept settings one after another, each into a normal run directory inside
 * one comparison directory; given run directories, it only reads them. Either way it ends with
 * the final-metrics table, `summary.json` and the overlay plot (compare-report.ts).
 */
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Checked } from "../compile.js";
import { lookupDataset } from "../datasets.js";
import { UserError } from "../errors.js";
import { stopBackend, type BackendChoice } from "../runtime/backend.js";
import type { Dataset } from "../runtime/data.js";
import { loadDataset } from "../runtime/datasets/load.js";
import { writeFileAtomic } from "../runtime/fsutil.js";
import { figureSvg } from "../runtime/plot.js";
import { writeSvgPng } from "../runtime/svg-files.js";
import { isSweepable } from "../train-flags.js";
import { TRAIN_ARGS, type TrainSettings } from "../train-settings.js";
import { compareFigure, compareTable, lrFigure, readRun, runDirName, runRecord, summaryJson, varyingKeys, withDefaults, type RunDescription, type RunRecord } from "./compare-report.js";
import { CHECKPOINT_DIR } from "./checkpoint.js";
import { Interrupts } from "./interrupts.js";
import { lossDivergence, settingsLine } from "./lines.js";
import { inputLayout } from "./loop.js";
import type { CompiledModel } from "./model.js";
import { Progress } from "./progress.js";
import { runTraining, type RunOutcome } from "./run.js";
import { checkDataFit, checkModel, describeData, limitSplit, loadCompile, makeEmptyDir, makeTimestampedDir, readModel, settingsOf, startBackend, type Bn, type Deps } from "./setup.js";

/**
 * `netc train`'s setting flags (train-flags.ts); those that take one number or word (`--lr`,
 * `--optimizer`, …) are lists here, and every combination of their values runs.
 */
export type SettingFlags = { [K in keyof TrainSettings]?: TrainSettings[K] | TrainSettings[K][] };

export interface CompareFlags extends SettingFlags {
  /** Sweeps, as the settings' lists. */
  bn?: Bn[];
  seed?: number[];
  backend: BackendChoice;
  threads?: number;
  out?: string;
  limit?: number;
  /** `lr`: also draw the final test accuracy against the learning rate. */
  plot?: "lr";
}

/** Returns the exit status: 0 when every run finished (diverged ones included), 130 after Ctrl-C. */
export async function compareCommand(inputs: string[], flags: CompareFlags, deps: Deps = {}): Promise<number> {
  const kinds = await Promise.all(inputs.map(inputKind));
  if (kinds.every((k) => k === "directory")) return compareRunDirs(inputs, flags, deps);
  if (kinds.every((k) => k === "file")) return compareModels(inputs, flags, deps);
  throw new UserError("give either model files to train or run directories to compare, not both", ["`netc compare a.net b.net --lr 0.3,1` trains; `netc compare runs/a runs/b` compares finished runs"], 2);
}

async function inputKind(path: string): Promise<"file" | "directory"> {
  const s = await stat(path).catch(() => {
    throw new UserError(`${path}: no such file or directory`, [], 2);
  });
  return s.isDirectory() ? "directory" : "file";
}

/** The flags that only apply when training. */
const TRAINING_FLAGS = [...TRAIN_ARGS.map((a) => a.name), "bn", "seed", "limit"] as (keyof CompareFlags)[];

/** Existing runs: read, tabulate, draw. A comparison's own directory stands for its runs. */
async function compareRunDirs(dirs: string[], flags: CompareFlags, deps: Deps): Promise<number> {
  const given = TRAINING_FLAGS.filter((f) => flags[f] !== undefined);
  if (given.length) {
    throw new UserError(`--${given[0]} applies when training models; run directories are only read`, ["pass model files to train them with other settings"], 2);
  }
  const runDirs = (await Promise.all(dirs.map(expandComparison))).flat();
  const runs = await Promise.all(runDirs.map((r) => readRun(r.dir, r.known)));
  checkLrPlot(flags, runs);
  const outDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", "compare", deps.now ?? new Date());
  const written = await writeReport(outDir, runs, flags);
  (deps.stdout ?? process.stdout).write(compareTable(runs) + "\n");
  (deps.stderr ?? process.stderr).write(`saved ${outDir}/: ${written.join(", ")}\n`);
  return 0;
}

/**
 * A directory holding a comparison's `summary.json` (and no checkpoint) means the runs it
 * lists, with the settings it recorded for them.
 */
async function expandComparison(dir: string): Promise<{ dir: string; known?: RunDescription }[]> {
  const text = await readFile(join(dir, "summary.json"), "utf8").catch(() => undefined);
  const hasCheckpoint = await stat(join(dir, CHECKPOINT_DIR)).then(() => true, () => false);
  if (text === undefined || hasCheckpoint) return [{ dir }];
  let summary: ReturnType<typeof summaryJson>;
  try {
    summary = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${join(dir, "summary.json")} is not valid JSON: ${(e as Error).message}`);
  }
  if (summary.format !== "netc-compare" || !Array.isArray(summary.runs)) return [{ dir }];
  return summary.runs.map((r) => ({ dir: join(dir, r.dir), known: { model: r.model, settings: withDefaults(r.settings), ...(r.backend ? { backend: r.backend } : {}) } }));
}

function checkLrPlot(flags: CompareFlags, runs: readonly RunDescription[]): void {
  if (flags.plot === "lr" && new Set(runs.map((r) => r.settings.lr)).size < 2) {
    throw new UserError("--plot lr needs runs with at least two learning rates", ["e.g. `--lr 0.1,0.3,1,3`"], 2);
  }
}

interface PlannedRun extends RunDescription {
  path: string;
  source: Uint8Array;
  checked: Checked;
  evalBatch: number;
}

/** Every combination of the swept settings' values, the first setting's outermost. */
function settingCombinations(flags: CompareFlags): Partial<TrainSettings>[] {
  const fixed: Partial<TrainSettings> = Object.fromEntries(TRAIN_ARGS.filter((a) => !isSweepable(a)).map((a) => [a.name, flags[a.name as keyof TrainSettings]]));
  let combinations = [fixed];
  for (const spec of TRAIN_ARGS.filter(isSweepable)) {
    const values = flags[spec.name as keyof TrainSettings] as unknown[] | undefined;
    if (values !== undefined) combinations = combinations.flatMap((c) => values.map((v) => ({ ...c, [spec.name]: v })));
  }
  return combinations;
}

/** Every (model × settings) combination, models outermost; a model that cannot train stops it before any run. */
async function plan(paths: string[], flags: CompareFlags): Promise<PlannedRun[]> {
  const runs: PlannedRun[] = [];
  const combinations = settingCombinations(flags);
  for (const path of paths) {
    const source = await readModel(path);
    const checked = new Map((flags.bn ?? ["scratch"]).map((bn) => [bn, checkModel(path, source, bn)]));
    for (const given of combinations)
      for (const [bn, { checked: model, network, evalBatch }] of checked)
        for (const seed of flags.seed ?? [0]) {
          const settings = withPath(path, () => settingsOf(network.train, given));
          // A dataset known by name is checked before anything is loaded (or downloaded).
          const named = lookupDataset(settings.data);
          if (named) withPath(path, () => checkDataFit(model, named, settings.normalize));
          runs.push({ path, source, checked: model, evalBatch, model: network.name, settings: { ...settings, seed, bn, ...(flags.limit !== undefined ? { limit: flags.limit } : {}) } });
        }
  }
  return runs;
}

/** Each dataset the runs train on, loaded once; every model checked against its data before any run. */
async function loadData(runs: readonly PlannedRun[]): Promise<Map<string, Dataset>> {
  const loaded = new Map<string, Dataset>();
  for (const run of runs) {
    let data = loaded.get(run.settings.data);
    if (!data) loaded.set(run.settings.data, (data = await loadDataset(run.settings.data)));
    withPath(run.path, () => checkDataFit(run.checked, data, run.settings.normalize));
  }
  return loaded;
}

/** Runs `f`, naming the model file in its error: a comparison has several. */
function withPath<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`${path}: ${e.message}`, e.hints, e.exitCode);
    throw e;
  }
}

async function compareModels(paths: string[], flags: CompareFlags, deps: Deps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const planned = await plan(paths, flags);
  checkLrPlot(flags, planned);
  const varying = varyingKeys(planned);
  let progress: Progress | undefined;
  const interrupts = new Interrupts(deps.signals ?? process, stderr, deps.exitNow ?? (() => process.exit(130)), () => progress?.clear());
  try {
    const datasets = await loadData(planned);
    const compile = await loadCompile(deps);
    const backend = await startBackend(flags.backend, flags.threads);
    try {
      const outDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", "compare", deps.now ?? new Date());
      stdout.write(`comparing ${planned.length} run${planned.length === 1 ? "" : "s"} on ${backend.description}\n`);
      for (const data of datasets.values()) stderr.write(`${describeData(data, limitSplit(data.train, flags.limit))}\n`);
      stderr.write(`writing ${outDir}/\n`);
      const finished: RunRecord[] = [];
      let written: string[] = [];
      for (const [i, run] of planned.entries()) {
        if (interrupts.requested) break;
        const tag = `[${i + 1}/${planned.length}] `;
        const runDir = join(outDir, runDirName(i, planned.length, run, varying));
        await mkdir(runDir);
        const { settings } = run;
        const data = datasets.get(settings.data)!;
        stderr.write(`${tag}${run.model}: ${settingsLine(settings, settings.bn)}; writing ${runDir}/\n`);
        const layout = inputLayout(run.checked.network.input?.shape, data.shape);
        if (layout.kind === "image" && layout.resize) stderr.write(`${tag}images resized to ${layout.height}×${layout.width} for the model's input\n`);
        progress = new Progress(stderr, settings.epochs, `run ${i + 1}/${planned.length} `);
        let model: CompiledModel | undefined;
        let outcome: RunOutcome;
        try {
          const { limit, bn, ...loopSettings } = settings;
          model = compile(backend.tf, run.checked.network, { bn, seed: settings.seed, optimizer: settings });
          outcome = await runTraining({
            tf: backend.tf,
            backend: backend.name,
            network: run.checked.network,
            source: run.source,
            model,
            train: limitSplit(data.train, limit),
            test: data.test,
            layout,
            settings: loopSettings,
            bn,
            ...(limit !== undefined ? { limit } : {}),
            runDir,
            evalBatch: run.evalBatch,
            stdout,
            progress,
            interrupts,
            linePrefix: tag,
          });
        } finally {
          model?.dispose();
        }
        const end = outcome.end;
        if (end.kind === "diverged") {
          stderr.write(`${tag}diverged: the loss ${lossDivergence(end.loss)} at epoch ${end.epoch + 1}, batch ${end.batch + 1}; marked in the table, going on\n`);
        }
        finished.push(runRecord(runDir, { model: run.model, settings, backend: backend.name }, outcome.points, end.kind === "done"));
        // Written after every run, so a comparison cut short still has its summary.
        written = await writeReport(outDir, finished, flags);
        if (end.kind === "stopped") break;
      }
      if (finished.length) {
        stdout.write(compareTable(finished) + "\n");
        stderr.write(`saved ${outDir}/: ${written.join(", ")}\n`);
      }
      if (interrupts.requested) {
        stderr.write(`interrupted: ${finished.length} of ${planned.length} run${planned.length === 1 ? "" : "s"} in the summary (a stopped run keeps its last checkpoint)\n`);
        return 130;
      }
      return 0;
    } finally {
      stopBackend(backend);
    }
  } finally {
    interrupts.dispose();
  }
}

/** Writes `summary.json`, `compare.svg`/`.png` and, with `--plot lr`, `lr.svg`/`.png` into `outDir`; returns their names. */
async function writeReport(outDir: string, runs: RunRecord[], flags: CompareFlags): Promise<string[]> {
  await writeFileAtomic(join(outDir, "summary.json"), JSON.stringify(summaryJson(runs, outDir), null, 2) + "\n");
  await writeSvgPng(outDir, "compare", figureSvg(compareFigure(runs)));
  const written = ["summary.json", "compare.svg", "compare.png"];
  // Until a second learning rate has run, there is no line to draw.
  if (flags.plot === "lr" && new Set(runs.map((r) => r.settings.lr)).size > 1) {
    await writeSvgPng(outDir, "lr", figureSvg(lrFigure(runs)));
    written.push("lr.svg", "lr.png");
  }
  return written;
}
