/** The server's time as this client knows it, corrected from the `Date` header of each response. */
export interface MfaClock {
  /** The server's current time, epoch milliseconds. */
  now(): number;
  /** Server time minus local time, in milliseconds. */
  readonly offsetMs: number;
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
export class Clock implements MfaClock {
  offsetMs = 0;
  private samples = 0;
  private minRttMs = Number.POSITIVE_INFINITY;
  private lastDate = "";
  private lastDateMs = Number.NaN;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /**
   * Adds the sample given by a `Date` header seen on a response to a request sent at `sentAt` and
   * answered at `receivedAt` (both local epoch ms). Returns whether the estimate moved.
   */
  sample(date: string | null | undefined, sentAt: number, receivedAt: number): boolean {
    if (!date || !sentAt) return false;
    if (date !== this.lastDate) {
      this.lastDate = date;
      this.lastDateMs = Date.parse(date);
    }
    const serverMs = this.lastDateMs;
    if (Number.isNaN(serverMs)) return false;
    const rtt = receivedAt >= sentAt ? receivedAt - sentAt : 0;
    const offset = serverMs + HALF_SECOND - (sentAt + receivedAt) / 2;
    const before = this.offsetMs;
    if (this.samples === 0 || Math.abs(offset - before) > rtt / 2 + HALF_SECOND + JUMP_MS) {
      this.samples = 1;
      this.minRttMs = rtt;
      this.offsetMs = Math.round(offset);
    } else {
      if (rtt < this.minRttMs) this.minRttMs = rtt;
      // Smoothing weight: 1/n for the first samples, then 1/8; scaled down by a long round trip.
      const weight = (1 / Math.min(++this.samples, 8)) * ((this.minRttMs + 50) / (rtt + 50));
      this.offsetMs = Math.round(before + weight * (offset - before));
    }
    return this.offsetMs !== before;
  }
}
