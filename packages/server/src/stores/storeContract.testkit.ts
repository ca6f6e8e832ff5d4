import { beforeEach, describe, expect, it } from "vitest";
import type { LimitPolicy, MfaStore } from "./types";

/**
 * The executable contract of {@link MfaStore}: every store implementation runs this suite
 * (`describeStoreContract("redisStore", () => redisStore(...))`). Times are explicit `now` values,
 * so the suite needs no clock control; concurrency cases fire many calls at once and count winners.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => MfaStore | Promise<MfaStore>,
  cleanup?: (store: MfaStore) => void | Promise<void>,
): void {
  describe(`${name} (MfaStore contract)`, () => {
    let store: MfaStore;
    let user: string;
    let seq = 0;
    const T = 1_700_000_000_000;
    const policy: LimitPolicy = {
      maxFailures: 3,
      windowMs: 300_000,
      lockoutsMs: [30_000, 60_000, 120_000, 300_000],
      leaseMs: 10_000,
      levelTtlMs: 86_400_000,
    };

    beforeEach(async () => {
      store = await makeStore();
      // A fresh user per test keeps tests independent even on a shared backend.
      user = `u${Date.now().toString(36)}-${seq++}-${Math.random().toString(36).slice(2)}`;
      return async () => {
        await cleanup?.(store);
      };
    });

    describe("factors", () => {
      it("creates a factor once and refuses a second create with the same id", async () => {
        expect(await store.createFactor(user, "f1", { type: "totp", status: "pending" })).toBe(
          true,
        );
        expect(await store.createFactor(user, "f1", { type: "sms" })).toBe(false);
        expect(await store.getFactor(user, "f1")).toEqual({ type: "totp", status: "pending" });
      });

      it("returns copies, so changing a returned record changes nothing stored", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        const record = await store.getFactor(user, "f1");
        record!.type = "changed";
        expect((await store.getFactor(user, "f1"))?.type).toBe("totp");
      });

      it("lists every factor of a user keyed by id, and nothing of other users", async () => {
        await store.createFactor(user, "a", { type: "totp" });
        await store.createFactor(user, "b", { type: "sms" });
        await store.createFactor(`${user}-other`, "c", { type: "email" });
        expect(await store.listFactors(user)).toEqual({ a: { type: "totp" }, b: { type: "sms" } });
        expect(await store.listFactors(`${user}-nobody`)).toEqual({});
      });

      it("merges a patch into an existing record and never creates one", async () => {
        await store.createFactor(user, "f1", { type: "totp", status: "pending" });
        expect(await store.patchFactor(user, "f1", { status: "active", drift: "-1" })).toBe(true);
        expect(await store.getFactor(user, "f1")).toEqual({
          type: "totp",
          status: "active",
          drift: "-1",
        });
        expect(await store.patchFactor(user, "missing", { status: "active" })).toBe(false);
        expect(await store.getFactor(user, "missing")).toBeNull();
      });

      it("advances a counter only upwards and only on an existing factor", async () => {
        await store.createFactor(user, "f1", { type: "hotp" });
        expect(await store.advanceFactorCounter(user, "f1", "counter", 0)).toBe(true);
        expect(await store.advanceFactorCounter(user, "f1", "counter", 5)).toBe(true);
        expect(await store.advanceFactorCounter(user, "f1", "counter", 5)).toBe(false);
        expect(await store.advanceFactorCounter(user, "f1", "counter", 4)).toBe(false);
        expect((await store.getFactor(user, "f1"))?.counter).toBe("5");
        expect(await store.advanceFactorCounter(user, "nope", "counter", 9)).toBe(false);
        expect(await store.getFactor(user, "nope")).toBeNull();
      });

      it("lets exactly one of 50 concurrent advances to the same value win", async () => {
        await store.createFactor(user, "f1", { type: "totp", lastStep: "100" });
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.advanceFactorCounter(user, "f1", "lastStep", 101)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it("deletes a factor and says whether there was one", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        expect(await store.deleteFactor(user, "f1")).toBe(true);
        expect(await store.deleteFactor(user, "f1")).toBe(false);
        expect(await store.getFactor(user, "f1")).toBeNull();
        expect(await store.listFactors(user)).toEqual({});
      });
    });

    describe("backup codes", () => {
      it("stores a set and consumes each hash exactly once", async () => {
        expect(await store.setBackupCodes(user, { salt: "s1", hashes: ["h1", "h2"] })).toBe(true);
        expect(await store.getBackupCodes(user)).toEqual({ salt: "s1", remaining: 2 });
        expect(await store.consumeBackupCode(user, "h1")).toBe(true);
        expect(await store.consumeBackupCode(user, "h1")).toBe(false);
        expect(await store.consumeBackupCode(user, "nope")).toBe(false);
        expect(await store.getBackupCodes(user)).toEqual({ salt: "s1", remaining: 1 });
      });

      it("voids the old set when a new one is stored", async () => {
        await store.setBackupCodes(user, { salt: "s1", hashes: ["old"] });
        await store.setBackupCodes(user, { salt: "s2", hashes: ["new1", "new2"] });
        expect(await store.consumeBackupCode(user, "old")).toBe(false);
        expect(await store.getBackupCodes(user)).toEqual({ salt: "s2", remaining: 2 });
      });

      it("writes with ifAbsent only when the user has no set", async () => {
        expect(
          await store.setBackupCodes(user, { salt: "s1", hashes: ["a"] }, { ifAbsent: true }),
        ).toBe(true);
        expect(
          await store.setBackupCodes(user, { salt: "s2", hashes: ["b"] }, { ifAbsent: true }),
        ).toBe(false);
        expect((await store.getBackupCodes(user))?.salt).toBe("s1");
      });

      it("keeps an exhausted set (so ifAbsent still refuses) and deletes on an empty list", async () => {
        await store.setBackupCodes(user, { salt: "s1", hashes: ["a"] });
        await store.consumeBackupCode(user, "a");
        expect(await store.getBackupCodes(user)).toEqual({ salt: "s1", remaining: 0 });
        expect(
          await store.setBackupCodes(user, { salt: "s2", hashes: ["b"] }, { ifAbsent: true }),
        ).toBe(false);
        await store.setBackupCodes(user, { salt: "", hashes: [] });
        expect(await store.getBackupCodes(user)).toBeNull();
      });

      it("lets exactly one of 50 concurrent consumers of the same code win", async () => {
        await store.setBackupCodes(user, { salt: "s", hashes: ["h1", "h2"] });
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.consumeBackupCode(user, "h1")),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.getBackupCodes(user))?.remaining).toBe(1);
      });
    });

    describe("failure limiter", () => {
      const fail = async (now: number) => {
        const id = `r${seq++}`;
        const r = await store.reserveAttempt(user, id, policy, now);
        expect(r.ok).toBe(true);
        return store.settleAttempt(user, id, "failure", policy, now);
      };

      it("counts failures down and locks on the third with the first lockout", async () => {
        expect(await store.reserveAttempt(user, "r1", policy, T)).toEqual({
          ok: true,
          attemptsLeft: 3,
        });
        expect(await store.settleAttempt(user, "r1", "failure", policy, T)).toEqual({
          attemptsLeft: 2,
        });
        expect(await fail(T + 1)).toEqual({ attemptsLeft: 1 });
        expect(await fail(T + 2)).toEqual({ attemptsLeft: 0, lockedForMs: 30_000, lockLevel: 1 });
        expect(await store.reserveAttempt(user, "r9", policy, T + 10_002)).toEqual({
          ok: false,
          reason: "locked",
          retryAfterMs: 20_000,
        });
        expect(await store.lockedFor(user, T + 10_002)).toBe(20_000);
        expect(await store.lockedFor(user, T + 30_002)).toBe(0);
      });

      it("escalates 30 s, 1 min, 2 min, 5 min and repeats the last lockout", async () => {
        let now = T;
        const locks: number[] = [];
        for (let round = 0; round < 5; round++) {
          await fail(now);
          await fail(now);
          const settled = await fail(now);
          locks.push(settled.lockedForMs ?? -1);
          now += settled.lockedForMs ?? 0;
        }
        expect(locks).toEqual([30_000, 60_000, 120_000, 300_000, 300_000]);
      });

      it("clears failures and the lock level on a success", async () => {
        await fail(T);
        await fail(T);
        await fail(T); // level 1, locked 30 s
        await fail(T + 30_000);
        await store.reserveAttempt(user, "ok", policy, T + 30_001);
        expect(await store.settleAttempt(user, "ok", "success", policy, T + 30_001)).toEqual({
          attemptsLeft: 3,
        });
        await fail(T + 30_002);
        await fail(T + 30_002);
        expect((await fail(T + 30_002)).lockedForMs).toBe(30_000);
      });

      it("forgets failures that slid out of the window", async () => {
        await fail(T);
        await fail(T + 1000);
        expect(await fail(T + 300_001)).toEqual({ attemptsLeft: 1 });
        expect((await fail(T + 300_002)).lockedForMs).toBe(30_000);
      });

      it("forgets the lock level levelTtlMs after the last lock ended", async () => {
        await fail(T);
        await fail(T);
        await fail(T);
        const later = T + 30_000 + policy.levelTtlMs;
        await fail(later);
        await fail(later);
        expect((await fail(later)).lockedForMs).toBe(30_000);
      });

      it("never reserves more than maxFailures attempts for 100 concurrent callers", async () => {
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => store.reserveAttempt(user, `c${i}`, policy, T)),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(3);
        expect(results.filter((r) => !r.ok && r.reason === "busy")).toHaveLength(97);
      });

      it("counts failures already recorded against the reservations in flight", async () => {
        await fail(T);
        await fail(T);
        expect((await store.reserveAttempt(user, "x", policy, T)).ok).toBe(true);
        expect(await store.reserveAttempt(user, "y", policy, T)).toEqual({
          ok: false,
          reason: "busy",
        });
      });

      it("lets an unsettled reservation lapse after leaseMs", async () => {
        for (const id of ["a", "b", "c"]) await store.reserveAttempt(user, id, policy, T);
        expect((await store.reserveAttempt(user, "d", policy, T + 9_999)).ok).toBe(false);
        expect((await store.reserveAttempt(user, "e", policy, T + 10_000)).ok).toBe(true);
      });

      it("keeps users apart", async () => {
        await fail(T);
        await fail(T);
        await fail(T);
        expect((await store.reserveAttempt(`${user}-b`, "z", policy, T)).ok).toBe(true);
      });
    });

    describe("one-time codes", () => {
      const code = (challengeId: string, hash: string) => ({
        challengeId,
        hash,
        expiresAt: T + 600_000,
      });

      it("accepts the matching hash once, then answers used", async () => {
        await store.putCode(user, "f1", code("c1", "h1"), 1_200_000, T);
        expect(await store.consumeCode(user, "f1", { hash: "h1", challengeId: "c1" }, T + 1)).toBe(
          "ok",
        );
        expect(await store.consumeCode(user, "f1", { hash: "h1" }, T + 2)).toBe("used");
      });

      it("answers mismatch for a wrong hash and keeps the code usable", async () => {
        await store.putCode(user, "f1", code("c1", "h1"), 1_200_000, T);
        expect(await store.consumeCode(user, "f1", { hash: "h2" }, T)).toBe("mismatch");
        expect(await store.consumeCode(user, "f1", { hash: "h1" }, T)).toBe("ok");
      });

      it("answers expired after expiresAt while the record is kept", async () => {
        await store.putCode(user, "f1", code("c1", "h1"), 1_200_000, T);
        expect(await store.consumeCode(user, "f1", { hash: "h1" }, T + 600_000)).toBe("expired");
        expect(await store.consumeCode(user, "f1", { hash: "h1" }, T + 1_200_000)).toBe("missing");
      });

      it("voids the previous code when a new one is put", async () => {
        await store.putCode(user, "f1", code("c1", "h1"), 1_200_000, T);
        await store.putCode(user, "f1", code("c2", "h2"), 1_200_000, T + 1);
        expect(await store.consumeCode(user, "f1", { hash: "h1", challengeId: "c1" }, T + 2)).toBe(
          "missing",
        );
        expect(await store.consumeCode(user, "f1", { hash: "h1" }, T + 2)).toBe("mismatch");
        expect(await store.consumeCode(user, "f1", { hash: "h2", challengeId: "c2" }, T + 2)).toBe(
          "ok",
        );
      });

      it("answers missing when no code was put", async () => {
        expect(await store.consumeCode(user, "f1", { hash: "h1" }, T)).toBe("missing");
      });

      it("lets exactly one of 50 concurrent consumers of the same code win", async () => {
        await store.putCode(user, "f1", code("c1", "h1"), 1_200_000, T);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.consumeCode(user, "f1", { hash: "h1" }, T + 1)),
        );
        expect(results.filter((r) => r === "ok")).toHaveLength(1);
        expect(results.filter((r) => r === "used")).toHaveLength(49);
      });
    });

    describe("challenges", () => {
      it("returns a value once and then null", async () => {
        await store.putChallenge(user, "k", "v", 60_000, T);
        expect(await store.takeChallenge(user, "k", T + 1)).toBe("v");
        expect(await store.takeChallenge(user, "k", T + 2)).toBeNull();
      });

      it("returns null after the TTL", async () => {
        await store.putChallenge(user, "k", "v", 60_000, T);
        expect(await store.takeChallenge(user, "k", T + 60_000)).toBeNull();
      });

      it("replaces a value put under the same key", async () => {
        await store.putChallenge(user, "k", "v1", 60_000, T);
        await store.putChallenge(user, "k", "v2", 60_000, T);
        expect(await store.takeChallenge(user, "k", T)).toBe("v2");
      });

      it("hands a value to exactly one of 50 concurrent takers", async () => {
        await store.putChallenge(user, "k", "v", 60_000, T);
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.takeChallenge(user, "k", T)),
        );
        expect(results.filter((r) => r === "v")).toHaveLength(1);
      });
    });

    describe("sessions", () => {
      const session = (expiresAt: number, userId = user) => ({
        userId,
        expiresAt,
        value: '{"acr":"mfa"}',
      });

      it("finds a live session by its token hash and forgets it at expiresAt", async () => {
        await store.createSession(`${user}-t1`, session(T + 1000), T);
        expect(await store.getSession(`${user}-t1`, T + 999)).toEqual(session(T + 1000));
        expect(await store.getSession(`${user}-t1`, T + 1000)).toBeNull();
        expect(await store.getSession(`${user}-unknown`, T)).toBeNull();
      });

      it("moves the expiry of a live session and refuses a dead one", async () => {
        await store.createSession(`${user}-t1`, session(T + 1000), T);
        expect(await store.touchSession(`${user}-t1`, T + 5000, T + 500)).toEqual(
          session(T + 5000),
        );
        expect(await store.getSession(`${user}-t1`, T + 4000)).not.toBeNull();
        expect(await store.touchSession(`${user}-t1`, T + 9000, T + 5000)).toBeNull();
        expect(await store.touchSession(`${user}-unknown`, T + 9000, T)).toBeNull();
      });

      it("revokes one session", async () => {
        await store.createSession(`${user}-t1`, session(T + 1000), T);
        expect(await store.revokeSession(`${user}-t1`)).toBe(true);
        expect(await store.revokeSession(`${user}-t1`)).toBe(false);
        expect(await store.getSession(`${user}-t1`, T)).toBeNull();
      });

      it("revokes every session of one user and no one else's", async () => {
        await store.createSession(`${user}-t1`, session(T + 1000), T);
        await store.createSession(`${user}-t2`, session(T + 1000), T);
        await store.createSession(`${user}-t3`, session(T + 1000, `${user}-b`), T);
        expect(await store.revokeUserSessions(user, T)).toBe(2);
        expect(await store.getSession(`${user}-t1`, T)).toBeNull();
        expect(await store.getSession(`${user}-t2`, T)).toBeNull();
        expect(await store.getSession(`${user}-t3`, T)).not.toBeNull();
        expect(await store.revokeUserSessions(user, T)).toBe(0);
      });
    });

    describe("markers", () => {
      it("claims a key once until its TTL ends", async () => {
        expect(await store.claim(user, "device:1", 1000, T)).toBe(true);
        expect(await store.claim(user, "device:1", 1000, T + 999)).toBe(false);
        expect(await store.claim(user, "device:1", 1000, T + 1000)).toBe(true);
      });

      it("lets exactly one of 50 concurrent claims win", async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, () => store.claim(user, "k", 60_000, T)),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it("swaps a value and returns the previous live one", async () => {
        expect(await store.swap(user, "last", "DE", 1000, T)).toBeNull();
        expect(await store.swap(user, "last", "FR", 1000, T + 1)).toBe("DE");
        expect(await store.peek(user, "last", T + 2)).toBe("FR");
        expect(await store.peek(user, "last", T + 1001)).toBeNull();
        expect(await store.swap(user, "last", "IT", 1000, T + 2000)).toBeNull();
      });
    });
  });
}
