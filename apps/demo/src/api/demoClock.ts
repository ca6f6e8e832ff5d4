/** The demo server's clock: the real time plus a skew a visitor can set to watch drift correction. */
export interface DemoClock {
  /** Epoch milliseconds on the server's (possibly skewed) clock. */
  now(): number;
  /** How far the server's clock is ahead of the real time, in milliseconds (negative: behind). */
  readonly skewMs: number;
  /** Moves the server's clock `skewMs` away from the real time. */
  setSkew(skewMs: number): void;
}

/** The largest skew the demo accepts: one day either way. */
const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

/** A clock reading `realNow()` (defaults to `Date.now`) plus an adjustable skew. */
export function createDemoClock(realNow: () => number = () => Date.now()): DemoClock {
  let skew = 0;
  return {
    now: () => realNow() + skew,
    get skewMs() {
      return skew;
    },
    setSkew(skewMs) {
      if (!Number.isInteger(skewMs) || Math.abs(skewMs) > MAX_CLOCK_SKEW_MS) {
        throw new RangeError(
          `Clock skew must be a whole number of milliseconds within ±${MAX_CLOCK_SKEW_MS}.`,
        );
      }
      skew = skewMs;
    },
  };
}
