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
