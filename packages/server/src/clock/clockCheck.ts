// The server's own clock against sources the app trusts, the way htpdate does it: the `Date` header
// of a HEAD request to each, read at the middle of its round trip, and the median of the offsets.
import { type ClockSide, parseHttpDate } from "@mfa-kit/protocol";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { emit, type KitContext } from "../context";
import { isLoopback } from "../webhooks/dispatcher";

/** Options of `clockCheck`: where the server's clock is compared, and how often. */
export interface ClockCheckOptions {
  /**
   * URLs whose `Date` header the app trusts (its own CDN, a cloud provider's API), asked with HEAD
   * requests: `https:` only (`http:` only for localhost / 127.0.0.0/8). Required, at least one.
   */
  urls: string[];
  /** Milliseconds between two samplings (the first runs at once). Defaults to `600_000` (10 minutes). */
  everyMs?: number;
  /** How long one source may take to answer, in milliseconds. Defaults to `5_000`. */
  timeoutMs?: number;
}

/** The server's clock check (`mfa.clockCheck`): its last reading, a sampling on demand, and `close()`. */
export interface ClockCheck {
  /**
   * Asks every source now and resolves to the median offset of their clocks from the server's in
   * milliseconds (positive: the server is behind), or `null` when none answered with a `Date`.
   * A sampling already under way is shared, not repeated.
   */
  check(): Promise<number | null>;
  /** The last median offset (see `check`), `null` until a source answered. */
  readonly offsetMs: number | null;
  /**
   * Which clock a difference between the server's and a device's lies with, for problems
   * (`clockSide`): `"server"` when the server is more than 30 s off its sources, `"client"` when it
   * is within, `undefined` until a source answered.
   */
  readonly clockSide: ClockSide | undefined;
  /** Stops the periodic sampling (the timer never keeps a process alive anyway). */
  close(): void;
}

/** How far off its sources the server's clock may be before it counts as wrong. */
const CLOCK_TOLERANCE_MS = 30_000;

/** Whether the clock check found the server's own clock off its sources. */
export const serverClockOff = (ctx: Pick<KitContext, "clockOffsetMs">): boolean =>
  ctx.clockOffsetMs !== null && Math.abs(ctx.clockOffsetMs) > CLOCK_TOLERANCE_MS;

/** Checks the `clockCheck` option: throws an `MfaOptionError` naming what is wrong. */
export function resolveClockCheck(options: ClockCheckOptions): Required<ClockCheckOptions> {
  const urls: unknown = options?.urls;
  if (!Array.isArray(urls) || urls.length === 0) {
    throw new MfaOptionError(
      "clockCheck.urls",
      "clockCheck.urls must list at least one https URL.",
    );
  }
  const hrefs = urls.map((u, i) => {
    let url: URL | undefined;
    try {
      url = new URL(String(u));
    } catch {}
    if (url?.protocol !== "https:" && !(url?.protocol === "http:" && isLoopback(url.hostname))) {
      throw new MfaOptionError(
        `clockCheck.urls[${i}]`,
        `clockCheck.urls[${i}] must be an https: URL (http: only for localhost), got ${String(u)}.`,
      );
    }
    return url.href;
  });
  const number = (name: string, value: number | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 1_000) {
      throw new MfaOptionError(
        `clockCheck.${name}`,
        `clockCheck.${name} must be a number >= 1000, got ${String(value)}.`,
      );
    }
    return value;
  };
  return {
    urls: hrefs,
    everyMs: number("everyMs", options.everyMs, 600_000),
    timeoutMs: number("timeoutMs", options.timeoutMs, 5_000),
  };
}

/** The median of a non-empty list. */
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The offset of one source's clock from the kit's: its `Date` (whole seconds, so + 500 ms for the
 * truncated part) minus the kit's time at the middle of the round trip; `null` without an answer.
 */
async function sample(ctx: KitContext, url: string, timeoutMs: number): Promise<number | null> {
  const sent = ctx.now();
  try {
    const response = await fetch(url, {
      // No `cache` member: some edge runtimes refuse it, and nothing caches a server's fetch.
      method: "HEAD",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const received = ctx.now();
    const date = parseHttpDate(response.headers.get("date"), received);
    return date === null ? null : date + 500 - (sent + received) / 2;
  } catch {
    return null;
  }
}

/**
 * Starts the clock check of a kit: samples at once (on the next turn, so a kit closed at once
 * asks nobody), then every `everyMs` on an unref'd timer. Each reading updates `ctx.clockOffsetMs`;
 * `clock.suspect` (`side: "server"`) fires when the server's clock goes more than 30 s off its
 * sources, and again only after it came back within.
 */
export function startClockCheck(ctx: KitContext, options: Required<ClockCheckOptions>): ClockCheck {
  let running: Promise<number | null> | undefined;
  let suspect = false;
  const measure = async () => {
    const offsets = (
      await Promise.all(options.urls.map((u) => sample(ctx, u, options.timeoutMs)))
    ).filter((o): o is number => o !== null);
    if (offsets.length === 0) return null;
    const offset = median(offsets);
    ctx.clockOffsetMs = offset;
    const off = serverClockOff(ctx);
    if (off && !suspect) {
      emit(ctx, {
        type: "clock.suspect",
        userId: "",
        side: "server",
        aheadMs: Math.round(-offset),
        sources: offsets.length,
      });
    }
    suspect = off;
    return offset;
  };
  const check = () => {
    running ??= measure().finally(() => {
      running = undefined;
    });
    return running;
  };
  const unref = (timer: unknown) => (timer as { unref?: () => void }).unref?.();
  const first = setTimeout(() => void check(), 0);
  const every = setInterval(() => void check(), options.everyMs);
  unref(first);
  unref(every);
  return {
    check,
    get offsetMs() {
      return ctx.clockOffsetMs;
    },
    get clockSide() {
      return ctx.clockOffsetMs === null ? undefined : serverClockOff(ctx) ? "server" : "client";
    },
    close() {
      clearTimeout(first);
      clearInterval(every);
    },
  };
}
