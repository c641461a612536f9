/**
 * What every command that trains or evaluates does first: read and check the model, start a
 * backend, load the lowering. Each command (train, eval, …) has its own small file and calls these.
 */
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { checkBytes, type Checked } from "../compile.js";
import { dataFitDiagnostics, normalizeProblem } from "../data-fit.js";
import { hasErrors } from "../diagnostics.js";
import { UserError } from "../errors.js";
import { thousands } from "../numbers.js";
import { renderDiagnostic } from "../render.js";
import type { Network } from "../resolve.js";
import { initBackend, type Backend, type BackendChoice, type Tf } from "../runtime/backend.js";
import { isDatasetName, type DataFacts } from "../datasets.js";
import type { Dataset, Split } from "../runtime/data.js";
import { mergeGiven, resolveSettings, settingsProblems, TRAIN_ARGS, type TrainSettings } from "../train-settings.js";
import { evalBatchFor } from "./loop.js";
import type { CompiledModel } from "./model.js";
import type { OptimizerSettings } from "./optimizers.js";

export { limitSplit } from "../runtime/data.js";
export { smallerLr } from "./lines.js";

export type Bn = "scratch" | "builtin";
export type CompileFn = (tf: Tf, network: Network, options: { bn: Bn; seed: number; optimizer?: OptimizerSettings }) => CompiledModel;

/** What tests replace: the lowering, the output streams, the clock, the signals. */
export interface Deps {
  compile?: CompileFn;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Start time, for default run directories' names. */
  now?: Date;
  /** Defaults to `process`; SIGINT handlers are installed on it. */
  signals?: NodeJS.EventEmitter;
  /** Called on a second Ctrl-C (default: `process.exit(130)`). */
  exitNow?: () => void;
}

export async function loadCompile(deps: Deps): Promise<CompileFn> {
  if (deps.compile) return deps.compile;
  const { compileModel } = await import("./graph.js");
  return compileModel;
}

export async function readModel(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`, [], 2);
  }
}

/** Checks a model for training; its first error, if any, becomes a UserError. */
export function checkModel(path: string, bytes: Uint8Array, bn: Bn): { network: Network; evalBatch: number; checked: Checked } {
  const checked = checkBytes(path, bytes, { bn });
  if (hasErrors(checked.diagnostics)) {
    const first = checked.diagnostics.find((d) => d.severity === "error")!;
    throw new UserError(`the model has errors:\n${renderDiagnostic(first, checked.source, { enabled: false })}`, [`\`netc check ${path}\` lists them all`]);
  }
  return { network: checked.network, evalBatch: evalBatchFor(checked.shapes), checked };
}

/**
 * The settings of flags (`--lr`, `--optimizer`, …) over the model's header; a rule broken between
 * them is a UserError naming where each came from.
 */
export function settingsOf(header: Partial<TrainSettings>, flags: Partial<TrainSettings>): TrainSettings {
  const own: Partial<TrainSettings> = Object.fromEntries(TRAIN_ARGS.map((a) => [a.name, flags[a.name as keyof TrainSettings]]));
  const problems = settingsProblems(mergeGiven(header, own));
  if (problems.length > 0) {
    const where = (key: string) => (own[key as keyof TrainSettings] !== undefined ? `--${key}` : "the model's `train` header");
    const [first] = problems;
    throw new UserError(`${where(first!.key)}: ${first!.message}`, [first!.hint, ...problems.slice(1).map((p) => `also (${where(p.key)}): ${p.message}`)], 2);
  }
  return withDataDir(resolveSettings(header, own));
}

/** A directory is recorded absolute, so that `netc eval` and `--resume` find it from anywhere. */
export function withDataDir<S extends TrainSettings>(settings: S): S {
  return isDatasetName(settings.data) ? settings : { ...settings, data: resolve(settings.data) };
}

/**
 * Checks that the model fits the data it is about to train or be evaluated on (the header's
 * dataset was checked already; `--data` may name another): errors, located in the model, become
 * a UserError before any training.
 */
export function checkDataFit(checked: Checked, data: DataFacts, normalize: readonly number[] | undefined): void {
  const errors = dataFitDiagnostics(checked.network, checked.shapes, data);
  if (errors.length > 0) {
    const rendered = errors.map((d) => renderDiagnostic(d, checked.source, { enabled: false })).join("\n\n");
    throw new UserError(`the model does not fit ${data.title}:\n${rendered}`, []);
  }
  const problem = normalizeProblem(normalize, data.shape.channels, data.title);
  if (problem) throw new UserError(problem, [`give one mean and std for every channel, or ${data.shape.channels} means then ${data.shape.channels} standard deviations`]);
}

export async function startBackend(choice: BackendChoice, threads: number | undefined): Promise<Backend> {
  try {
    return await initBackend(choice, threads === undefined ? {} : { threads });
  } catch (e) {
    throw new UserError((e as Error).message, ["`--backend auto` falls back from tensorflow to wasm to cpu"]);
  }
}

/** `CIFAR-10 from DIR (3×32×32 images, 10 classes)`. */
export function dataTitle(data: Dataset): string {
  const { channels, height, width } = data.shape;
  const title = data.title.startsWith("the ") ? `${data.title[0]!.toUpperCase()}${data.title.slice(1)}` : `${data.title} from ${data.source}`;
  return `${title} (${channels}×${height}×${width} images, ${data.classes} classes)`;
}

export function describeData(data: Dataset, train: Split): string {
  const limited = train.count < data.train.count ? ` (the first ${thousands(train.count)} of ${thousands(data.train.count)})` : "";
  return `${dataTitle(data)}: ${thousands(train.count)} training examples${limited}, ${thousands(data.test.count)} test examples`;
}

export function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Makes `dir`, which must be new or empty: netc never writes into a run it did not make. */
export async function makeEmptyDir(dir: string, flag: string): Promise<string> {
  await mkdir(dir, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot create ${dir}: ${e.code === "EEXIST" || e.code === "ENOTDIR" ? "a file is in the way" : e.message}`, [], 2);
  });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new UserError(`${dir} is not empty`, [`pass a new directory to ${flag} (netc never overwrites a run), or leave ${flag} out for a fresh one under runs/`], 2);
  }
  return dir;
}

/** Makes a new directory `<parent>/<name>-<time>` (with `-2`, `-3`, … when that exists). */
export async function makeTimestampedDir(parent: string, name: string, now: Date): Promise<string> {
  const base = join(parent, `${name.replace(/[^\w.-]+/g, "_")}-${timestamp(now)}`);
  await mkdir(parent, { recursive: true });
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
