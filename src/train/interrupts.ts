/**
 * Ctrl-C while training: before training, quit at once; during it, finish the step and save a
 * checkpoint; a second Ctrl-C quits at once, except while a checkpoint is being swapped in:
 * then it quits right after, so a run directory always holds a whole checkpoint.
 */
export class Interrupts {
  /** Ctrl-C presses so far. */
  private count = 0;
  private training = false;
  private saving = false;
  private exitWhenSaved = false;
  private readonly handler = () => this.onSigint();

  constructor(
    private readonly signals: NodeJS.EventEmitter,
    private readonly stderr: NodeJS.WritableStream,
    /** Quits the process (default in the commands: `process.exit(130)`). */
    private readonly exitNow: () => void,
    /** Called first on every Ctrl-C, e.g. to clear a progress bar. */
    private readonly beforeMessage: () => void = () => {},
  ) {
    signals.on("SIGINT", this.handler);
  }

  /** Whether a stop was asked for: the loop polls this between steps. */
  get requested(): boolean {
    return this.count > 0;
  }

  /** From here on, the first Ctrl-C asks for a stop instead of quitting. */
  startTraining(): void {
    this.training = true;
  }

  /** Writes a checkpoint; a second Ctrl-C meanwhile waits for it to be complete. */
  async whileSaving<T>(write: () => Promise<T>): Promise<T> {
    this.saving = true;
    try {
      return await write();
    } finally {
      this.saving = false;
      if (this.exitWhenSaved) this.exitNow();
    }
  }

  dispose(): void {
    this.signals.off("SIGINT", this.handler);
  }

  private onSigint(): void {
    this.count++;
    this.beforeMessage();
    if (this.training && this.count > 1 && this.saving) {
      this.stderr.write("\ninterrupted again: exiting as soon as the checkpoint being written is complete\n");
      this.exitWhenSaved = true;
      return;
    }
    if (!this.training || this.count > 1) {
      this.stderr.write(this.training ? "\ninterrupted again: exiting now (the last saved checkpoint stays intact)\n" : "\ninterrupted\n");
      this.exitNow();
      return;
    }
    this.stderr.write("\ninterrupted: saving a checkpoint after the current step (Ctrl-C again to quit at once)\n");
  }
}
