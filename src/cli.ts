import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { readFileSync, statSync } from "node:fs";
import { checkBytes, type Checked } from "./compile.js";
import { CODES, explanation, hasErrors, type DiagnosticCode } from "./diagnostics.js";
import { isUserError, UserError } from "./errors.js";
import { VERSION } from "./version.js";
import { countText } from "./numbers.js";
import type { BuildOptions } from "./layers/types.js";
import type { Transport } from "./lsp/server.js";
import { layerReferenceMarkdown, layerReferenceText } from "./layer-docs.js";
import { findModelFiles } from "./model-files.js";
import { diagnosticToJson, renderDiagnostic, renderGithubAnnotation, renderSummary, sarifLog, type Colors } from "./render.js";
import { shapesToJson, table, torchStyle } from "./shape-table.js";
import { listOf, trainSettingOptions } from "./train-flags.js";


function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a whole number of at least 1");
  return n;
}

function nonNegativeInt(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number of at least 0");
  return n;
}

function bnImpl(text: string): "scratch" | "builtin" {
  if (text !== "scratch" && text !== "builtin") throw new InvalidArgumentError("must be scratch or builtin");
  return text;
}

function tcpPort(text: string): number {
  const n = positiveInt(text);
  if (n > 65535) throw new InvalidArgumentError("must be a port number, 1 to 65535");
  return n;
}

function portOrZero(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("must be a port number, 0 to 65535 (0: any free one)");
  return n;
}

function colorsFor(stream: NodeJS.WriteStream, flag: boolean | undefined): Colors {
  if (flag !== undefined) return { enabled: flag };
  return { enabled: Boolean(stream.isTTY) && !("NO_COLOR" in process.env) };
}

/** Reads one model file; an unreadable path is a usage error (exit 2). */
function readModelFile(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    if (statSync(path).isDirectory()) throw new UserError(`${path} is a directory, not a model file`, ["pass the .net files inside it, e.g. `models/*.net`"], 2);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String((e as Error).message)}`, [], 2);
  }
  return bytes;
}

/** Reads and checks one file. */
function checkFile(path: string, options: BuildOptions): Checked {
  return checkBytes(path, readModelFile(path), options);
}

type Format = "human" | "json" | "github" | "sarif";

/**
 * Prints diagnostics of several files: code frames on stderr (`human`), or one document or line
 * per diagnostic on stdout for tools, with the summary on stderr for people reading a CI log
 * (`github`). Returns whether any is an error.
 */
function report(results: Checked[], format: Format, colors: Colors, summary: boolean): boolean {
  const failed = results.some((r) => hasErrors(r.diagnostics));
  if (format === "json") process.stdout.write(JSON.stringify({ version: 1, files: diagnosticsJson(results) }, null, 2) + "\n");
  if (format === "sarif") process.stdout.write(JSON.stringify(sarifLog(results, process.cwd()), null, 2) + "\n");
  for (const r of results) {
    for (const d of r.diagnostics) {
      if (format === "human") process.stderr.write(renderDiagnostic(d, r.source, colors) + "\n\n");
      if (format === "github") process.stdout.write(renderGithubAnnotation(d, r.source, process.cwd()) + "\n");
    }
  }
  if (summary && (format === "human" || format === "github")) {
    const all = results.flatMap((r) => r.diagnostics);
    const errors = all.filter((d) => d.severity === "error").length;
    process.stderr.write(renderSummary(errors, all.length - errors, results.length, colors) + "\n");
  }
  return failed;
}

function diagnosticsJson(results: Checked[]) {
  return results.map((r) => ({ file: r.source.path, diagnostics: r.diagnostics.map((d) => diagnosticToJson(d, r.source)) }));
}

const formatOption = (formats: Format[] = ["human", "json"]) => new Option("--format <format>", "output format").choices(formats).default("human");
const bnOption = () => new Option("--bn <impl>", "batch norm implementation for `bn` layers that do not name one").choices(["scratch", "builtin"]).default("scratch");
const backendOption = () => new Option("--backend <name>", "TensorFlow.js backend (auto: tensorflow, else wasm, else cpu)").choices(["auto", "tensorflow", "wasm", "cpu"]).default("auto");
const threadsOption = () => new Option("--threads <n>", "threads of the wasm or tensorflow backend (default: every core)").argParser(positiveInt);
const limitOption = () => new Option("--limit <n>", "train on the first N training examples only, for quick tries").argParser(positiveInt);

export function buildProgram(): Command {
  const program = new Command("netc")
    .description("compiler for .net neural-network model files")
    .version(VERSION)
    .option("--color", "force coloured output")
    .option("--no-color", "no coloured output")
    .showHelpAfterError("(run `netc --help` for usage)")
    .exitOverride();

  const globalColor = () => program.opts<{ color?: boolean }>().color;
  /** Trains (`command`) unless a model has errors, which are reported first (their warnings are `netc check`'s). */
  const trainChecked = async (results: Checked[], command: () => Promise<number>) => {
    const errors = results.map((r) => ({ ...r, diagnostics: r.diagnostics.filter((d) => d.severity === "error") }));
    process.exitCode = report(errors, "human", colorsFor(process.stderr, globalColor()), results.some((r) => hasErrors(r.diagnostics))) ? 1 : await command();
  };

  program
    .command("check")
    .description("parse and validate model files, printing every problem found")
    .argument("[paths...]", ".net model files, or directories to search for them (default: the current directory)")
    .addOption(formatOption(["human", "json", "github", "sarif"]))
    .addOption(bnOption())
    .action((paths: string[], opts: { format: Format; bn: BuildOptions["bn"] }) => {
      const results = findModelFiles(paths).map((f) => checkFile(f, { bn: opts.bn }));
      process.exitCode = report(results, opts.format, colorsFor(process.stderr, globalColor()), true) ? 1 : 0;
    });

  program
    .command("shapes")
    .description("check a model and print each layer's output shape, parameters and multiply-adds")
    .argument("<file>", ".net model file")
    .addOption(new Option("--style <style>", "`table` (torchinfo-like) or `torch` (the seed notebook's printout)").choices(["table", "torch"]).default("table"))
    .addOption(formatOption())
    .addOption(bnOption())
    .option("--batch <n>", "batch size shown in shapes", positiveInt, 1)
    .action((file: string, opts: { style: "table" | "torch"; format: Format; bn: BuildOptions["bn"]; batch: number }) => {
      const result = checkFile(file, { bn: opts.bn });
      const failed = hasErrors(result.diagnostics);
      const batchMacs = result.shapes.totals.macs * opts.batch;
      if (batchMacs > Number.MAX_SAFE_INTEGER) {
        throw new UserError(`with --batch ${opts.batch} the model takes ${countText(batchMacs)} multiply-adds, past 2^53, where netc's figures stop being exact`, ["use a smaller --batch"], 2);
      }
      if (opts.format === "json") {
        const shapes = failed ? null : shapesToJson(result.network.name, result.shapes, result.source, opts.batch);
        process.stdout.write(JSON.stringify({ version: 1, ...diagnosticsJson([result])[0], shapes }, null, 2) + "\n");
      } else {
        // The table is the point here: warnings are only counted (`netc check` shows them).
        const errors = result.diagnostics.filter((d) => d.severity === "error");
        const warnings = result.diagnostics.length - errors.length;
        report([{ ...result, diagnostics: errors }], "human", colorsFor(process.stderr, globalColor()), failed);
        if (!failed) {
          if (warnings > 0) process.stderr.write(`${warnings} warning${warnings === 1 ? "" : "s"}: \`netc check ${file}\` shows them\n`);
          const text = opts.style === "torch" ? torchStyle(result.shapes, opts.batch) : table(result.network.name, result.shapes, result.source, opts.batch);
          process.stdout.write(text + "\n");
        }
      }
      process.exitCode = failed ? 1 : 0;
    });

  const train = program
    .command("train")
    .description("train a model with TensorFlow.js, as the seed notebook's train(): on Fashion-MNIST unless the model or --data names other data")
    .argument("[file]", ".net model file (with --resume: optional, must be the run's model)");
  // --lr, --epochs, --batch, --optimizer, --data, …: the `train` header's settings.
  const settingOptions = trainSettingOptions();
  for (const option of settingOptions) train.addOption(option);
  train
    .addOption(bnOption())
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--seed <n>", "seed of weight initialization, shuffling and augmentation", nonNegativeInt, 0)
    .option("--out <dir>", "run directory, new or empty (default: runs/<model>-<YYYYmmdd-HHMMSS>)")
    .addOption(limitOption())
    // A resumed run keeps every setting it recorded; --data may say where its data are now.
    .addOption(
      new Option("--resume <run-dir>", "continue a run from its last checkpoint, with its own settings (--data: where its data are now, if they moved)").conflicts([
        ...settingOptions.map((option) => option.attributeName()).filter((name) => name !== "data"),
        "bn",
        "seed",
        "out",
        "limit",
      ]),
    )
    .action(async (file: string | undefined, opts: import("./train/train-command.js").TrainFlags & { resume?: string }) => {
      if (opts.resume !== undefined) {
        const { resumeCommand } = await import("./train/resume.js");
        process.exitCode = await resumeCommand(opts.resume, file, opts);
        return;
      }
      if (file === undefined) throw new UserError("netc train needs a model file", ["e.g. `netc train models/lenet-bn.net`, or `netc train --resume RUN_DIR` to continue a run"], 2);
      // Loaded only here: `check` and `shapes` never load the training code or TensorFlow.js.
      await trainChecked([checkFile(file, { bn: opts.bn })], async () => (await import("./train/train-command.js")).trainCommand(file, opts));
    });

  program
    .command("eval")
    .description("evaluate a checkpoint saved by `netc train` on the test set of the data it trained on")
    .argument("<run-dir>", "run directory printed by `netc train`")
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--data <name|dir>", "dataset, or directory of IDX files, to evaluate on (default: the one the run trained on)")
    .action(async (runDir: string, opts: import("./train/eval-command.js").EvalFlags) => {
      const { evalCommand } = await import("./train/eval-command.js");
      process.exitCode = await evalCommand(runDir, opts);
    });

  const compare = program
    .command("compare")
    .description("train models under several settings one after another, or read finished runs; then one table, summary.json and an overlay plot")
    .argument("<inputs...>", ".net model files to train, or run directories to compare");
  // As `netc train`'s, but a comma-separated list (`--lr 0.1,0.3,1`, `--optimizer sgd,adam`) sweeps.
  for (const option of trainSettingOptions(true)) compare.addOption(option);
  compare
    .option("--bn <list>", "batch norm implementations to sweep: scratch, builtin or scratch,builtin (default: scratch)", listOf(bnImpl))
    .option("--seed <list>", "seeds to sweep (default: 0)", listOf(nonNegativeInt))
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--out <dir>", "comparison directory, new or empty (default: runs/compare-<YYYYmmdd-HHMMSS>)")
    .addOption(limitOption())
    .addOption(new Option("--plot <kind>", "also draw lr.png: final test accuracy against the learning rate (log x), one line per model").choices(["lr"]))
    .action((inputs: string[], opts: import("./train/compare-command.js").CompareFlags) => {
      // Model files get the full diagnostics before anything trains, as with `netc train`.
      const files = inputs.filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
      return trainChecked(
        files.map((f) => checkFile(f, { bn: opts.bn?.[0] ?? "scratch" })),
        async () => (await import("./train/compare-command.js")).compareCommand(inputs, opts),
      );
    });

  program
    .command("inspect")
    .description("what training learned: statistics of every saved tensor, and each normalization layer's gamma, beta and moving statistics")
    .argument("<run-dir>", "run directory printed by `netc train` or inside a `netc compare` directory")
    .addOption(formatOption())
    .option("--plot", "write histograms of every normalization layer's gamma and beta to inspect.svg/.png in the run directory")
    .action(async (runDir: string, opts: import("./train/inspect-command.js").InspectFlags) => {
      const { inspectCommand } = await import("./train/inspect-command.js");
      process.exitCode = await inspectCommand(runDir, opts);
    });

  program
    .command("time")
    .description("time training steps on random data, layer by layer (Caffe's `caffe time`)")
    .argument("<file>", ".net model file")
    .option("--batch <n>", "examples per step (default: the model's `train` header, else 128)", positiveInt)
    .addOption(bnOption())
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--steps <n>", "timed steps", positiveInt, 20)
    .option("--warmup <n>", "untimed steps first", nonNegativeInt, 3)
    .option("--seed <n>", "seed of the weights and the random data", nonNegativeInt, 0)
    .addOption(formatOption())
    .action((file: string, opts: import("./train/time-command.js").TimeFlags) =>
      trainChecked([checkFile(file, { bn: opts.bn })], async () => (await import("./train/time-command.js")).timeCommand(file, opts)),
    );

  program
    .command("draw")
    .description("draw the model's graph (one box per layer, shapes on the edges) as SVG or PNG")
    .argument("<file>", ".net model file")
    .requiredOption("-o, --out <file>", "the drawing: a .svg or .png file")
    .option("--collapse", "draw every block use and `repeat` as one box")
    .addOption(bnOption())
    .action(async (file: string, opts: import("./draw/command.js").DrawFlags & { bn: BuildOptions["bn"] }) => {
      const { drawCommand, drawFormat } = await import("./draw/command.js");
      drawFormat(opts.out);
      const result = checkFile(file, { bn: opts.bn });
      const errors = result.diagnostics.filter((d) => d.severity === "error");
      if (report([{ ...result, diagnostics: errors }], "human", colorsFor(process.stderr, globalColor()), errors.length > 0)) {
        process.exitCode = 1;
        return;
      }
      process.stderr.write(`${await drawCommand(result, opts)}\n`);
    });

  program
    .command("serve")
    .description("serve the browser page on 127.0.0.1: edit a model, see its shapes and graph, train it with a live plot")
    .argument("[file]", ".net model file to open (default: the page starts from models/lenet-bn.net)")
    .option("--port <n>", "TCP port (0: any free one)", portOrZero, 8080)
    .option("--data <dir>", "directory with the four Fashion-MNIST IDX files (default: see the README)")
    .action(async (file: string | undefined, opts: import("./serve/command.js").ServeFlags) => {
      if (file !== undefined) readModelFile(file);
      const { serveCommand } = await import("./serve/command.js");
      await serveCommand(file, opts);
    });

  program
    .command("export")
    .description("export a model, or a trained run with its weights, to PyTorch (a Python package to train with torchrun) or ONNX")
    .argument("<target>", ".net model file, or run directory printed by `netc train`")
    .addOption(new Option("--to <format>", "pytorch or onnx").choices(["pytorch", "onnx"]).makeOptionMandatory())
    .option("-o, --out <path>", "pytorch: a directory (default <model>-pytorch); onnx: a file (default <model>.onnx)")
    .addOption(bnOption())
    .action(async (target: string, opts: import("./export/command.js").ExportFlags) => {
      // Loaded only here, like training.
      const { exportCommand } = await import("./export/command.js");
      process.exitCode = await exportCommand(target, opts);
    });

  program
    .command("import-weights")
    .description("bring weights trained in PyTorch (a safetensors file from the exported package) back into a netc run directory")
    .argument("<weights>", ".safetensors file, e.g. runs/<model>-torch-<time>/weights.safetensors")
    .argument("<model>", ".net file the weights were trained with (the package's model.net)")
    .option("-o, --out <dir>", "run directory to write, new or empty (default runs/<model>-from-torch-<YYYYmmdd-HHMMSS>)")
    .addOption(new Option("--bn <impl>", "batch norm the package was exported with (default: the file's metadata, else scratch)").choices(["scratch", "builtin"]))
    .action(async (weights: string, model: string, opts: import("./export/command.js").ImportFlags) => {
      const { importWeightsCommand } = await import("./export/command.js");
      process.exitCode = await importWeightsCommand(weights, model, opts);
    });

  program
    .command("explain")
    .description("explain a diagnostic code, e.g. `netc explain NET010`")
    .argument("<code>", "diagnostic code")
    .action((code: string) => {
      const key = code.toUpperCase() as DiagnosticCode;
      if (!(key in CODES)) throw new UserError(`no diagnostic has the code ${code}`, [`codes: ${Object.keys(CODES).join(", ")}`], 2);
      process.stdout.write(`${explanation(key)}\n`);
    });

  program
    .command("layers")
    .description("list the layer kinds and their arguments")
    .option("--markdown", "as the README's Markdown table")
    .action((opts: { markdown?: boolean }) => {
      process.stdout.write((opts.markdown ? layerReferenceMarkdown() : layerReferenceText()) + "\n");
    });

  program
    .command("fmt")
    .description("format model files in the canonical layout (Prettier with netc's plugin)")
    .argument("[paths...]", ".net model files, or directories to search for them (default with --check or --write: the current directory)")
    .addOption(new Option("--check", "list the files that are not formatted; exit 1 if any").conflicts("write"))
    .option("--write", "rewrite the files in place")
    .action(async (paths: string[], opts: { check?: boolean; write?: boolean }) => {
      if (paths.length === 0 && !opts.check && !opts.write) {
        throw new UserError("`netc fmt` prints the formatted text of the files it is given: name them", ["`netc fmt --check` or `--write` alone work on every .net file below the current directory"], 2);
      }
      const files = findModelFiles(paths);
      // Loaded only here: Prettier is large, and `check` and `shapes` must start fast.
      const { runFmt } = await import("./format/command.js");
      process.exitCode = await runFmt(files, opts, readModelFile, colorsFor(process.stderr, globalColor()));
    });

  // The arguments LSP clients start servers with (vscode-languageclient: one transport, then
  // `--clientProcessId=PID`).
  program
    .command("lsp")
    .description("start the language server: Language Server Protocol over stdin/stdout, or the transport given")
    .addOption(new Option("--stdio", "talk over stdin/stdout (the default)").conflicts(["nodeIpc", "socket", "pipe"]))
    .addOption(new Option("--node-ipc", "talk over Node's IPC channel (a server started with child_process.fork)").conflicts(["socket", "pipe"]))
    .addOption(new Option("--socket <port>", "talk over a TCP connection to this port on 127.0.0.1").argParser(tcpPort).conflicts("pipe"))
    .option("--pipe <name>", "talk over a connection to this named pipe or Unix domain socket")
    .option("--clientProcessId <pid>", "the editor's process id: exit when that process ends", positiveInt)
    .addOption(bnOption())
    .action(async (opts: { bn: BuildOptions["bn"]; nodeIpc?: boolean; socket?: number; pipe?: string }) => {
      if (opts.nodeIpc && !process.send) {
        throw new UserError("--node-ipc needs an IPC channel: the server must be started with child_process.fork", ["an editor that runs `netc lsp` as a command talks over --stdio"], 2);
      }
      const transport: Transport =
        opts.nodeIpc ? { kind: "node-ipc" } : opts.socket !== undefined ? { kind: "socket", port: opts.socket } : opts.pipe !== undefined ? { kind: "pipe", name: opts.pipe } : { kind: "stdio" };
      const { runServer } = await import("./lsp/server.js");
      await runServer(transport, { bn: opts.bn, version: VERSION });
    });

  return program;
}

/**
 * TensorFlow.js's wasm backend has 4 GB of memory at most; past that its kernels fail with a
 * WebAssembly RuntimeError (or, on a worker thread, an uncaught one). Both mean: smaller batches.
 */
function asUserError(e: unknown): UserError | undefined {
  if (isUserError(e)) return e;
  // The file system's refusals (a full disk, a read-only or unwritable directory) are the
  // user's to fix; Node's message names the path.
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && ["ENOSPC", "EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "EISDIR", "EEXIST", "EMFILE", "EDQUOT"].includes(code)) {
    return new UserError((e as Error).message, ["anything saved before this (checkpoints, metrics) is intact"]);
  }
  if (e instanceof WebAssembly.RuntimeError || /memory access out of bounds|table index is out of bounds|Failed to allocate|out of memory/i.test(String((e as Error)?.message))) {
    return new UserError(`the TensorFlow.js backend ran out of memory (${(e as Error).message})`, [
      "the wasm backend has 4 GB at most: train with a smaller `--batch`",
      "the last saved checkpoint, if any, is intact",
    ]);
  }
  return undefined;
}

function reportFailure(e: unknown, colors: Colors): 1 | 2 | 70 {
  const user = asUserError(e);
  if (user) {
    process.stderr.write(`${colors.enabled ? "\x1b[1;31merror\x1b[0m" : "error"}: ${user.message}\n${user.hints.map((h) => `  = hint: ${h}\n`).join("")}`);
    return user.exitCode;
  }
  process.stderr.write(`netc: internal error: ${(e as Error)?.message ?? String(e)}\nThis is a bug in netc; please report it with the model file that triggered it.\n`);
  return 70;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  const colors = () => colorsFor(process.stderr, program.opts<{ color?: boolean }>().color);
  // Errors thrown on the wasm backend's worker threads arrive here, not in the catch below.
  process.on("uncaughtException", (e) => process.exit(reportFailure(e, colors())));
  // A reader that stops early (`netc eval RUN | head -1`) closes the pipe: not an error of netc's.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(141); // as if killed by SIGPIPE, quietly
      throw e;
    });
  }
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; every other commander error is a usage error.
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportFailure(e, colors());
  }
}
