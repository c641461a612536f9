import { SingleBar } from "cli-progress";
import { pyFixed, thousands } from "../numbers.js";
import type { StepInfo } from "./loop.js";

/** Progress while an epoch runs: a bar on a terminal, nothing otherwise (the epoch lines suffice). */
export class Progress {
  private bar: SingleBar | null = null;
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly epochs: number,
    /** Shown before the bar, e.g. `run 2/6 ` when several runs share the terminal. */
    private readonly prefix = "",
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
        format: `${this.prefix}epoch {epoch}/{epochs} [{bar}] {value}/{total} | loss {loss}  train acc {acc} | {speed} examples/sec | ETA {eta_formatted}`,
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
