import type { TrainSettings } from "../train-settings.js";

export type ScheduleSettings = Pick<TrainSettings, "lr" | "epochs" | "schedule" | "step" | "gamma" | "warmup">;

/**
 * The learning rate of step `batch` (0-based) of epoch `epoch` (0-based), `batchesPerEpoch` steps
 * an epoch. A pure function of the position, so a resumed run continues the same curve.
 *
 * - Warmup (`warmup=N`): the first N epochs rise linearly, every step, from lr/S to lr over their
 *   S steps (Goyal et al.'s gradual warmup).
 * - After it, the schedule is stepped once per epoch, as PyTorch users step theirs, counting
 *   epochs from the end of the warmup: `constant`; `step` is StepLR (lr·gamma^⌊e/step⌋);
 *   `cosine` is CosineAnnealingLR with T_max the epochs after the warmup and eta_min 0
 *   (lr·(1 + cos(π·e/T_max))/2), so its last epoch runs at a small rate, not at 0.
 */
export function learningRate(s: ScheduleSettings, epoch: number, batch: number, batchesPerEpoch: number): number {
  if (epoch < s.warmup) {
    const steps = s.warmup * batchesPerEpoch;
    return (s.lr * (epoch * batchesPerEpoch + batch + 1)) / steps;
  }
  const e = epoch - s.warmup;
  switch (s.schedule) {
    case "constant":
      return s.lr;
    case "step":
      return s.lr * s.gamma ** Math.floor(e / s.step!);
    case "cosine":
      return (s.lr * (1 + Math.cos((Math.PI * e) / (s.epochs - s.warmup)))) / 2;
  }
}
