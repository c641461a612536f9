/** The lines a training run prints, the same in the terminal and in the browser page. */
import { pyFixed, thousands } from "../numbers.js";
import type { EpochInfo, LoopResult } from "./loop.js";

export function epochLine(e: EpochInfo, epochs: number): string {
  return `epoch ${e.epoch}/${epochs}  loss ${pyFixed(e.trainLoss, 3)}  train acc ${pyFixed(e.trainAcc, 3)}  test acc ${pyFixed(e.testAcc, 3)}  ${thousands(e.examplesPerSec)} examples/sec`;
}

/** The seed notebook's last two lines, in its format. */
export function finalLines(result: LoopResult, backend: string): [string, string] {
  return [
    `loss ${pyFixed(result.trainLoss, 3)}, train acc ${pyFixed(result.trainAcc, 3)}, test acc ${pyFixed(result.testAcc, 3)}`,
    `${pyFixed(result.examplesPerSec, 1)} examples/sec on ${backend}`,
  ];
}
