/**
 * At most one run of an async task at a time: callers arriving while it runs share its promise;
 * the next call after it settles starts a new run.
 */
export class SingleFlight<T> {
  /** The run in progress, if any. */
  current: Promise<T> | null = null;

  run(task: () => Promise<T>): Promise<T> {
    if (!this.current) {
      const run = (async () => task())();
      this.current = run;
      const clear = () => {
        if (this.current === run) this.current = null;
      };
      run.then(clear, clear);
    }
    return this.current;
  }
}
