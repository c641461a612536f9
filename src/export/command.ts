/**
 * `netc export` and `netc import-weights`. Loaded by cli.ts with a dynamic import; TensorFlow.js
 * is loaded only by import-weights, to write the checkpoint.
 */
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { checkBytes, type Checked } from "../compile.js";
import type { Diagnostic } from "../diagnostics.js";
import { UserError } from "../errors.js";
import { pyFixed } from "../numbers.js";
import type { BuildOptions } from "../layers/types.js";
import { renderDiagnostic, type Colors } from "../render.js";
import { writeFileAtomic } from "../runtime/fsutil.js";
import { makeEmptyDir, makeTimestampedDir } from "../train/setup.js";
import { CHECKPOINT_DIR, readCheckpoint, saveCheckpoint, sha256, type CheckpointMeta, type LoadedCheckpoint } from "../train/checkpoint.js";
import { resolveSettings } from "../train-settings.js";
import { VERSION } from "../version.js";
import { fromTorch, layout, toTorch, type Layout } from "./layout.js";
import { onnxModel } from "./onnx.js";
import { pytorchModel, type TorchModel } from "./pytorch.js";
import { packageReadme, trainPy } from "./pytorch-train.js";
import { decodeSafetensors, encodeSafetensors, float32Data, float32Tensor, int64AsFloat32, int64Tensor, type SafeTensor } from "./safetensors.js";

type Bn = BuildOptions["bn"];

export interface ExportFlags {
  to: "pytorch" | "onnx";
  out?: string;
  /** For a model file; a run directory's checkpoint says which it was trained with. */
  bn: Bn;
}

export interface ImportFlags {
  /** The run directory to write (default: a new runs/<model>-from-torch-<time>). */
  out?: string;
  bn?: Bn;
}

interface Model {
  checked: Checked;
  layout: Layout;
  bn: Bn;
  source: Uint8Array;
  /** The trained weights by netc name, when exported from a run directory. */
  weights?: Map<string, Float32Array>;
  checkpoint?: LoadedCheckpoint;
}

function failOn(diagnostics: readonly Diagnostic[], checked: Checked, what: string): void {
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return;
  const shown = errors.map((d) => renderDiagnostic(d, checked.source, { enabled: false } satisfies Colors)).join("\n\n");
  throw new UserError(`${what}:\n${shown}`, errors.length > 1 ? [`${errors.length} problems`] : []);
}

function prepare(path: string, source: Uint8Array, bn: Bn): Omit<Model, "weights" | "checkpoint"> {
  const checked = checkBytes(path, source, { bn });
  failOn(checked.diagnostics, checked, "the model has errors");
  const laid = layout(checked.network, { bn });
  failOn(laid.diagnostics, checked, "the model cannot be exported");
  return { checked, layout: laid.layout, bn, source };
}

/** A model file or a run directory (its checkpoint's model, with the trained weights). */
async function loadModel(target: string, bn: Bn): Promise<Model> {
  const info = await stat(target).catch(() => {
    throw new UserError(`${target}: no such file or directory`, ["pass a .net model file, or a run directory that `netc train` wrote"], 2);
  });
  if (!info.isDirectory()) return prepare(target, await readFile(target), bn);
  const checkpoint = await readCheckpoint(target);
  const model = prepare(checkpoint.sourcePath, checkpoint.source, checkpoint.json.netc.bn);
  const entries = checkpoint.json.weightsManifest[0]!.weights;
  const weights = new Map<string, Float32Array>();
  let offset = 0;
  for (const entry of entries) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    weights.set(entry.name, new Float32Array(checkpoint.weightsData, offset, size));
    offset += size * 4;
  }
  const missing = model.layout.layers.flatMap((l) => l.params).filter((p) => !weights.has(p.netcName));
  if (missing.length) throw new UserError(`the checkpoint in ${checkpoint.dir} lacks ${missing.map((p) => p.netcName).join(", ")}`, ["train again with this netc"]);
  return { ...model, weights, checkpoint };
}

/** `netc export TARGET --to pytorch|onnx`. Returns the exit status. */
export async function exportCommand(target: string, flags: ExportFlags, stderr: NodeJS.WritableStream = process.stderr): Promise<number> {
  const model = await loadModel(target, flags.bn);
  const name = model.checked.network.name;
  if (flags.to === "onnx") {
    if (!model.weights) throw new UserError("the ONNX export needs trained weights: pass a run directory", [`e.g. \`netc train ${target} --out runs/${name}\`, then \`netc export runs/${name} --to onnx\``], 2);
    const out = flags.out ?? `${name}.onnx`;
    const built = onnxModel(model.checked.network, model.layout, (p) => toTorch(p, model.weights!.get(p.netcName)!), VERSION);
    failOn(built.diagnostics, model.checked, "the model cannot be exported to ONNX");
    await writeFileAtomic(out, built.bytes!);
    stderr.write(`wrote ${out}: ONNX opset ${built.opset}, input "input" float32 [N, ${model.checked.network.input!.shape.join(", ")}], output "logits"\n`);
    return 0;
  }
  const out = flags.out ?? `${name}-pytorch`;
  const torch = pytorchModel(model.checked.network, model.layout, model.checked.source, { bn: model.bn }, VERSION);
  failOn(torch.diagnostics, model.checked, "the model cannot be exported to PyTorch");
  await writePackage(out, model, torch.model!);
  stderr.write(`wrote ${out}/: model.py (class ${torch.model!.className}), train.py, README.md, model.net${model.weights ? ", weights.safetensors" : ""}\n`);
  return 0;
}

const EXPORTED_BY = /^"""[^\n]*exported by netc/;

/** Writes the package's files, each atomically; a directory holding other things is refused. */
async function writePackage(out: string, model: Model, torch: TorchModel): Promise<void> {
  const entries = await readdir(out).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [];
    if (e.code === "ENOTDIR") throw new UserError(`${out} is a file, not a directory`, [], 2);
    throw e;
  });
  if (entries.length > 0) {
    const previous = await readFile(join(out, "model.py"), "utf8").catch(() => "");
    if (!EXPORTED_BY.test(previous)) throw new UserError(`${out} is not empty and holds no earlier export`, ["pass a new directory, or one `netc export` wrote"], 2);
  }
  const { network } = model.checked;
  const meta = model.checkpoint?.json.netc;
  const info = {
    model: network.name,
    className: torch.className,
    file: model.checked.source.path.split(/[\\/]/).at(-1)!,
    input: network.input!.shape,
    // A run's settings (flags included), else the model's header.
    settings: resolveSettings(meta?.settings ?? network.train),
    bn: model.bn,
    netcVersion: VERSION,
    trained: Boolean(model.weights),
  };
  await mkdir(out, { recursive: true });
  await writeFileAtomic(join(out, "model.py"), torch.source);
  await writeFileAtomic(join(out, "train.py"), trainPy(info));
  await writeFileAtomic(join(out, "README.md"), packageReadme(info));
  await writeFileAtomic(join(out, "model.net"), model.source);
  const weightsPath = join(out, "weights.safetensors");
  if (!model.weights) {
    // An earlier export's weights would not belong to this one.
    await rm(weightsPath, { force: true });
    return;
  }
  const tensors = new Map<string, SafeTensor>();
  for (const layer of model.layout.layers) {
    const path = torch.paths.get(layer.node)!;
    for (const p of layer.params) {
      const values = toTorch(p, model.weights.get(p.netcName)!);
      tensors.set(`${path}.${p.torch.name}`, p.torch.integer ? int64Tensor(p.torchShape, values) : float32Tensor(p.torchShape, values));
    }
    for (const counter of layer.node.spec.torch?.counters?.(layer.node.args, { bn: model.bn }) ?? []) {
      tensors.set(`${path}.${counter}`, { dtype: "I64", shape: [], bytes: new Uint8Array(8) });
    }
  }
  const metadata: Record<string, string> = {
    format: "pt",
    model: network.name,
    bn: model.bn,
    netc_source_sha256: sha256(model.source),
    ...(meta ? { epoch: String(meta.epoch), lr: String(meta.settings.lr), epochs: String(meta.settings.epochs), batch: String(meta.settings.batch), seed: String(meta.settings.seed) } : {}),
    ...(meta?.testAcc !== undefined ? { test_acc: String(meta.testAcc) } : {}),
  };
  await writeFileAtomic(weightsPath, encodeSafetensors(tensors, metadata));
}

/** `netc import-weights WEIGHTS MODEL -o RUN_DIR`: PyTorch-trained weights as a netc run. */
export async function importWeightsCommand(weightsPath: string, modelPath: string, flags: ImportFlags, stdout: NodeJS.WritableStream = process.stdout): Promise<number> {
  const bytes = await readFile(weightsPath).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${weightsPath}: ${e.code === "ENOENT" ? "no such file" : e.message}`, [], 2);
  });
  const { tensors, metadata } = decodeSafetensors(bytes, weightsPath);
  const bn = flags.bn ?? (metadata["bn"] === "builtin" || metadata["bn"] === "scratch" ? metadata["bn"] : "scratch");
  const source = await readFile(modelPath).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read ${modelPath}: ${e.code === "ENOENT" ? "no such file" : e.message}`, [], 2);
  });
  const model = prepare(modelPath, source, bn);
  const torch = pytorchModel(model.checked.network, model.layout, model.checked.source, { bn }, VERSION);
  failOn(torch.diagnostics, model.checked, "the model cannot be exported to PyTorch");

  const weights = new Map<string, Float32Array>();
  const problems: string[] = [];
  const expected = new Set<string>();
  for (const layer of model.layout.layers) {
    const path = torch.model!.paths.get(layer.node)!;
    for (const counter of layer.node.spec.torch?.counters?.(layer.node.args, { bn }) ?? []) expected.add(`${path}.${counter}`);
    for (const p of layer.params) {
      const key = `${path}.${p.torch.name}`;
      expected.add(key);
      const t = tensors.get(key);
      const shape = (s: readonly number[]) => `[${s.join(", ")}]`;
      const dtype = p.torch.integer ? "I64" : "F32";
      if (!t) problems.push(`${key} ${shape(p.torchShape)}: not in the file`);
      else if (t.dtype !== dtype || shape(t.shape) !== shape(p.torchShape)) problems.push(`${key}: the model has ${dtype} ${shape(p.torchShape)}, the file ${t.dtype} ${shape(t.shape)}`);
      else weights.set(p.netcName, fromTorch(p, dtype === "I64" ? int64AsFloat32(t) : float32Data(t)));
    }
  }
  for (const key of tensors.keys()) if (!expected.has(key)) problems.push(`${key}: in the file but not in the model`);
  if (problems.length) {
    const shown = problems.slice(0, 8).map((p) => `  ${p}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    throw new UserError(`the weights in ${weightsPath} do not fit ${modelPath} (bn ${bn}):\n${shown.join("\n")}`, [
      "pass the model.net of the package the weights were trained with",
      ...(flags.bn ? [] : ["a model exported with `--bn builtin` needs `--bn builtin` here too"]),
    ]);
  }

  const runDir = flags.out !== undefined ? await makeEmptyDir(flags.out, "--out") : await makeTimestampedDir("runs", `${model.checked.network.name}-from-torch`, new Date());
  const number = (key: string) => (metadata[key] !== undefined && Number.isFinite(Number(metadata[key])) ? Number(metadata[key]) : undefined);
  const settings = resolveSettings(model.checked.network.train, { lr: number("lr"), epochs: number("epochs"), batch: number("batch") });
  const testAcc = number("test_acc");
  const meta: CheckpointMeta = {
    version: VERSION,
    model: model.checked.network.name,
    epoch: number("epoch") ?? 0,
    batch: 0,
    ...(testAcc !== undefined ? { testAcc } : {}),
    settings: { ...settings, seed: number("seed") ?? 0 },
    bn,
    backend: "pytorch",
    sourceSha256: sha256(source),
    savedAt: new Date().toISOString(),
  };
  const { initBackend, stopBackend } = await import("../runtime/backend.js");
  const backend = await initBackend("cpu");
  try {
    const { tf } = backend;
    const named = Object.fromEntries(
      model.layout.layers.flatMap((l) => l.params.map((p) => [p.netcName, tf.tensor(weights.get(p.netcName)!, [...p.netcShape], "float32")])),
    );
    try {
      await saveCheckpoint(tf, runDir, named, source, meta);
    } finally {
      tf.dispose(Object.values(named));
    }
  } finally {
    stopBackend(backend);
  }
  const acc = testAcc !== undefined ? `, test acc ${pyFixed(testAcc, 3)} when saved` : "";
  stdout.write(`imported ${weights.size} tensors into ${join(runDir, CHECKPOINT_DIR)}/ (epoch ${meta.epoch}${acc}); \`netc eval ${runDir}\` evaluates it\n`);
  return 0;
}
