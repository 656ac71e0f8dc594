/**
 * One background task run by this process at a time, started on demand ("kick") as well as by its scheduled job.
 * A kick during a run asks for one more run after it, so work recorded while a run was past it is not left for
 * the next scheduled job; stop() refuses new runs and waits for the one in hand.
 */
export class SerialRunner {
  private running: Promise<unknown> | null = null;
  private again = false;
  private stopRequested = false;

  /** `onError` hears of a failed run (the run after a kick, if asked for, still follows). */
  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** True once stop() was called: long runs check it between steps. */
  get stopping(): boolean {
    return this.stopRequested;
  }

  kick(): void {
    if (this.stopRequested) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run()
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    await this.running;
  }
}
