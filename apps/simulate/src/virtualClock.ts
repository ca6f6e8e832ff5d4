/**
 * Virtual time for a whole simulated world. While {@link VirtualClock.run} runs, `Date.now`,
 * `setTimeout`, `clearTimeout` and `Math.random` are the clock's (the client reads the global
 * ones; the kit gets `now`): time moves only when every actor waits, straight to the next timer,
 * so hours of simulated time take seconds and every run of one seed is the same run.
 */
export interface VirtualClock {
  /** Virtual epoch milliseconds. */
  now(): number;
  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void>;
  /** Runs `main` on virtual time with the globals replaced; restores them after. */
  run<T>(main: () => Promise<T>): Promise<T>;
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
  unref(): Timer;
  ref(): Timer;
  hasRef(): boolean;
}

/** A binary min-heap of timers by time, then by creation (timers due together run in order). */
class TimerHeap {
  private items: Timer[] = [];
  get size() {
    return this.items.length;
  }
  private less(i: number, j: number) {
    const a = this.items[i]!;
    const b = this.items[j]!;
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }
  private swap(i: number, j: number) {
    const t = this.items[i]!;
    this.items[i] = this.items[j]!;
    this.items[j] = t;
  }
  push(timer: Timer) {
    this.items.push(timer);
    let i = this.items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): Timer | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (this.items.length > 0 && last) {
      this.items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.items.length && this.less(l, m)) m = l;
        if (r < this.items.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

// Captured before any replacement: the real event loop, to let pending promise jobs run.
const realSetImmediate = globalThis.setImmediate;
const settle = () => new Promise<void>((resolve) => realSetImmediate(resolve));

/**
 * A virtual clock starting at `startMs`, whose `Math.random` is `random` (a seeded source).
 * Everything the simulated world awaits must be promise jobs or these timers (no real I/O): a
 * macrotask of the real event loop lets all pending promise jobs run, then time jumps.
 */
export function virtualClock(startMs: number, random: () => number): VirtualClock {
  let now = startMs;
  let seq = 0;
  const timers = new TimerHeap();

  const setTimer = (fn: (...args: unknown[]) => void, ms = 0, ...args: unknown[]): Timer => {
    const timer: Timer = {
      at: now + Math.max(0, Number(ms) || 0),
      seq: seq++,
      fn: () => fn(...args),
      cancelled: false,
      unref: () => timer,
      ref: () => timer,
      hasRef: () => true,
    };
    timers.push(timer);
    return timer;
  };
  const clearTimer = (timer: unknown) => {
    if (timer && typeof timer === "object" && "cancelled" in timer) {
      (timer as Timer).cancelled = true;
    }
  };

  return {
    now: () => now,
    sleep: (ms) => new Promise<void>((resolve) => setTimer(() => resolve(), ms)),
    async run<T>(main: () => Promise<T>): Promise<T> {
      const saved = {
        now: Date.now,
        setTimeout: globalThis.setTimeout,
        clearTimeout: globalThis.clearTimeout,
        random: Math.random,
      };
      Date.now = () => now;
      globalThis.setTimeout = setTimer as unknown as typeof setTimeout;
      globalThis.clearTimeout = clearTimer as typeof clearTimeout;
      Math.random = random;
      try {
        let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
        main().then(
          (value) => {
            outcome = { ok: true, value };
          },
          (error: unknown) => {
            outcome = { ok: false, error };
          },
        );
        for (;;) {
          await settle();
          if (outcome) break;
          let timer = timers.pop();
          while (timer?.cancelled) timer = timers.pop();
          if (!timer) throw new Error("The simulation stalled: nothing left to wait for.");
          now = Math.max(now, timer.at);
          timer.fn();
        }
        if (!outcome.ok) throw outcome.error;
        return outcome.value;
      } finally {
        Date.now = saved.now;
        globalThis.setTimeout = saved.setTimeout;
        globalThis.clearTimeout = saved.clearTimeout;
        Math.random = saved.random;
      }
    },
  };
}
