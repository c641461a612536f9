/** `netc eval RUN_DIR`: the test accuracy of a saved checkpoint. */
import { pyFixed, thousands } from "../numbers.js";
import { stopBackend, type BackendChoice } from "../runtime/backend.js";
import { loadFashionMnist } from "../runtime/data.js";
import { readCheckpoint, restoreWeights } from "./checkpoint.js";
import { evaluate, inputLayout } from "./loop.js";
import type { CompiledModel } from "./model.js";
import { checkMemory } from "./memory.js";
import { checkModel, loadCompile, startBackend, type Deps } from "./setup.js";

export interface EvalFlags {
  backend: BackendChoice;
  threads?: number;
  data?: string;
}

/** Returns the exit status. */
export async function evalCommand(runDir: string, flags: EvalFlags, deps: Deps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const ckpt = await readCheckpoint(runDir);
  const meta = ckpt.json.netc;
  if (ckpt.leftBehind) stderr.write(`${runDir} has no checkpoint/: evaluating the whole one a killed write left in ${ckpt.dir}\n`);
  const { network, shapes, evalBatch } = checkModel(ckpt.sourcePath, ckpt.source, meta.bn);
  const layout = inputLayout(network.input?.shape);
  const compile = await loadCompile(deps);
  const backend = await startBackend(flags.backend, flags.threads);
  const { tf } = backend;
  let model: CompiledModel | undefined;
  try {
    checkMemory(network, shapes, evalBatch, backend.name, "eval", meta.bn);
    const data = await loadFashionMnist({ dir: flags.data });
    model = compile(tf, network, { bn: meta.bn, seed: meta.settings.seed });
    tf.dispose(Object.values(restoreWeights(tf, model, ckpt)).flatMap((group) => Object.values(group)));
    const at = meta.batch > 0 ? `epoch ${meta.epoch} + ${meta.batch} batches` : `epoch ${meta.epoch}`;
    stdout.write(`evaluating ${meta.model} (${at}) on ${backend.description}\n`);
    stderr.write(`Fashion-MNIST from ${data.source}: ${thousands(data.test.count)} test examples\n`);
    const result = await evaluate(tf, model, data.test, layout, { batchSize: evalBatch });
    stdout.write(`test acc ${pyFixed(result.accuracy, 3)} (${thousands(result.correct)}/${thousands(result.count)} correct)\n`);
    stdout.write(`${pyFixed(result.count / result.seconds, 1)} examples/sec on ${backend.name}\n`);
    return 0;
  } finally {
    model?.dispose();
    stopBackend(backend);
  }
}
