import { type Clock, createClock } from "./clock";
import type { EngineCore } from "./core";
import type { Store } from "./store";
import type { MfaSnapshot } from "./types";

/** Beyond this offset TOTP codes computed on the local clock stop working. */
const SKEW_MS = 30_000;
/** The snapshot's `clockOffsetMs` moves in steps of at least this much. */
const PUBLISH_STEP_MS = 500;

/** The clock and what feeds it (see {@link createClockSampler}). */
export interface ClockSampler {
  readonly clock_: Clock;
  /**
   * Takes the `Date` header of a response (errors included) to a request sent at `sentAt`: the
   * clock's estimate moves, the snapshot shows it when it moved by 500 ms or more, and
   * `clock.skew` is told when the offset first goes beyond 30 s (again only after it came back
   * within). A response without a readable `Date` before any sample (a cross-origin API that does
   * not expose it) is told once as `clock.unavailable`: the clock stays uncorrected, never guessed.
   */
  sample_(date: string | null | undefined, sentAt: number): void;
}

/** Samples the server's clock from each response, for the snapshot and the skew event. */
export function createClockSampler(
  store: Store<MfaSnapshot>,
  emit: EngineCore["emit"],
): ClockSampler {
  const clock = createClock();
  let skew = false;
  /** Whether the clock has had a sample, or its absence was told. */
  let clocked = false;
  return {
    clock_: clock,
    sample_(date, sentAt) {
      if (!date && !clocked) {
        clocked = true;
        emit("clock.unavailable");
      }
      if (!clock.sample(date, sentAt, Date.now())) return;
      clocked = true;
      const offset = clock.offsetMs;
      if (Math.abs(offset - store.getSnapshot().clockOffsetMs) >= PUBLISH_STEP_MS) {
        store.set({ clockOffsetMs: offset });
      }
      const beyond = Math.abs(offset) > SKEW_MS;
      if (beyond && !skew) emit("clock.skew", { offsetMs: offset });
      skew = beyond;
    },
  };
}
