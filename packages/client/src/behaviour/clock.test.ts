import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MfaEvent } from "../index";
import { adapterCases, client } from "../test/adapters";
import { FakeApi } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2030-01-01T00:00:00.700Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each(adapterCases)("clock drift ($name)", ({ send }) => {
  it("knows the server's clock within 1 s after one response when it runs 5 minutes ahead", async () => {
    const api = new FakeApi(server);
    api.skewMs = 5 * 60_000;
    const events: MfaEvent[] = [];
    const mfa = client({ onEvent: (e) => events.push(e) });
    expect(mfa.clock.offsetMs).toBe(0);
    await send(mfa, "/data/plain");
    expect(Math.abs(mfa.clock.offsetMs - api.skewMs)).toBeLessThan(1000);
    expect(Math.abs(mfa.clock.now() - api.now())).toBeLessThan(1000);
    expect(mfa.getSnapshot().clockOffsetMs).toBe(mfa.clock.offsetMs);
    // Beyond 30 s TOTP codes computed locally stop working: the client says so, once.
    expect(events).toEqual([{ type: "clock.skew", offsetMs: mfa.clock.offsetMs }]);
    await send(mfa, "/data/plain");
    expect(events.filter((e) => e.type === "clock.skew")).toHaveLength(1);
  });

  // clock.skew is news, not a status: one event when the offset goes beyond 30 s, the next one
  // only after it came back within 30 s and went beyond again; every sample in between is quiet.
  it("tells clock.skew once per excursion beyond 30 s, however many samples it lasts", async () => {
    const api = new FakeApi(server);
    const events: MfaEvent[] = [];
    const mfa = client({ onEvent: (e) => events.push(e) });
    const skews = () => events.filter((e) => e.type === "clock.skew");
    for (let i = 0; i < 3; i++) {
      // A server clock that keeps drifting: each sample moves the estimate.
      api.skewMs = 5 * 60_000 + i * 5_000;
      await send(mfa, "/data/plain");
      vi.setSystemTime(Date.now() + 10_000);
    }
    expect(Math.abs(mfa.clock.offsetMs - api.skewMs)).toBeLessThan(1000);
    expect(skews()).toHaveLength(1);
    api.skewMs = 0;
    await send(mfa, "/data/plain");
    expect(Math.abs(mfa.clock.offsetMs)).toBeLessThan(1000);
    vi.setSystemTime(Date.now() + 10_000);
    api.skewMs = -2 * 60_000;
    await send(mfa, "/data/plain");
    expect(skews()).toHaveLength(2);
    expect(skews()[1]).toEqual({ type: "clock.skew", offsetMs: mfa.clock.offsetMs });
  });

  it("reads the Date of error responses too, and stays quiet about a small offset", async () => {
    const api = new FakeApi(server);
    api.skewMs = -4_000;
    api.tokens.clear();
    const events: MfaEvent[] = [];
    const mfa = client({ onEvent: (e) => events.push(e) });
    expect((await send(mfa, "/data/plain")).status).toBe(401);
    expect(Math.abs(mfa.clock.offsetMs - api.skewMs)).toBeLessThan(1000);
    expect(events).toEqual([]);
  });
});
