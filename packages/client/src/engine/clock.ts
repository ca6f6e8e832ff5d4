/** The server's time as this client knows it, corrected from the `Date` header of each response. */
export interface MfaClock {
  /** The server's current time, epoch milliseconds. */
  now(): number;
  /** Server time minus local time, in milliseconds. */
  readonly offsetMs: number;
}

/** The clock with the means to correct it. */
export interface Clock extends MfaClock {
  /**
   * Adds the sample given by a `Date` header seen on a response to a request sent at `sentAt` and
   * answered at `receivedAt` (both local epoch ms). Returns whether the estimate moved.
   */
  sample(date: string | null | undefined, sentAt: number, receivedAt: number): boolean;
}

// An HTTP-date has whole seconds: the server's time was anywhere in [date, date + 1 s).
const HALF_SECOND = 500;
// A sample this far from the estimate (beyond what the round trip explains) is a clock jump.
const JUMP_MS = 2_000;

/**
 * Estimates the offset between the server's clock and this one, NTP style: each response's `Date`
 * header minus the midpoint of send and receive is one sample. Samples are smoothed, and a sample
 * with a long round trip counts less than one with a short round trip; a sample that disagrees by
 * more than its round trip and two seconds is taken as a clock jump and adopted at once.
 */
export function createClock(): Clock {
  let offsetMs = 0;
  let samples = 0;
  let minRttMs = 0;
  // The last header and its value: a busy client sees the same `Date` many times a second.
  let lastDate: string | null | undefined;
  let lastDateMs = Number.NaN;
  return {
    get offsetMs() {
      return offsetMs;
    },
    now: () => Date.now() + offsetMs,
    sample(date, sentAt, receivedAt) {
      if (date !== lastDate) {
        lastDate = date;
        lastDateMs = Date.parse(date!);
      }
      if (!sentAt || Number.isNaN(lastDateMs)) return false;
      const rtt = receivedAt > sentAt ? receivedAt - sentAt : 0;
      const offset = lastDateMs + HALF_SECOND - (sentAt + receivedAt) / 2;
      const before = offsetMs;
      if (!samples || Math.abs(offset - before) > rtt / 2 + HALF_SECOND + JUMP_MS) {
        samples = 1;
        minRttMs = rtt;
        offsetMs = Math.round(offset);
      } else {
        if (rtt < minRttMs) minRttMs = rtt;
        // Smoothing weight: 1/n for the first samples, then 1/8; scaled down by a long round trip.
        const weight = (1 / Math.min(++samples, 8)) * ((minRttMs + 50) / (rtt + 50));
        offsetMs = Math.round(before + weight * (offset - before));
      }
      return offsetMs !== before;
    },
  };
}
