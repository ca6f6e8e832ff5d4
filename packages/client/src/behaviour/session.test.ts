import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChallengeHandler, MfaEvent, StorageLike } from "../index";
import { adapterCases, client } from "../test/adapters";
import { FakeApi } from "../test/fakeApi";
import { useServer } from "../test/server";

const server = useServer();
const answer: ChallengeHandler = async () => ({ code: "123456" });
const MINUTE = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

describe.each(adapterCases)("MFA session ($name)", ({ send }) => {
  it("refreshes the session refreshBeforeMs ahead of expiry on the server's clock, once for concurrent calls", async () => {
    const api = new FakeApi(server);
    api.skewMs = 5 * MINUTE; // the server's clock runs 5 minutes ahead
    const events: MfaEvent[] = [];
    const mfa = client({ onChallenge: answer, onEvent: (e) => events.push(e) });
    await send(mfa, "/data/mfa/one");
    const first = mfa.getSnapshot().session!;
    expect(first.expiresAt - api.now()).toBe(15 * MINUTE);

    // 1.5 minutes left on the server's clock (6.5 on the local one): not yet.
    vi.advanceTimersByTime(13.5 * MINUTE);
    await send(mfa, "/data/mfa/two");
    expect(api.sessionRefreshes).toBe(0);

    // 30 seconds left on the server's clock: refreshed first, once for all five calls.
    vi.advanceTimersByTime(MINUTE);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => send(mfa, `/data/mfa/${i}`)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(api.sessionRefreshes).toBe(1);
    const next = mfa.getSnapshot().session!;
    expect(next.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(next.authTime).toBe(first.authTime);
    expect(events.filter((e) => e.type === "session.refreshed")).toHaveLength(1);
    // Every call carried the refreshed session.
    const latest = [...api.sessions.keys()].at(-1);
    expect(api.seen.slice(-5).every((s) => s.headers.get("x-session-token") === latest)).toBe(true);
  });

  it("drops a session the API will not refresh, and the next guarded call steps up", async () => {
    const api = new FakeApi(server);
    const onChallenge = vi.fn(answer);
    const mfa = client({ onChallenge });
    await send(mfa, "/data/mfa/one");
    api.sessions.clear();
    vi.advanceTimersByTime(14.5 * MINUTE);
    expect((await send(mfa, "/data/mfa/two")).status).toBe(200);
    expect(api.sessionRefreshes).toBe(1);
    expect(onChallenge).toHaveBeenCalledTimes(2);
  });

  it("keeps the session in the given storage and finds it there again", async () => {
    new FakeApi(server);
    const items = new Map<string, string>();
    const storage: StorageLike = {
      getItem: (k) => items.get(k) ?? null,
      setItem: (k, v) => void items.set(k, v),
      removeItem: (k) => void items.delete(k),
    };
    const mfa = client({ onChallenge: answer, session: { storage } });
    await send(mfa, "/data/mfa/one");
    expect(JSON.parse(items.get("mfa-kit.session")!)).toMatchObject({ token: "s1", acr: "mfa" });

    const again = client({ session: { storage } });
    expect(again.getSnapshot().session).toEqual(mfa.getSnapshot().session);
    expect((await send(again, "/data/mfa/two")).status).toBe(200);

    again.signOut();
    expect(items.size).toBe(0);
    expect(again.getSnapshot().session).toBeNull();
  });
});

describe("session storage", () => {
  it("ignores an unreadable or foreign stored value", () => {
    const storage: StorageLike = { getItem: () => "{not json", setItem() {}, removeItem() {} };
    expect(client({ session: { storage } }).getSnapshot().session).toBeNull();
    const foreign: StorageLike = { getItem: () => '{"token":1}', setItem() {}, removeItem() {} };
    expect(client({ session: { storage: foreign } }).getSnapshot().session).toBeNull();
  });

  it("falls back to memory when sessionStorage is absent, and survives a throwing storage", async () => {
    new FakeApi(server);
    const mfa = client({ onChallenge: answer, session: { storage: "sessionStorage" } });
    await adapterCases[1]!.send(mfa, "/data/mfa/one");
    expect(mfa.getSnapshot().session).not.toBeNull();
    const broken: StorageLike = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem() {},
    };
    const other = client({ onChallenge: answer, session: { storage: broken } });
    expect((await adapterCases[1]!.send(other, "/data/mfa/one")).status).toBe(200);
    expect(other.getSnapshot().session).not.toBeNull();
  });
});
