/** `netc eval RUN_DIR`: the test accuracy of a saved checkpoint. */
import { pyFixed, thousands } from "../numbers.js";
import { stopBackend, type BackendChoice } from "../runtime/backend.js";
import { DEFAULT_DATASET } from "../datasets.js";
import { loadDataset } from "../runtime/datasets/load.js";
import { readCheckpoint, restoreWeights } from "./checkpoint.js";
import { evaluate, inputLayout } from "./loop.js";
import { checkMemory } from "./memory.js";
import type { CompiledModel } from "./model.js";
import { checkDataFit, checkModel, dataTitle, loadCompile, startBackend, type Deps } from "./setup.js";

export interface EvalFlags {
  backend: BackendChoice;
  threads?: number;
  /** The dataset or directory to evaluate on (default: the one the run trained on). */
  data?: string;
}

/** Returns the exit status. */
export async function evalCommand(runDir: string, flags: EvalFlags, deps: Deps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const ckpt = await readCheckpoint(runDir);
  const meta = ckpt.json.netc;
  if (ckpt.leftBehind) stderr.write(`${runDir} has no checkpoint/: evaluating the whole one a killed write left in ${ckpt.dir}\n`);
  const { network, evalBatch, checked } = checkModel(ckpt.sourcePath, ckpt.source, meta.bn);
  // Checkpoints from before datasets other than Fashion-MNIST record none.
  const data = await loadDataset(flags.data ?? meta.settings.data ?? DEFAULT_DATASET);
  const normalize = meta.settings.normalize;
  checkDataFit(checked, data, normalize);
  const layout = inputLayout(network.input?.shape, data.shape);
  const compile = await loadCompile(deps);
  const backend = await startBackend(flags.backend, flags.threads);
  const { tf } = backend;
  let model: CompiledModel | undefined;
  try {
    checkMemory(network, checked.shapes, evalBatch, backend.name, { mode: "eval", bn: meta.bn });
    model = compile(tf, network, { bn: meta.bn, seed: meta.settings.seed });
    restoreWeights(tf, model, ckpt, { optimizer: false });
    const at = meta.batch > 0 ? `epoch ${meta.epoch} + ${meta.batch} batches` : `epoch ${meta.epoch}`;
    stdout.write(`evaluating ${meta.model} (${at}) on ${backend.description}\n`);
    stderr.write(`${dataTitle(data)}: ${thousands(data.test.count)} test examples\n`);
    const result = await evaluate(tf, model, data.test, layout, { batchSize: evalBatch, ...(normalize ? { normalize } : {}) });
    stdout.write(`test acc ${pyFixed(result.accuracy, 3)} (${thousands(result.correct)}/${thousands(result.count)} correct)\n`);
    stdout.write(`${pyFixed(result.count / result.seconds, 1)} examples/sec on ${backend.name}\n`);
    return 0;
  } finally {
    model?.dispose();
    stopBackend(backend);
  }
}
