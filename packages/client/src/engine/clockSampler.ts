import { type Clock, createClock } from "./clock";
import type { Store } from "./store";
import type { MfaSnapshot } from "./types";

/** Beyond this offset TOTP codes computed on the local clock stop working. */
const SKEW_MS = 30_000;
/** The snapshot's `clockOffsetMs` moves in steps of at least this much. */
const PUBLISH_STEP_MS = 500;

/** The clock and what feeds it (see {@link createClockSampler}). */
export interface ClockSampler {
  readonly clock: Clock;
  /**
   * Takes the `Date` header of a response (errors included) to a request sent at `sentAt`: the
   * clock's estimate moves, the snapshot shows it when it moved by 500 ms or more, and
   * `skewed(offsetMs)` is called when the offset first goes beyond 30 s (again only after it came
   * back within).
   */
  sample(date: string | null | undefined, sentAt: number): void;
}

/** Samples the server's clock from each response, for the snapshot and the skew event. */
export function createClockSampler(
  store: Store<MfaSnapshot>,
  skewed: (offsetMs: number) => void,
): ClockSampler {
  const clock = createClock();
  let skew = false;
  return {
    clock,
    sample(date, sentAt) {
      if (!clock.sample(date, sentAt, Date.now())) return;
      const offset = clock.offsetMs;
      if (Math.abs(offset - store.getSnapshot().clockOffsetMs) >= PUBLISH_STEP_MS) {
        store.set({ clockOffsetMs: offset });
      }
      const beyond = Math.abs(offset) > SKEW_MS;
      if (beyond && !skew) skewed(offset);
      skew = beyond;
    },
  };
}
