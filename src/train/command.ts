/**
 * `netc train` and `netc eval`. Loaded by cli.ts with a dynamic import, so commands that never
 * train don't load any of this (nor TensorFlow.js, which backend.ts imports on demand).
 */
import { mkdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { SingleBar } from "cli-progress";
import { checkBytes } from "../compile.js";
import { peakActivation, type ShapeReport } from "../shapes.js";
import { hasErrors } from "../diagnostics.js";
import { UserError } from "../errors.js";
import { VERSION } from "../version.js";
import { pyFixed, thousands } from "../numbers.js";
import type { Network } from "../resolve.js";
import { renderDiagnostic } from "../render.js";
import { initBackend, stopBackend, type Backend, type BackendChoice, type Tf } from "../runtime/backend.js";
import { loadFashionMnist, type FashionMnist, type Split } from "../runtime/data.js";
import { makeEmptyDir, writeFileAtomic } from "../runtime/fsutil.js";
import { writePlot, type MetricPoint } from "../runtime/plot.js";
import { DEFAULT_TRAIN, type TrainSettings } from "../train-settings.js";
import { CHECKPOINT_DIR, decodeWeights, readCheckpoint, saveCheckpoint, sha256, weightMismatches, type CheckpointMeta } from "./checkpoint.js";
import { evaluate, inputLayout, trainLoop, type EpochInfo, type LoopResult, type StepInfo } from "./loop.js";
import type { CompiledModel } from "./model.js";

export type Bn = "scratch" | "builtin";
export type CompileFn = (tf: Tf, network: Network, options: { bn: Bn; seed: number }) => CompiledModel;

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

export interface EvalFlags {
  backend: BackendChoice;
  threads?: number;
  data?: string;
}

/** What tests replace: the lowering, the output streams, the clock. */
export interface Deps {
  compile?: CompileFn;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Start time, for the default run directory's name. */
  now?: Date;
  /** Defaults to `process`; SIGINT handlers are installed on it. */
  signals?: NodeJS.EventEmitter;
  /** Called on a second Ctrl-C (default: `process.exit(130)`). */
  exitNow?: () => void;
}

async function defaultCompile(): Promise<CompileFn> {
  const { compileModel } = await import("./graph.js");
  return compileModel;
}

/** DEFAULT_TRAIN, overridden by the model's `train` header, overridden by flags. */
export function resolveSettings(header: Partial<TrainSettings>, flags: Partial<TrainSettings>): TrainSettings {
  const pick = <K extends keyof TrainSettings>(k: K): TrainSettings[K] => flags[k] ?? header[k] ?? DEFAULT_TRAIN[k];
  return { lr: pick("lr"), epochs: pick("epochs"), batch: pick("batch") };
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Creates the run directory: `--out` (which must be empty or new), else `runs/<model>-<time>`. */
async function makeRunDir(out: string | undefined, model: string, now: Date): Promise<string> {
  if (out !== undefined) {
    await makeEmptyDir(out, "pass a new directory to --out (netc never overwrites a run), or leave --out out for a fresh runs/<model>-<time>");
    return out;
  }
  const base = join("runs", `${model.replace(/[^\w.-]+/g, "_")}-${timestamp(now)}`);
  await mkdir("runs", { recursive: true });
  for (let i = 1; ; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    try {
      await mkdir(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
}

function limitSplit(split: Split, limit: number | undefined): Split {
  if (limit === undefined || limit >= split.count) return split;
  return { images: split.images.subarray(0, limit * 784), labels: split.labels.subarray(0, limit), count: limit };
}

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`, [], 2);
  }
}

function checkModel(path: string, bytes: Uint8Array, bn: Bn): { network: Network; evalBatch: number } {
  const checked = checkBytes(path, bytes, { bn });
  if (hasErrors(checked.diagnostics)) {
    const first = checked.diagnostics.find((d) => d.severity === "error")!;
    throw new UserError(`the model has errors:\n${renderDiagnostic(first, checked.source, { enabled: false })}`, [`\`netc check ${path}\` lists them all`]);
  }
  return { network: checked.network, evalBatch: evalBatchFor(checked.shapes) };
}

/** Floats that two consecutive activations of an evaluation batch may take (256 MB). */
const EVAL_FLOATS = 64 * 2 ** 20;

/**
 * Evaluation batches of 1,000 where they fit: inference holds about two activations at a
 * time, and the wasm backend's memory ends at 4 GB (a 96×96 DenseNet fits ~200 examples).
 */
function evalBatchFor(shapes: ShapeReport): number {
  return Math.max(1, Math.min(1000, Math.floor(EVAL_FLOATS / (2 * Math.max(1, peakActivation(shapes))))));
}

async function startBackend(choice: BackendChoice, threads: number | undefined): Promise<Backend> {
  try {
    return await initBackend(choice, threads === undefined ? {} : { threads });
  } catch (e) {
    throw new UserError((e as Error).message, ["`--backend auto` falls back from tensorflow to wasm to cpu"]);
  }
}

function describeData(data: FashionMnist, train: Split): string {
  const limited = train.count < data.train.count ? ` (the first ${thousands(train.count)} of ${thousands(data.train.count)})` : "";
  return `Fashion-MNIST from ${data.source}: ${thousands(train.count)} training examples${limited}, ${thousands(data.test.count)} test examples`;
}

/** Progress while an epoch runs: a bar on a terminal, nothing otherwise (the epoch lines suffice). */
class Progress {
  private bar: SingleBar | null = null;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly epochs: number,
  ) {}

  get enabled(): boolean {
    return Boolean((this.stream as NodeJS.WriteStream).isTTY);
  }

  step(s: StepInfo): void {
    if (!this.enabled) return;
    const values = { epoch: s.epoch + 1, epochs: this.epochs, loss: pyFixed(s.trainLoss, 3), acc: pyFixed(s.trainAcc, 3), speed: thousands(s.examplesPerSec) };
    if (!this.bar) {
      this.bar = new SingleBar({
        stream: this.stream,
        format: "epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss}  train acc {acc} | {speed} examples/sec | ETA {eta_formatted}",
        barCompleteChar: "█",
        barIncompleteChar: "░",
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      });
      this.bar.start(s.numBatches, s.batch + 1, values);
    } else {
      this.bar.update(s.batch + 1, values);
    }
  }

  /** Removes the bar (before printing a line). */
  clear(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/**
 * `netc train FILE`. Returns the exit status: 0 when the run completed, 130 when Ctrl-C stopped
 * it (after saving a checkpoint). Divergence and bad input throw UserErrors (exit 1).
 */
export async function trainCommand(path: string, flags: TrainFlags, deps: Deps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const signals = deps.signals ?? process;
  const exitNow = deps.exitNow ?? (() => process.exit(130));
  const source = await readModel(path);
  const { network, evalBatch } = checkModel(path, source, flags.bn);
  const layout = inputLayout(network.input?.shape);
  const settings = resolveSettings(network.train, { lr: flags.lr, epochs: flags.epochs, batch: flags.batch });
  const loopSettings = { ...settings, seed: flags.seed };

  // Ctrl-C: before training, quit at once; during it, finish the step and save; twice, quit.
  let training = false;
  let interrupts = 0;
  const progress = new Progress(stderr, settings.epochs);
  // A second Ctrl-C exits at once, except while a checkpoint is being swapped in: then it
  // exits right after, so the run directory always holds a whole checkpoint.
  let saving = false;
  let exitWhenSaved = false;
  const whileSaving = async <T>(write: () => Promise<T>): Promise<T> => {
    saving = true;
    try {
      return await write();
    } finally {
      saving = false;
      if (exitWhenSaved) exitNow();
    }
  };
  const onSigint = () => {
    interrupts++;
    progress.clear();
    if (training && interrupts > 1 && saving) {
      stderr.write("\ninterrupted again: exiting as soon as the checkpoint being written is complete\n");
      exitWhenSaved = true;
      return;
    }
    if (!training || interrupts > 1) {
      stderr.write(training ? "\ninterrupted again: exiting now (the last saved checkpoint stays intact)\n" : "\ninterrupted\n");
      exitNow();
      return;
    }
    stderr.write("\ninterrupted: saving a checkpoint after the current step (Ctrl-C again to quit at once)\n");
  };
  signals.on("SIGINT", onSigint);
  try {
    const loaded = await loadFashionMnist({ dir: flags.data });
    const train = limitSplit(loaded.train, flags.limit);
    const compile = deps.compile ?? (await defaultCompile());
    const backend = await startBackend(flags.backend, flags.threads);
    const { tf } = backend;
    let built: CompiledModel | undefined;
    try {
      const model = (built = compile(tf, network, { bn: flags.bn, seed: flags.seed }));
      const runDir = await makeRunDir(flags.out, network.name, deps.now ?? new Date());
      stdout.write(`training on ${backend.description}\n`);
      stderr.write(`${describeData(loaded, train)}\n`);
      stderr.write(`${network.name}: lr ${settings.lr}, ${settings.epochs} epoch${settings.epochs === 1 ? "" : "s"}, batch ${settings.batch}, bn ${flags.bn}, seed ${flags.seed}; writing ${runDir}/\n`);
      if (layout.kind === "image" && layout.resize) stderr.write(`images resized to ${layout.height}×${layout.width} for the model's input\n`);

      const points: MetricPoint[] = [];
      const meta = (epoch: number, batch: number, testAcc?: number): CheckpointMeta => ({
        version: VERSION,
        model: network.name,
        epoch,
        batch,
        ...(testAcc !== undefined ? { testAcc } : {}),
        settings: { ...loopSettings, ...(flags.limit !== undefined ? { limit: flags.limit } : {}) },
        bn: flags.bn,
        backend: backend.name,
        sourceSha256: sha256(source),
        savedAt: new Date().toISOString(),
      });
      let checkpointEpoch: number | null = null;
      const saveMetrics = async () => {
        await writeFileAtomic(join(runDir, "metrics.jsonl"), points.map((p) => JSON.stringify(p) + "\n").join(""));
        await writePlot(runDir, points, {
          title: network.name,
          epochs: settings.epochs,
          subtitle: `lr ${settings.lr}, batch ${settings.batch}, bn ${flags.bn}, ${backend.name}${flags.limit !== undefined ? `, first ${thousands(train.count)} examples` : ""}`,
        });
      };
      const onEpoch = async (e: EpochInfo) => {
        progress.clear();
        stdout.write(
          `epoch ${e.epoch}/${settings.epochs}  loss ${pyFixed(e.trainLoss, 3)}  train acc ${pyFixed(e.trainAcc, 3)}  test acc ${pyFixed(e.testAcc, 3)}  ${thousands(e.examplesPerSec)} examples/sec\n`,
        );
        await whileSaving(() => saveCheckpoint(tf, runDir, model.weights(), source, meta(e.epoch, 0, e.testAcc)));
        checkpointEpoch = e.epoch;
        await saveMetrics();
      };

      training = true;
      let result: LoopResult;
      try {
        result = await trainLoop({
          tf,
          model,
          train,
          test: loaded.test,
          layout,
          settings: loopSettings,
          evalBatch,
          hooks: {
            onStep: (s) => progress.step(s),
            onPoint: (p) => points.push(p),
            onEpoch,
            shouldStop: () => interrupts > 0,
          },
        });
      } finally {
        progress.clear();
      }

      const end = result.end;
      if (end.kind === "diverged") {
        await saveMetrics();
        const kept =
          checkpointEpoch === null
            ? "no checkpoint was saved (the loss diverged in the first epoch)"
            : `the checkpoint of epoch ${checkpointEpoch} in ${join(runDir, CHECKPOINT_DIR)} is kept`;
        throw new UserError(
          `loss became ${Number.isNaN(end.loss) ? "NaN" : end.loss > 0 ? "Infinity" : "-Infinity"} at epoch ${end.epoch + 1}, batch ${end.batch + 1} (lr ${settings.lr}): try a smaller learning rate, e.g. --lr ${smallerLr(settings.lr)}`,
          [kept],
        );
      }
      if (end.kind === "stopped") {
        const where = end.batch > 0 ? `epoch ${end.epoch + 1}, batch ${end.batch}` : `the end of epoch ${end.epoch}`;
        const dir = join(runDir, CHECKPOINT_DIR);
        // Stopped between epochs: the epoch's checkpoint, just saved, is the current state.
        if (end.batch > 0 || checkpointEpoch !== end.epoch) {
          await whileSaving(() => saveCheckpoint(tf, runDir, model.weights(), source, meta(end.epoch, end.batch)));
          await saveMetrics();
        }
        stderr.write(`interrupted at ${where}: checkpoint saved in ${dir}/ (\`netc eval ${runDir}\` evaluates it)\n`);
        return 130;
      }
      // The seed's last two lines, in its format.
      stdout.write(`loss ${pyFixed(result.trainLoss, 3)}, train acc ${pyFixed(result.trainAcc, 3)}, test acc ${pyFixed(result.testAcc, 3)}\n`);
      stdout.write(`${pyFixed(result.examplesPerSec, 1)} examples/sec on ${backend.name}\n`);
      stderr.write(`saved ${runDir}/: ${CHECKPOINT_DIR}/ (model.json, weights.bin, model.net), metrics.jsonl, plot.svg, plot.png\n`);
      return 0;
    } finally {
      built?.dispose();
      stopBackend(backend);
    }
  } finally {
    signals.off("SIGINT", onSigint);
  }
}

/** A learning rate a tenth of `lr`, written short. */
function smallerLr(lr: number): string {
  return String(Number((lr / 10).toPrecision(3)));
}

/** `netc eval RUN_DIR`: the test accuracy of a saved checkpoint. Returns the exit status. */
export async function evalCommand(runDir: string, flags: EvalFlags, deps: Deps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const ckpt = await readCheckpoint(runDir);
  const meta = ckpt.json.netc;
  const { network, evalBatch } = checkModel(ckpt.sourcePath, ckpt.source, meta.bn);
  const layout = inputLayout(network.input?.shape);
  const data = await loadFashionMnist({ dir: flags.data });
  const compile = deps.compile ?? (await defaultCompile());
  const backend = await startBackend(flags.backend, flags.threads);
  const { tf } = backend;
  let built: CompiledModel | undefined;
  try {
    const model = (built = compile(tf, network, { bn: meta.bn, seed: meta.settings.seed }));
    const problems = weightMismatches(model.weights(), ckpt.json.weightsManifest[0]!.weights);
    if (problems.length) {
      const shown = problems.slice(0, 8).map((p) => `  ${p}`);
      if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
      throw new UserError(`the weights in ${relative(".", ckpt.dir) || "."} do not fit the compiled model:\n${shown.join("\n")}`, [
        "the checkpoint was saved by a netc whose lowering named or shaped the weights differently; train again",
      ]);
    }
    const weights = decodeWeights(tf, ckpt);
    try {
      model.setWeights(weights);
    } finally {
      tf.dispose(Object.values(weights));
    }
    const at = meta.batch > 0 ? `epoch ${meta.epoch} + ${meta.batch} batches` : `epoch ${meta.epoch}`;
    stdout.write(`evaluating ${meta.model} (${at}) on ${backend.description}\n`);
    stderr.write(`Fashion-MNIST from ${data.source}: ${thousands(data.test.count)} test examples\n`);
    const result = await evaluate(tf, model, data.test, layout, { batchSize: evalBatch });
    stdout.write(`test acc ${pyFixed(result.accuracy, 3)} (${thousands(result.correct)}/${thousands(result.count)} correct)\n`);
    stdout.write(`${pyFixed(result.count / result.seconds, 1)} examples/sec on ${backend.name}\n`);
    return 0;
  } finally {
    built?.dispose();
    stopBackend(backend);
  }
}
