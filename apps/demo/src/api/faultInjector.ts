/** A fault the demo server answers with instead of the real response. */
export interface Fault {
  /** `429 Too Many Requests` or `503 Service Unavailable`. */
  status: 429 | 503;
  /** Seconds sent in `Retry-After`. */
  retryAfterSeconds: number;
}

/** What is armed: the fault and how many more requests get it. */
export interface ArmedFault extends Fault {
  remaining: number;
}

/** Makes the next N protected calls fail with a 429 or 503, so the client's retries show. */
export interface FaultInjector {
  /** The next `count` requests get `fault`; replaces whatever was armed. */
  arm(fault: Fault, count: number): void;
  /** Disarms. */
  clear(): void;
  /** The fault for this request, counting it, or `null` when none is armed. */
  take(): Fault | null;
  /** What is armed now, or `null`. */
  readonly armed: ArmedFault | null;
}

/** The most requests one arming may fail. */
const MAX_FAULT_COUNT = 20;
/** The longest `Retry-After` the demo sends, in seconds. */
const MAX_FAULT_RETRY_AFTER_SECONDS = 120;

/** An injector with nothing armed. */
export function createFaultInjector(): FaultInjector {
  let armed: ArmedFault | null = null;
  return {
    arm(fault, count) {
      if (fault.status !== 429 && fault.status !== 503) {
        throw new RangeError("A fault's status is 429 or 503.");
      }
      if (!Number.isInteger(count) || count < 1 || count > MAX_FAULT_COUNT) {
        throw new RangeError(`A fault applies to 1 to ${MAX_FAULT_COUNT} requests.`);
      }
      const s = fault.retryAfterSeconds;
      if (!Number.isInteger(s) || s < 0 || s > MAX_FAULT_RETRY_AFTER_SECONDS) {
        throw new RangeError(
          `Retry-After is a whole number of seconds from 0 to ${MAX_FAULT_RETRY_AFTER_SECONDS}.`,
        );
      }
      armed = { status: fault.status, retryAfterSeconds: s, remaining: count };
    },
    clear() {
      armed = null;
    },
    take() {
      if (!armed) return null;
      const { status, retryAfterSeconds } = armed;
      armed = armed.remaining > 1 ? { ...armed, remaining: armed.remaining - 1 } : null;
      return { status, retryAfterSeconds };
    },
    get armed() {
      return armed;
    },
  };
}
