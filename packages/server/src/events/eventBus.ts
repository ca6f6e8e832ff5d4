import type { MfaEvent } from "./types";

/** Delivers events to one listener off the verification path. */
export interface EventBus {
  /** Whether anyone listens: when not, events are not even built. */
  readonly enabled: boolean;
  /** Queues `event` for delivery on a later macrotask; returns at once. */
  emit(event: MfaEvent): void;
  /** Resolves when every queued event was delivered, failed or timed out. */
  flush(): Promise<void>;
}

type Listener = (event: MfaEvent) => void | Promise<void>;

const defaultOnError = (error: unknown, event: MfaEvent) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`[mfa-kit] onEvent failed for ${event.type} (${event.id}): ${message}`);
};

/**
 * An {@link EventBus}: each event is handed to the listener in a `setTimeout(0)` callback, in the
 * order emitted, so a verification never waits for a listener. A listener that throws, rejects or
 * does not settle within `timeoutMs` is reported to `onError` and otherwise ignored.
 */
export function createEventBus(
  listener: Listener | undefined,
  timeoutMs: number,
  onError: (error: unknown, event: MfaEvent) => void = defaultOnError,
): EventBus {
  const pending = new Set<Promise<void>>();

  const report = (error: unknown, event: MfaEvent) => {
    try {
      onError(error, event);
    } catch {
      // An error reporter that throws has nowhere left to report to.
    }
  };

  const deliver = (event: MfaEvent): Promise<void> =>
    new Promise<void>((resolve) => {
      setTimeout(() => {
        let result: unknown;
        try {
          result = listener!(event);
        } catch (error) {
          report(error, event);
          resolve();
          return;
        }
        if (!result || typeof (result as Promise<void>).then !== "function") {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          report(new Error(`listener did not settle within ${timeoutMs} ms`), event);
          resolve();
        }, timeoutMs);
        (timer as { unref?: () => void }).unref?.();
        (result as Promise<void>).then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (error: unknown) => {
            clearTimeout(timer);
            report(error, event);
            resolve();
          },
        );
      }, 0);
    });

  return {
    enabled: listener !== undefined,
    emit(event) {
      if (!listener) return;
      const delivery = deliver(event);
      pending.add(delivery);
      void delivery.then(() => pending.delete(delivery));
    },
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
