/** A task run at most once at a time (see {@link singleFlight}). */
export interface SingleFlight<A, T> {
  /** Starts the task with `arg`, or joins the run in progress (whose argument wins). */
  (arg: A): Promise<T>;
  /** The run in progress, if any. */
  current(): Promise<T> | null;
}

/**
 * At most one run of an async task at a time: callers arriving while it runs share its promise;
 * the next call after it settles starts a new run.
 */
export function singleFlight<A, T>(task: (arg: A) => Promise<T>): SingleFlight<A, T> {
  let current: Promise<T> | null = null;
  const run = (arg: A) =>
    (current ??= task(arg).finally(() => {
      current = null;
    }));
  return Object.assign(run, { current: () => current });
}
