/**
 * One training run into a run directory: the loop (loop.ts) with what makes it a run — the
 * epoch lines, a checkpoint, `metrics.jsonl` and the plot after every epoch, a checkpoint when
 * stopped mid-epoch. `netc train` runs one; `netc compare` runs several in a row. How a run
 * ends (diverged, stopped) is returned, not thrown: each command decides what it means.
 */
import { join } from "node:path";
import { pyFixed } from "../numbers.js";
import type { Network } from "../resolve.js";
import type { Tf } from "../runtime/backend.js";
import type { Split } from "../runtime/data.js";
import { writeFileAtomic } from "../runtime/fsutil.js";
import { killPoint } from "../runtime/kill-points.js";
import type { MetricPoint } from "../runtime/plot.js";
import { writePlot } from "../runtime/svg-files.js";
import { checkpointMeta, type DataRecord } from "./checkpoint-files.js";
import { saveCheckpoint, sha256 } from "./checkpoint.js";
import type { Interrupts } from "./interrupts.js";
import { epochLine, runSubtitle } from "./lines.js";
import { START, trainLoop, type InputLayout, type LoopPosition, type LoopResult, type LoopSettings } from "./loop.js";
import type { CompiledModel } from "./model.js";
import type { Progress } from "./progress.js";
import type { Bn } from "./setup.js";

export interface RunSpec {
  tf: Tf;
  /** The backend's name, recorded in the checkpoint and the plot. */
  backend: string;
  network: Network;
  /** The model file's bytes, kept verbatim in the checkpoint. */
  source: Uint8Array;
  model: CompiledModel;
  train: Split;
  test: Split;
  layout: InputLayout;
  settings: LoopSettings;
  bn: Bn;
  /** `--limit`, recorded in the settings. */
  limit?: number;
  runDir: string;
  evalBatch: number;
  stdout: NodeJS.WritableStream;
  progress: Progress;
  interrupts: Interrupts;
  /** Put before each epoch line, e.g. `[2/6] ` when several runs share the terminal. */
  linePrefix?: string;
  /** Where the training data came from and how many examples it had, recorded in the checkpoint (a resumed run checks them). */
  data?: DataRecord;
  /** Continue a run from its checkpoint's position, with its metric points so far. */
  start?: { position: LoopPosition; points: MetricPoint[] };
}

export interface RunOutcome extends LoopResult {
  /** The last epoch whose checkpoint was saved (0: the initial weights), or null. */
  checkpointEpoch: number | null;
  /** Every point of the Animator's plot, as written to `metrics.jsonl`. */
  points: MetricPoint[];
}

export { runSubtitle } from "./lines.js";

export async function runTraining(spec: RunSpec): Promise<RunOutcome> {
  const { tf, network, model, settings, runDir, progress, interrupts, stdout } = spec;
  const points: MetricPoint[] = [...(spec.start?.points ?? [])];
  const record = {
    model: network.name,
    settings,
    ...(spec.limit !== undefined ? { limit: spec.limit } : {}),
    bn: spec.bn,
    backend: spec.backend,
    ...(spec.data ? { data: spec.data } : {}),
    sourceSha256: sha256(spec.source),
  };
  const meta = (position: LoopPosition, testAcc?: number) => ({
    ...checkpointMeta(record, position.epoch, position.batch, testAcc),
    resume: { position, random: model.randomState, points: [...points] },
  });
  const save = (position: LoopPosition, testAcc?: number) =>
    interrupts.whileSaving(() => saveCheckpoint(tf, runDir, { ...model.weights(), ...model.optimizerState() }, spec.source, meta(position, testAcc)));
  const saveMetrics = async () => {
    await writeFileAtomic(join(runDir, "metrics.jsonl"), points.map((p) => JSON.stringify(p) + "\n").join(""));
    await writePlot(runDir, points, {
      title: network.name,
      epochs: settings.epochs,
      subtitle: runSubtitle(settings, spec.bn, spec.backend, spec.limit !== undefined ? spec.train.count : undefined),
    });
  };

  let checkpointEpoch: number | null = spec.start?.position.epoch ?? null;
  let result: LoopResult;
  interrupts.startTraining();
  // A new run is resumable from its first moment: the initial weights are checkpoint "epoch 0".
  if (!spec.start) {
    await save(START);
    checkpointEpoch = 0;
  }
  try {
    result = await trainLoop({
      tf,
      model,
      train: spec.train,
      test: spec.test,
      layout: spec.layout,
      settings,
      evalBatch: spec.evalBatch,
      ...(spec.start ? { start: spec.start.position } : {}),
      hooks: {
        onStep: (s) => {
          progress.step(s);
          killPoint("step");
        },
        onPoint: (p) => points.push(p),
        async onEpoch(e) {
          progress.clear();
          stdout.write(`${spec.linePrefix ?? ""}${epochLine(e, settings)}\n`);
          await save(e.position, e.testAcc);
          checkpointEpoch = e.epoch;
          await saveMetrics();
        },
        shouldStop: () => interrupts.requested,
      },
    });
  } finally {
    progress.clear();
  }

  const end = result.end;
  if (end.kind === "diverged") {
    // Marks where the loss diverged (as text: JSON has no NaN), so the run reads as diverged.
    const loss = Number.isFinite(end.loss) ? pyFixed(end.loss, 3) : String(end.loss);
    points.push({ x: end.epoch + (end.batch + 1) / Math.ceil(spec.train.count / settings.batch), diverged: loss });
    await saveMetrics();
  }
  // Stopped between epochs, the epoch's checkpoint, just saved, is the current state.
  if (end.kind === "stopped" && (end.batch > 0 || checkpointEpoch !== end.epoch)) {
    await save(end.position);
    await saveMetrics();
  }
  return { ...result, checkpointEpoch, points };
}

