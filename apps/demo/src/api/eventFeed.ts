/** How much a security event matters to the account's owner. */
type EventSeverity = "info" | "warning" | "critical";

/** One entry of the security-event feed, as `GET /demo/events` answers it. */
export interface DemoEvent {
  /** Increases by one per event; ask for `after` the last one you saw. */
  seq: number;
  /** Epoch milliseconds on the server's clock. */
  at: number;
  /** What happened: `mfa.verify.failed`, `mfa.locked`, `auth.signin`, `demo.clock`, ... */
  type: string;
  severity: EventSeverity;
  /** One sentence for people. */
  message: string;
  /** The account it concerns; events without one (demo controls) concern everyone. */
  userId?: string;
  /** Extra facts worth showing (factor, attempts left, IP, ...). */
  data?: Record<string, unknown>;
}

/** What a producer hands to the feed; it adds `seq` and `at`. */
export type NewDemoEvent = Omit<DemoEvent, "seq" | "at">;

/** An in-memory feed of recent security events that readers can long-poll. */
export interface EventFeed {
  publish(event: NewDemoEvent): DemoEvent;
  /** The events after `after` that `userId` may see, oldest first. */
  list(userId: string | undefined, after?: number): DemoEvent[];
  /**
   * Like `list`, but when there is nothing yet it waits up to `timeoutMs` for the next event
   * (or until `signal` aborts) and answers what arrived, possibly nothing.
   */
  wait(
    userId: string | undefined,
    after: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<DemoEvent[]>;
  /** The `seq` of the newest event, 0 when there is none. */
  readonly lastSeq: number;
}

/** Options of {@link createEventFeed}. */
export interface EventFeedOptions {
  /** The clock stamping events. Defaults to `Date.now`. */
  now?: () => number;
  /** How many events are kept. Defaults to 200. */
  capacity?: number;
}

/** A feed keeping the newest `capacity` events in memory. */
export function createEventFeed(options: EventFeedOptions = {}): EventFeed {
  const now = options.now ?? (() => Date.now());
  const capacity = options.capacity ?? 200;
  const events: DemoEvent[] = [];
  const waiters = new Set<() => void>();
  let seq = 0;

  const visible = (userId: string | undefined, after: number) =>
    events.filter((e) => e.seq > after && (e.userId === undefined || e.userId === userId));

  return {
    publish(event) {
      const stored: DemoEvent = { ...event, seq: ++seq, at: now() };
      events.push(stored);
      if (events.length > capacity) events.splice(0, events.length - capacity);
      for (const wake of [...waiters]) wake();
      return stored;
    },
    list: (userId, after = 0) => visible(userId, after),
    wait(userId, after, timeoutMs, signal) {
      const ready = visible(userId, after);
      if (ready.length > 0 || timeoutMs <= 0 || signal?.aborted) return Promise.resolve(ready);
      return new Promise((resolve) => {
        const done = () => {
          waiters.delete(check);
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve(visible(userId, after));
        };
        const check = () => {
          if (visible(userId, after).length > 0) done();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener("abort", done, { once: true });
        waiters.add(check);
      });
    },
    get lastSeq() {
      return seq;
    },
  };
}
