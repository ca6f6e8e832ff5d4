import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createClockSampler } from "./clockSampler";
import { createStore } from "./store";
import type { MfaSnapshot } from "./types";

const BASE = Date.UTC(2030, 0, 1);

function setup() {
  const store = createStore<MfaSnapshot>({
    status: "idle",
    session: null,
    pendingChallenge: null,
    clockOffsetMs: 0,
    rateLimitedUntil: null,
  });
  const emit = vi.fn();
  const sampler = createClockSampler(store, emit);
  /** A response answered now, sent now (no round trip), whose server clock read `offset` ahead. */
  const answer = (serverAheadMs: number) => {
    // The header has whole seconds and a sample is its second's middle (D + 500 - now): a minute
    // later, at the moment when the server's D is a whole second.
    const date = Math.ceil((Date.now() + 60_000 + serverAheadMs - 500) / 1000) * 1000;
    vi.setSystemTime(date - serverAheadMs + 500);
    sampler.sample_(new Date(date).toUTCString(), Date.now());
  };
  return { store, emit, sampler, answer };
}

describe("createClockSampler", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: BASE });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("publishes the offset when it moved by 500 ms or more", () => {
    const { store, answer, sampler } = setup();
    answer(10_000);
    expect(sampler.clock_.offsetMs).toBe(10_000);
    expect(store.getSnapshot().clockOffsetMs).toBe(10_000);
    answer(10_998); // smoothed half way: 10 499, 499 from what is shown
    expect(sampler.clock_.offsetMs).toBe(10_499);
    expect(store.getSnapshot().clockOffsetMs).toBe(10_000);
    answer(10_499 + 3); // weight 1/3: 10 500, 500 from what is shown
    expect(sampler.clock_.offsetMs).toBe(10_500);
    expect(store.getSnapshot().clockOffsetMs).toBe(10_500);
  });

  it("tells clock.skew once when the offset goes past 30 s, and again after it came back", () => {
    const { emit, answer } = setup();
    answer(30_000);
    expect(emit).not.toHaveBeenCalled();
    answer(40_000); // a jump: adopted at once
    expect(emit.mock.calls).toEqual([["clock.skew", { offsetMs: 40_000 }]]);
    answer(41_000);
    expect(emit).toHaveBeenCalledTimes(1);
    answer(0); // back
    answer(-40_000);
    expect(emit.mock.calls).toEqual([
      ["clock.skew", { offsetMs: 40_000 }],
      ["clock.skew", { offsetMs: -40_000 }],
    ]);
  });

  it("tells clock.unavailable once, and only before any sample", () => {
    const first = setup();
    first.sampler.sample_(null, Date.now());
    first.sampler.sample_(undefined, Date.now());
    expect(first.emit.mock.calls).toEqual([["clock.unavailable"]]);
    const sampled = setup();
    sampled.answer(1_000);
    sampled.sampler.sample_(null, Date.now());
    expect(sampled.emit).not.toHaveBeenCalled();
    // an unreadable header is no sample: the clock stays where it was
    const unreadable = setup();
    unreadable.sampler.sample_("soon", Date.now());
    expect(unreadable.sampler.clock_.offsetMs).toBe(0);
    expect(unreadable.store.getSnapshot().clockOffsetMs).toBe(0);
  });
});
