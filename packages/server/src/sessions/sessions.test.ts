import { describe, expect, it, vi } from "vitest";
import { nodeCrypto } from "../crypto/node";
import { memoryStore } from "../stores/memory";
import { testKit, totpCode, userWithTotp } from "../testing/fixtures";
import { isPromise, sessionChecker } from "./sessions";

async function signedIn(overrides = {}) {
  const kit = testKit(overrides);
  const { secret } = await userWithTotp(kit);
  const result = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
  if (!result.ok) throw new Error(result.reason);
  return { kit, session: result.session, secret };
}

describe("MFA sessions", () => {
  it("are opaque 256-bit random tokens stored only as hashes", async () => {
    const { kit, session } = await signedIn();
    expect(session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(kit.store.dump())).not.toContain(session.token);
  });

  it("carry acr, amr and auth_time, and expire after 15 minutes", async () => {
    const { kit, session } = await signedIn();
    expect(session.expiresAt).toBe(kit.clock.now + 900_000);
    expect(await kit.mfa.checkSession(session.token)).toEqual({
      ok: true,
      claims: {
        userId: "alice",
        acr: "mfa",
        amr: ["otp", "mfa"],
        authTime: kit.clock.now,
        expiresAt: kit.clock.now + 900_000,
        factorId: expect.any(String),
      },
    });
    kit.tick(900_000);
    expect(await kit.mfa.checkSession(session.token)).toEqual({
      ok: false,
      reason: "invalid_session",
      challenge: { acrValues: ["mfa"] },
    });
  });

  it("ask for a step-up when the verification is older than maxAgeMs", async () => {
    const { kit, session } = await signedIn();
    kit.tick(299_000);
    expect((await kit.mfa.checkSession(session.token, { maxAgeMs: 300_000 })).ok).toBe(true);
    kit.tick(2_000);
    expect(await kit.mfa.checkSession(session.token, { maxAgeMs: 300_000 })).toEqual({
      ok: false,
      reason: "step_up_required",
      challenge: { acrValues: ["mfa"], maxAge: 300 },
    });
  });

  it("ask for a stronger method when acr_values demand one", async () => {
    const { kit, session } = await signedIn();
    expect(await kit.mfa.checkSession(session.token, { acrValues: ["phr"] })).toEqual({
      ok: false,
      reason: "step_up_required",
      challenge: { acrValues: ["phr"] },
    });
    expect((await kit.mfa.checkSession(session.token, { acrValues: ["mfa", "phr"] })).ok).toBe(
      true,
    );
  });

  it("refresh to a later expiry with the same token and auth_time", async () => {
    const { kit, session } = await signedIn();
    kit.tick(600_000);
    const refreshed = await kit.mfa.refreshSession(session.token);
    expect(refreshed).toEqual({
      ok: true,
      session: { ...session, expiresAt: kit.clock.now + 900_000 },
    });
    kit.tick(800_000);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
  });

  it("never refresh past the maximum lifetime", async () => {
    const { kit, session } = await signedIn({
      sessions: { ttlMs: 900_000, maxLifetimeMs: 1_000_000 },
    });
    kit.tick(800_000);
    const refreshed = await kit.mfa.refreshSession(session.token);
    expect(refreshed.ok && refreshed.session.expiresAt).toBe(session.authTime + 1_000_000);
  });

  it("refuse to refresh an expired, revoked or made-up token", async () => {
    const { kit, session } = await signedIn();
    expect(await kit.mfa.refreshSession("not a token")).toEqual({
      ok: false,
      reason: "invalid_session",
    });
    expect(await kit.mfa.revokeSession(session.token)).toBe(true);
    expect(await kit.mfa.refreshSession(session.token)).toEqual({
      ok: false,
      reason: "invalid_session",
    });
  });

  it("are all revoked by revokeSessions", async () => {
    const { kit, session, secret } = await signedIn();
    kit.tick(30_000);
    const second = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    expect(second.ok).toBe(true);
    // The activation's session, the sign-in's and the second one.
    expect(await kit.mfa.revokeSessions("alice")).toBe(3);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(false);
    expect(second.ok && (await kit.mfa.checkSession(second.session.token)).ok).toBe(false);
  });

  it("are all revoked by revokeSessions but the one named as except", async () => {
    const { kit, session, secret } = await signedIn();
    kit.tick(30_000);
    const second = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    expect(await kit.mfa.revokeSessions("alice", { except: session.token })).toBe(2);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
    expect(second.ok && (await kit.mfa.checkSession(second.session.token)).ok).toBe(false);
  });

  it("answer invalid_session for anything that is not a token, without a store lookup", async () => {
    const { kit } = await signedIn();
    for (const token of [
      "",
      "short",
      "x".repeat(200),
      "bad chars!*&^%$#@bad chars!",
      42 as never,
    ]) {
      expect((await kit.mfa.checkSession(token)).ok).toBe(false);
    }
  });
});

describe("the session check's store answer", () => {
  const checkNow = (kit: ReturnType<typeof testKit>, token: string) =>
    sessionChecker(kit.mfa)(token, {});

  it("is taken at once from the memory store's own getSession, in a copy of the store too", async () => {
    const { kit, session } = await signedIn({ store: { ...memoryStore() } });
    const answer = checkNow(kit, session.token);
    expect(isPromise(answer)).toBe(false);
    expect(answer).toMatchObject({ ok: true, claims: { userId: "alice" } });
    // Another token of the same shape: its first character changed (never to itself).
    const other = `${session.token.startsWith("A") ? "B" : "A"}${session.token.slice(1)}`;
    expect(checkNow(kit, other)).toMatchObject({ ok: false });
  });

  it("is awaited from any other getSession, a wrapper of the memory store's included", async () => {
    const inner = memoryStore();
    const store = {
      ...inner,
      getSession: (hash: string, now: number) => Promise.resolve(inner.getSession(hash, now)),
    };
    const { kit, session } = await signedIn({ store });
    const answer = checkNow(kit, session.token);
    expect(isPromise(answer)).toBe(true);
    expect(await answer).toMatchObject({ ok: true, claims: { userId: "alice" } });
    expect(await kit.mfa.checkSession(session.token)).toMatchObject({ ok: true });
    await kit.mfa.revokeSession(session.token);
    expect(await checkNow(kit, session.token)).toMatchObject({
      ok: false,
      reason: "invalid_session",
    });
  });
});

describe("session tokens of a store with tags (MfaStore.sessionTokenTag)", () => {
  /** A memory store that asks for a tag per user, as the Redis store does. */
  const tagged = (tag: (userId: string) => string = (userId) => `t${userId.length}`) =>
    Object.assign(memoryStore(), { sessionTokenTag: tag });

  it("carry the user's tag before 256 random bits, and the store gets the tag before the hash", async () => {
    const store = tagged();
    const createSession = vi.spyOn(store, "createSession");
    const verifyAttempt = vi.spyOn(store, "verifyAttempt");
    const { kit, session } = await signedIn({ store });
    expect(session.token).toMatch(/^t5\.[A-Za-z0-9_-]{43}$/);
    const hash = `t5.${nodeCrypto.sha256(session.token)}`;
    // The activation's session on its own, the verification's inside the attempt.
    expect(createSession.mock.calls[0]![0]).toMatch(/^t5\.[A-Za-z0-9_-]{43}$/);
    const steps = verifyAttempt.mock.calls.map(([, attempt]) => attempt.success?.session);
    expect(steps.at(-1)?.tokenHash).toBe(hash);
    expect(JSON.stringify(kit.store.dump())).not.toContain(session.token);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
    expect((await kit.mfa.refreshSession(session.token)).ok).toBe(true);
    expect(await kit.mfa.revokeSessions("alice", { except: session.token })).toBe(1);
    expect(await kit.mfa.revokeSession(session.token)).toBe(true);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(false);
  });

  it("refuse a token whose tag or random part was changed", async () => {
    const { kit, session } = await signedIn({ store: tagged() });
    const [tag, random] = session.token.split(".") as [string, string];
    for (const token of [
      `t6.${random}`,
      random,
      `${tag}.${random.slice(1)}x`,
      `${tag}..${random}`,
    ]) {
      expect((await kit.mfa.checkSession(token)).ok).toBe(false);
    }
  });

  it("refuse to issue a session with a tag that is not 1 to 32 base64url characters", async () => {
    for (const tag of ["", "a.b", "{x}", "x".repeat(33)]) {
      const kit = testKit({ store: tagged(() => tag) });
      const { factorId, secret } = await kit.mfa.enrollTotp("alice");
      await expect(
        kit.mfa.activateFactor("alice", factorId, totpCode(secret, kit.clock.now)),
      ).rejects.toThrow(/sessionTokenTag/);
    }
  });
});

describe("the token hash cache (sessions.tokenHashCache)", () => {
  /** A signed-in kit whose SHA-256 calls are counted. */
  async function counted(overrides = {}) {
    const sha256 = vi.fn(nodeCrypto.sha256);
    const signed = await signedIn({ crypto: { ...nodeCrypto, sha256 }, ...overrides });
    sha256.mockClear();
    return { ...signed, sha256 };
  }

  it("hashes a live token once, then checks it with one store lookup and no hash", async () => {
    const { kit, session, sha256 } = await counted();
    const getSession = vi.spyOn(kit.store, "getSession");
    for (let i = 0; i < 5; i++) expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
    expect(sha256).toHaveBeenCalledTimes(1);
    expect(getSession).toHaveBeenCalledTimes(5);
  });

  it("still refuses a revoked or expired session at once", async () => {
    const { kit, session, secret } = await counted();
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
    await kit.mfa.revokeSession(session.token);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(false);

    kit.tick(30_000);
    const second = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    if (!second.ok) throw new Error(second.reason);
    expect((await kit.mfa.checkSession(second.session.token)).ok).toBe(true);
    // Revoked by user: this instance never learns the token, the store's answer decides.
    await kit.mfa.revokeSessions("alice");
    expect((await kit.mfa.checkSession(second.session.token)).ok).toBe(false);

    kit.tick(30_000);
    const third = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    if (!third.ok) throw new Error(third.reason);
    expect((await kit.mfa.checkSession(third.session.token)).ok).toBe(true);
    kit.tick(900_000);
    expect((await kit.mfa.checkSession(third.session.token)).ok).toBe(false);
  });

  it("forgets a token the store no longer knows, so it is hashed again if it comes back", async () => {
    const { kit, session, sha256 } = await counted();
    await kit.mfa.checkSession(session.token);
    // Revoked behind this instance's back, as another instance sharing the store would.
    await kit.store.revokeSession(nodeCrypto.sha256(session.token), kit.clock.now);
    sha256.mockClear();
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(false); // from the cache: refused
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(false); // forgotten: hashed again
    expect(sha256).toHaveBeenCalledTimes(1);
  });

  it("keeps no guessed token, so guesses neither grow it nor push a live token out", async () => {
    const { kit, session, sha256 } = await counted({ sessions: { tokenHashCache: 2 } });
    await kit.mfa.checkSession(session.token);
    for (let i = 0; i < 100; i++) {
      const guess = `guess${String(i).padStart(16, "0")}`;
      expect((await kit.mfa.checkSession(guess)).ok).toBe(false);
    }
    sha256.mockClear();
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
    expect(sha256).not.toHaveBeenCalled();
  });

  it("holds at most tokenHashCache live tokens, the oldest making room", async () => {
    const { kit, secret, sha256 } = await counted({ sessions: { tokenHashCache: 2 } });
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      kit.tick(30_000);
      const r = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
      if (!r.ok) throw new Error(r.reason);
      tokens.push(r.session.token);
      await kit.mfa.checkSession(r.session.token);
    }
    sha256.mockClear();
    // The first token made room for the third: of the three, only it is hashed again.
    for (const token of [...tokens].reverse()) {
      expect((await kit.mfa.checkSession(token)).ok).toBe(true);
    }
    expect(sha256).toHaveBeenCalledTimes(1);
  });

  it("is off with 0: every check hashes", async () => {
    const { kit, session, sha256 } = await counted({ sessions: { tokenHashCache: 0 } });
    for (let i = 0; i < 3; i++) expect((await kit.mfa.checkSession(session.token)).ok).toBe(true);
    expect(sha256).toHaveBeenCalledTimes(3);
  });

  it("rejects a size that is not a finite number >= 0", () => {
    for (const tokenHashCache of [-1, Number.NaN, Number.POSITIVE_INFINITY, "10" as never]) {
      expect(() => testKit({ sessions: { tokenHashCache } })).toThrow(
        /sessions\.tokenHashCache must be a finite number >= 0/,
      );
    }
  });
});
