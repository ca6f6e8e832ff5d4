import type { MfaSessionResponse } from "@mfa-kit/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { localCoordinator } from "./coordinator";
import type { EngineCore } from "./core";
import { createMfaSession } from "./mfaSession";
import { resolveOptions } from "./options";
import { createStore } from "./store";
import type { MfaSnapshot, WireResponse } from "./types";

const BASE = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;
const live = (token: string, expiresAt = BASE + HOUR): MfaSessionResponse => ({
  token,
  expiresAt,
  authTime: BASE,
  acr: "mfa",
  amr: ["otp"],
});

/** A core whose API answers the session refresh with `reply` (and whose clock is the local one). */
function coreOf(reply: () => Promise<WireResponse>, stored: MfaSessionResponse | null = null) {
  const items = new Map<string, string>();
  if (stored) items.set("mfa-kit.session", JSON.stringify(stored));
  const storage = {
    getItem: (k: string) => items.get(k) ?? null,
    setItem: (k: string, v: string) => void items.set(k, v),
    removeItem: (k: string) => void items.delete(k),
  };
  const call = vi.fn((..._args: unknown[]) => reply());
  const core = {
    o: resolveOptions({ session: { storage } }),
    store_: createStore<MfaSnapshot>({
      status: "idle",
      session: null,
      pendingChallenge: null,
      clockOffsetMs: 0,
      rateLimitedUntil: null,
    }),
    clock: { now: () => Date.now(), offsetMs: 0, sample: () => false },
    coordinator_: localCoordinator,
    emit: vi.fn(),
    publish_: vi.fn(),
    call,
  } as unknown as EngineCore;
  return { core, call, items };
}

describe("createMfaSession", () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: BASE });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("loads the stored session and shows it without its token", () => {
    const { core } = coreOf(() => Promise.reject(new Error("unused")), live("s1"));
    const s = createMfaSession(core);
    expect(s.get_()?.token).toBe("s1");
    expect(core.store_.getSnapshot().session).toEqual({
      expiresAt: BASE + HOUR,
      acr: "mfa",
      amr: ["otp"],
      authTime: BASE,
    });
  });

  it("is due refreshBeforeMs before it expires, not a millisecond sooner", () => {
    const { core } = coreOf(() => Promise.reject(new Error("unused")), live("s1"));
    const s = createMfaSession(core);
    vi.setSystemTime(BASE + HOUR - 60_001);
    expect(s.due_()).toBe(false);
    vi.setSystemTime(BASE + HOUR - 60_000);
    expect(s.due_()).toBe(true);
    s.set_(null);
    expect(s.due_()).toBe(false);
  });

  it("refreshes at the API's refresh route, stores and tells the new session", async () => {
    const next = live("s2", BASE + 2 * HOUR);
    const { core, call, items } = coreOf(
      async () => ({ status: 200, headers: new Headers(), body: next }),
      live("s1"),
    );
    const s = createMfaSession(core);
    await s.refresh_("https://api.example.com/data");
    expect(call).toHaveBeenCalledWith(
      "https://api.example.com/mfa/session/refresh",
      "POST",
      undefined,
      undefined,
      true,
    );
    expect(s.get_()).toEqual(next);
    expect(JSON.parse(items.get("mfa-kit.session")!)).toEqual(next);
    expect(core.emit).toHaveBeenCalledWith("session.refreshed", {
      session: { expiresAt: BASE + 2 * HOUR, acr: "mfa", amr: ["otp"], authTime: BASE },
    });
    expect((core.publish_ as ReturnType<typeof vi.fn>).mock.calls).toEqual([[1], [-1]]);
  });

  it("does not ask again before the new session is due when the API did not extend it", async () => {
    const same = live("s1", BASE + HOUR);
    const { core } = coreOf(
      async () => ({ status: 200, headers: new Headers(), body: same }),
      same,
    );
    const s = createMfaSession(core);
    vi.setSystemTime(BASE + HOUR - 30_000);
    expect(s.due_()).toBe(true);
    await s.refresh_("https://api.example.com/");
    // retryAt = now + expiresAt - now - refreshBeforeMs: already past, so due again at once
    expect(s.due_()).toBe(true);
    const longer = live("s1", BASE + 2 * HOUR);
    const { core: core2 } = coreOf(
      async () => ({ status: 200, headers: new Headers(), body: longer }),
      same,
    );
    const s2 = createMfaSession(core2);
    await s2.refresh_("https://api.example.com/");
    vi.setSystemTime(BASE + 2 * HOUR - 60_001);
    expect(s2.due_()).toBe(false);
    vi.setSystemTime(BASE + 2 * HOUR - 60_000);
    expect(s2.due_()).toBe(true);
  });

  it("waits five seconds after a failed refresh, keeping the session", async () => {
    const { core } = coreOf(() => Promise.reject(new Error("offline")), live("s1"));
    const s = createMfaSession(core);
    vi.setSystemTime(BASE + HOUR - 10_000);
    await s.refresh_("https://api.example.com/");
    expect(s.get_()?.token).toBe("s1");
    vi.advanceTimersByTime(4_999);
    expect(s.due_()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(s.due_()).toBe(true);
  });

  it("drops a session the API rejects with 401, and keeps it on another refusal", async () => {
    const rejected = coreOf(
      async () => ({ status: 401, headers: new Headers(), body: {} }),
      live("s1"),
    );
    const s = createMfaSession(rejected.core);
    await s.refresh_("https://api.example.com/");
    expect(s.get_()).toBeNull();
    expect(rejected.items.has("mfa-kit.session")).toBe(false);
    expect(rejected.core.store_.getSnapshot().session).toBeNull();

    const refused = coreOf(
      async () => ({ status: 503, headers: new Headers(), body: {} }),
      live("s1"),
    );
    const kept = createMfaSession(refused.core);
    await kept.refresh_("https://api.example.com/");
    expect(kept.get_()?.token).toBe("s1");
    // a 2xx without a session keeps it too
    const empty = coreOf(
      async () => ({ status: 200, headers: new Headers(), body: {} }),
      live("s1"),
    );
    const s3 = createMfaSession(empty.core);
    await s3.refresh_("https://api.example.com/");
    expect(s3.get_()?.token).toBe("s1");
  });

  it("keeps a session set while a 401 refresh was under way", async () => {
    let answer!: (r: WireResponse) => void;
    const { core } = coreOf(
      () =>
        new Promise<WireResponse>((resolve) => {
          answer = resolve;
        }),
      live("s1"),
    );
    const s = createMfaSession(core);
    const refreshing = s.refresh_("https://api.example.com/");
    s.set_(live("fresh"));
    answer({ status: 401, headers: new Headers(), body: {} });
    await refreshing;
    expect(s.get_()?.token).toBe("fresh");
  });

  it("adopts another tab's session without storing it again", () => {
    const { core, items } = coreOf(() => Promise.reject(new Error("unused")));
    const s = createMfaSession(core);
    s.adopt_(live("other-tab"));
    expect(s.get_()?.token).toBe("other-tab");
    expect(items.size).toBe(0);
    expect(core.store_.getSnapshot().session?.expiresAt).toBe(BASE + HOUR);
    items.set("mfa-kit.session", JSON.stringify(live("stored")));
    expect(s.stored_()?.token).toBe("stored");
    s.adopt_(null);
    expect(core.store_.getSnapshot().session).toBeNull();
  });
});
