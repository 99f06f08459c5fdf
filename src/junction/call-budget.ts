/**
 * The time budget of one call to Junction (JUNCTION_TIMEOUT_MS): one AbortSignal shared by every
 * attempt and every backoff pause, so retries can never stretch a call past its budget.
 */
export class CallBudget {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly deadline: number;

  constructor(readonly timeoutMs: number) {
    this.deadline = performance.now() + timeoutMs;
    this.timer = setTimeout(() => this.controller.abort(), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - performance.now());
  }

  /** Waits `ms`, or less if the budget runs out first. */
  pause(ms: number): Promise<void> {
    const signal = this.controller.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
