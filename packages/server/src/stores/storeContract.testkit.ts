import { beforeEach, describe, expect, it } from "vitest";
import type { OutboxMessage, WebhookOutbox } from "../webhooks/types";
import type {
  AttemptFailure,
  AttemptResult,
  CredentialCheck,
  LimitPolicy,
  MfaStore,
  StoredSession,
  SuccessSteps,
} from "./types";

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
      levelTtlMs: 86_400_000,
      maxConsecutiveFailures: 100,
      consecutiveTtlMs: 365 * 86_400_000,
    };
    const claims = { acr: "mfa", amr: ["otp", "mfa"] };

    beforeEach(async () => {
      store = await makeStore();
      // A fresh user per test keeps tests independent even on a shared backend.
      user = `u${Date.now().toString(36)}-${seq++}-${Math.random().toString(36).slice(2)}`;
      return async () => {
        await cleanup?.(store);
      };
    });

    /**
     * The token hash of session `name` of `owner`, as the kit makes it: after the store's tag of
     * the owner and a dot when the store has tags (`MfaStore.sessionTokenTag`).
     */
    const tok = (name: string, owner = user) => {
      const tag = store.sessionTokenTag?.(owner);
      return tag === undefined ? `${user}-${name}` : `${tag}.${user}-${name}`;
    };
    const rev = async (userId = user) => (await store.loadFactors(userId)).rev;
    const factor = async (factorId: string, userId = user) =>
      (await store.loadFactors(userId)).factors[factorId];
    /** One verification attempt against the user's current revision. */
    const attempt = async (
      checks: CredentialCheck[],
      now = T,
      success?: SuccessSteps,
      userId = user,
    ): Promise<AttemptResult> =>
      store.verifyAttempt(
        userId,
        { rev: await rev(userId), checks, policy, ...(success ? { success } : {}) },
        now,
      );
    const counter = (factorId: string, value: number, field = "lastStep"): CredentialCheck => ({
      ...claims,
      factorId,
      kind: "counter",
      field,
      value,
    });
    const wrong: CredentialCheck = { ...claims, kind: "none", failure: "invalid_code" };
    const backupCode = (hash: string): CredentialCheck => ({ ...claims, kind: "backupCode", hash });
    const code = (
      hash: string,
      challengeId?: string,
      missing: AttemptFailure = "code_expired",
    ): CredentialCheck => ({
      ...claims,
      factorId: "f1",
      kind: "code",
      hash,
      ...(challengeId !== undefined ? { challengeId } : {}),
      missing,
    });
    const putCode = (challengeId: string, hash: string, now = T) =>
      store.putCode(user, "f1", { challengeId, hash, expiresAt: now + 600_000 }, 1_200_000, now);
    const failedWith = (failures: string[], attemptsLeft: number) => ({
      ok: false,
      reason: "failed",
      failures,
      attemptsLeft,
    });

    describe("factors", () => {
      it("creates a factor once and refuses a second create with the same id", async () => {
        expect(await store.createFactor(user, "f1", { type: "totp", status: "pending" })).toBe(
          true,
        );
        expect(await store.createFactor(user, "f1", { type: "sms" })).toBe(false);
        expect(await factor("f1")).toEqual({ type: "totp", status: "pending" });
      });

      it("loads every factor of a user keyed by id, the backup set's size, and nothing of other users", async () => {
        await store.createFactor(user, "a", { type: "totp" });
        await store.createFactor(user, "b", { type: "sms" });
        await store.createFactor(`${user}-other`, "c", { type: "email" });
        await store.setBackupCodes(user, { salt: "s1", hashes: ["h1", "h2"] });
        expect(await store.loadFactors(user)).toEqual({
          rev: expect.any(String),
          factors: { a: { type: "totp" }, b: { type: "sms" } },
          backupCodes: { salt: "s1", remaining: 2 },
        });
        expect(await store.loadFactors(`${user}-nobody`)).toEqual({
          rev: expect.any(String),
          factors: {},
          backupCodes: null,
        });
      });

      it("returns copies, so changing a loaded record changes nothing stored", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        const loaded = await store.loadFactors(user);
        loaded.factors.f1!.type = "changed";
        expect((await factor("f1"))?.type).toBe("totp");
      });

      it("merges a patch into an existing record and never creates one", async () => {
        await store.createFactor(user, "f1", { type: "totp", status: "pending" });
        expect(await store.patchFactor(user, "f1", { status: "active", drift: "-1" })).toBe(true);
        expect(await factor("f1")).toEqual({ type: "totp", status: "active", drift: "-1" });
        expect(await store.patchFactor(user, "missing", { status: "active" })).toBe(false);
        expect(await factor("missing")).toBeUndefined();
      });

      it("deletes a factor and says whether there was one", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        expect(await store.deleteFactor(user, "f1")).toBe(true);
        expect(await store.deleteFactor(user, "f1")).toBe(false);
        expect((await store.loadFactors(user)).factors).toEqual({});
      });

      it("moves rev to a value never seen before on every change of the configuration, and only then", async () => {
        const seen = [await rev()];
        const step = async (change: () => Promise<unknown>, moves: boolean) => {
          await change();
          const now = await rev();
          if (moves) expect(seen).not.toContain(now);
          else expect(now).toBe(seen.at(-1));
          seen.push(now);
        };
        await step(() => store.createFactor(user, "f1", { type: "totp" }), true);
        await step(() => store.createFactor(user, "f1", { type: "totp" }), false);
        await step(() => store.patchFactor(user, "f1", { status: "active" }), true);
        await step(() => store.patchFactor(user, "nope", { status: "active" }), false);
        await step(() => store.setBackupCodes(user, { salt: "s", hashes: ["h"] }), true);
        await step(
          () => store.setBackupCodes(user, { salt: "s2", hashes: ["h"] }, { ifAbsent: true }),
          false,
        );
        await step(() => attempt([counter("f1", 5)]), false);
        await step(() => attempt([backupCode("h")]), false);
        await step(() => store.deleteFactor(user, "f1"), true);
        await step(() => store.deleteFactor(user, "f1"), false);
        await step(() => store.createFactor(user, "f1", { type: "totp" }), true);
        // Other users' revisions are their own.
        expect(await rev(`${user}-b`)).not.toBe(await rev());
      });

      it("reads rev 0 while a user has no factor and no backup codes, and only then", async () => {
        expect(await rev()).toBe("0");
        await store.createFactor(user, "f1", { type: "totp" });
        await store.setBackupCodes(user, { salt: "s", hashes: ["h"] });
        await store.deleteFactor(user, "f1");
        expect(await rev()).not.toBe("0");
        await store.createFactor(user, "f2", { type: "totp" });
        await store.setBackupCodes(user, { salt: "", hashes: [] });
        expect(await rev()).not.toBe("0");
        await store.deleteFactor(user, "f2");
        expect(await rev()).toBe("0");
      });
    });

    describe("pending factors", () => {
      const pending = (until: number, extra: Record<string, string> = {}) => ({
        type: "totp",
        status: "pending",
        pendingUntil: String(until),
        ...extra,
      });
      const create = (id: string, until = T + 600_000, now = T) =>
        store.createPendingFactor(user, id, pending(until), { maxPending: 5 }, now);

      it("creates a pending factor, refuses a taken id and moves rev only when it wrote", async () => {
        const before = await rev();
        expect(await create("p1")).toBe(true);
        const after = await rev();
        expect(after).not.toBe(before);
        expect(await factor("p1")).toEqual(pending(T + 600_000));
        expect(await create("p1")).toBe(false);
        expect(await rev()).toBe(after);
      });

      it("keeps at most maxPending pending factors, dropping expired ones, then the oldest", async () => {
        for (let i = 0; i < 5; i++) expect(await create(`p${i}`, T + 1000 + i)).toBe(true);
        await store.createFactor(user, "a", { type: "totp", status: "active" });
        expect(await create("p5", T + 600_000)).toBe(true);
        const ids = async () => Object.keys((await store.loadFactors(user)).factors).sort();
        expect(await ids()).toEqual(["a", "p1", "p2", "p3", "p4", "p5"]);
        // At T + 1002, p1 (T + 1001) and p2 (T + 1002) have expired: nothing live is dropped.
        expect(await create("p6", T + 600_000, T + 1002)).toBe(true);
        expect(await ids()).toEqual(["a", "p3", "p4", "p5", "p6"]);
        expect(await create("p7", T + 600_000, T + 1002)).toBe(true);
        expect(await ids()).toEqual(["a", "p3", "p4", "p5", "p6", "p7"]);
        expect(await create("p8", T + 600_000, T + 1002)).toBe(true);
        expect(await ids()).toEqual(["a", "p4", "p5", "p6", "p7", "p8"]);
      });

      it("reads a pending record without a usable deadline as expired and deletes it", async () => {
        await store.createFactor(user, "old", { type: "sms", status: "pending" });
        await store.createFactor(user, "bad", {
          type: "sms",
          status: "pending",
          pendingUntil: "x",
        });
        await store.createFactor(user, "act", { type: "sms", status: "active" });
        const before = await rev();
        expect(await create("p1")).toBe(true);
        expect(Object.keys((await store.loadFactors(user)).factors).sort()).toEqual(["act", "p1"]);
        expect(await rev()).not.toBe(before);
      });

      it("holds exactly maxPending after 50 concurrent creations", async () => {
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => create(`c${i}`)));
        expect(results.every(Boolean)).toBe(true);
        expect(Object.keys((await store.loadFactors(user)).factors)).toHaveLength(5);
      });
    });

    describe("activateFactor", () => {
      const pendingTotp = (until = T + 600_000) => ({
        type: "totp",
        status: "pending",
        pendingUntil: String(until),
        secret: "s",
      });

      it("activates the first factor without a step-up and drops its deadline", async () => {
        await store.createFactor(user, "p1", pendingTotp());
        const before = await rev();
        expect(await store.activateFactor(user, "p1", { stepUp: false }, T)).toBe("activated");
        expect(await factor("p1")).toEqual({ type: "totp", status: "active", secret: "s" });
        expect(await rev()).not.toBe(before);
        expect(await store.activateFactor(user, "p1", { stepUp: false }, T)).toBe("active");
        expect(await store.activateFactor(user, "nope", { stepUp: true }, T)).toBe("not_found");
      });

      // Regression: a factor planted while the user had no MFA was activated later with only the
      // primary login. Once any other factor is active, activation needs a fresh MFA session.
      it("refuses to activate a pending factor without a step-up once another factor is active", async () => {
        await store.createFactor(user, "mine", { type: "totp", status: "active" });
        await store.createFactor(user, "planted", pendingTotp());
        const before = await rev();
        expect(await store.activateFactor(user, "planted", { stepUp: false }, T)).toBe(
          "step_up_required",
        );
        expect((await factor("planted"))?.status).toBe("pending");
        expect(await rev()).toBe(before);
        expect(await store.activateFactor(user, "planted", { stepUp: true }, T)).toBe("activated");
      });

      it("deletes an expired pending factor instead of activating it, even with a step-up", async () => {
        await store.createFactor(user, "p1", pendingTotp(T + 1000));
        expect(await store.activateFactor(user, "p1", { stepUp: true }, T + 1000)).toBe("expired");
        expect(await factor("p1")).toBeUndefined();
        expect(await rev()).toBe("0");
        await store.createFactor(user, "p2", { type: "totp", status: "pending" });
        expect(await store.activateFactor(user, "p2", { stepUp: true }, T)).toBe("expired");
      });

      // Regression: two first activations racing (the user's and an attacker's planted factor)
      // both passed, as each saw no active factor. Decided in one step, exactly one passes.
      it("lets exactly one of 20 racing first activations without a step-up pass", async () => {
        for (let i = 0; i < 20; i++) await store.createFactor(user, `p${i}`, pendingTotp());
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.activateFactor(user, `p${i}`, { stepUp: false }, T),
          ),
        );
        expect(results.filter((r) => r === "activated")).toHaveLength(1);
        expect(results.filter((r) => r === "step_up_required")).toHaveLength(19);
        const active = Object.values((await store.loadFactors(user)).factors).filter(
          (r) => r.status === "active",
        );
        expect(active).toHaveLength(1);
      });
    });

    describe("backup codes", () => {
      it("voids the old set when a new one is stored", async () => {
        await store.setBackupCodes(user, { salt: "s1", hashes: ["old"] });
        await store.setBackupCodes(user, { salt: "s2", hashes: ["new1", "new2"] });
        expect(await attempt([backupCode("old")])).toEqual(failedWith(["invalid_code"], 2));
        expect((await store.loadFactors(user)).backupCodes).toEqual({ salt: "s2", remaining: 2 });
      });

      it("writes with ifAbsent only when the user has no set", async () => {
        expect(
          await store.setBackupCodes(user, { salt: "s1", hashes: ["a"] }, { ifAbsent: true }),
        ).toBe(true);
        expect(
          await store.setBackupCodes(user, { salt: "s2", hashes: ["b"] }, { ifAbsent: true }),
        ).toBe(false);
        expect((await store.loadFactors(user)).backupCodes?.salt).toBe("s1");
      });

      it("keeps an exhausted set (so ifAbsent still refuses) and deletes on an empty list", async () => {
        await store.setBackupCodes(user, { salt: "s1", hashes: ["a"] });
        expect(await attempt([backupCode("a")])).toMatchObject({
          ok: true,
          backupCodesRemaining: 0,
        });
        expect((await store.loadFactors(user)).backupCodes).toEqual({ salt: "s1", remaining: 0 });
        expect(
          await store.setBackupCodes(user, { salt: "s2", hashes: ["b"] }, { ifAbsent: true }),
        ).toBe(false);
        await store.setBackupCodes(user, { salt: "", hashes: [] });
        expect((await store.loadFactors(user)).backupCodes).toBeNull();
      });
    });

    describe("verifyAttempt: the credential", () => {
      it("moves a counter only upwards, and only on an existing factor", async () => {
        await store.createFactor(user, "f1", { type: "hotp" });
        expect(await attempt([counter("f1", 0, "counter")])).toMatchObject({ ok: true, check: 0 });
        expect(await attempt([counter("f1", 5, "counter")])).toMatchObject({ ok: true });
        expect(await attempt([counter("f1", 5, "counter")])).toEqual(
          failedWith(["code_reused"], 2),
        );
        expect(await attempt([counter("f1", 4, "counter")])).toEqual(
          failedWith(["code_reused"], 1),
        );
        expect((await factor("f1"))?.counter).toBe("5");
        expect(await attempt([counter("nope", 9, "counter")])).toEqual({
          ok: false,
          reason: "stale",
        });
      });

      it("lets exactly one of 50 concurrent attempts with the same counter pass", async () => {
        await store.createFactor(user, "f1", { type: "totp", lastStep: "100" });
        const current = await rev();
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.verifyAttempt(
              user,
              {
                rev: current,
                checks: [counter("f1", 101)],
                policy: { ...policy, maxFailures: 100 },
              },
              T,
            ),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok && r.reason === "failed")).toHaveLength(49);
        expect((await factor("f1"))?.lastStep).toBe("101");
      });

      it("merges the passing check's patch into its factor, and nothing of a failing one", async () => {
        await store.createFactor(user, "f1", { type: "totp", lastStep: "10" });
        await attempt([{ ...counter("f1", 9), patch: { drift: "1" } }]);
        expect(await factor("f1")).toEqual({ type: "totp", lastStep: "10" });
        await attempt([{ ...counter("f1", 11), patch: { drift: "1", lastUsedAt: "7" } }]);
        expect(await factor("f1")).toEqual({
          type: "totp",
          lastStep: "11",
          drift: "1",
          lastUsedAt: "7",
        });
      });

      it("passes a match and fails a check the kit found no match for, with its reason", async () => {
        await store.createFactor(user, "f1", { type: "webauthn" });
        expect(await attempt([{ ...claims, factorId: "f1", kind: "match" }])).toMatchObject({
          ok: true,
        });
        expect(await attempt([{ ...claims, kind: "none", failure: "code_reused" }])).toEqual(
          failedWith(["code_reused"], 2),
        );
      });

      it("consumes a backup code exactly once and reports how many are left", async () => {
        await store.setBackupCodes(user, { salt: "s1", hashes: ["h1", "h2"] });
        expect(await attempt([backupCode("h1")])).toEqual({
          ok: true,
          check: 0,
          previous: [],
          backupCodesRemaining: 1,
        });
        expect(await attempt([backupCode("h1")])).toEqual(failedWith(["invalid_code"], 2));
        expect(await attempt([backupCode("nope")])).toEqual(failedWith(["invalid_code"], 1));
        expect((await store.loadFactors(user)).backupCodes).toEqual({ salt: "s1", remaining: 1 });
      });

      it("lets exactly one of 50 concurrent uses of one backup code pass", async () => {
        await store.setBackupCodes(user, { salt: "s", hashes: ["h1", "h2"] });
        const current = await rev();
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.verifyAttempt(
              user,
              { rev: current, checks: [backupCode("h1")], policy: { ...policy, maxFailures: 100 } },
              T,
            ),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect((await store.loadFactors(user)).backupCodes?.remaining).toBe(1);
      });

      it("accepts a one-time code once, then answers code_reused", async () => {
        await store.createFactor(user, "f1", { type: "sms" });
        await putCode("c1", "h1");
        expect(await attempt([code("h1", "c1")], T + 1)).toMatchObject({ ok: true });
        expect(await attempt([code("h1")], T + 2)).toEqual(failedWith(["code_reused"], 2));
      });

      it("answers invalid_code for a wrong code and keeps the code usable", async () => {
        await store.createFactor(user, "f1", { type: "sms" });
        await putCode("c1", "h1");
        expect(await attempt([code("h2")])).toEqual(failedWith(["invalid_code"], 2));
        expect(await attempt([code("h1")])).toMatchObject({ ok: true });
      });

      it("answers code_expired after expiresAt, and the check's own reason once the code is gone", async () => {
        await store.createFactor(user, "f1", { type: "email" });
        await putCode("c1", "h1");
        expect(await attempt([code("h1")], T + 600_000)).toEqual(failedWith(["code_expired"], 2));
        expect(await attempt([code("h1", undefined, "invalid_code")], T + 1_200_000)).toEqual(
          failedWith(["invalid_code"], 2),
        );
      });

      it("voids the previous code when a new one is put, and names the live one by challenge", async () => {
        await store.createFactor(user, "f1", { type: "sms" });
        await putCode("c1", "h1");
        await putCode("c2", "h2", T + 1);
        expect(await attempt([code("h1", "c1")], T + 2)).toEqual(failedWith(["code_expired"], 2));
        expect(await attempt([code("h1")], T + 2)).toEqual(failedWith(["invalid_code"], 1));
        expect(await attempt([code("h2", "c2")], T + 2)).toMatchObject({ ok: true });
      });

      it("lets exactly one of 50 concurrent uses of one code pass", async () => {
        await store.createFactor(user, "f1", { type: "sms" });
        await putCode("c1", "h1");
        const current = await rev();
        const results = await Promise.all(
          Array.from({ length: 50 }, () =>
            store.verifyAttempt(
              user,
              { rev: current, checks: [code("h1")], policy: { ...policy, maxFailures: 100 } },
              T + 1,
            ),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(
          results.filter((r) => !r.ok && r.reason === "failed" && r.failures[0] === "code_reused"),
        ).toHaveLength(49);
      });

      it("takes a check's challenge whatever the outcome, and fails without it as code_expired", async () => {
        await store.createFactor(user, "f1", { type: "webauthn" });
        await store.putChallenge(user, "webauthn:a", "1", 60_000, T);
        await store.putChallenge(user, "webauthn:b", "1", 60_000, T);
        const match: CredentialCheck = { ...claims, factorId: "f1", kind: "match" };
        expect(await attempt([{ ...wrong, challenge: "webauthn:a" }])).toEqual(
          failedWith(["invalid_code"], 2),
        );
        expect(await attempt([{ ...match, challenge: "webauthn:a" }])).toEqual(
          failedWith(["code_expired"], 1),
        );
        expect(await attempt([{ ...match, challenge: "webauthn:b" }])).toMatchObject({ ok: true });
        expect(await store.takeChallenge(user, "webauthn:b", T)).toBeNull();
      });

      it("resynchronises a counter with a pending candidate and the code after it", async () => {
        await store.createFactor(user, "f1", { type: "hotp", counter: "1" });
        const resync = (matches: number[], candidate?: number): CredentialCheck => ({
          ...claims,
          factorId: "f1",
          kind: "resync",
          key: "hotp-resync:f1",
          field: "counter",
          matches,
          ...(candidate !== undefined ? { candidate } : {}),
          ttlMs: 300_000,
          failure: "invalid_code",
        });
        // No candidate pending yet: the match ahead becomes one.
        expect(await attempt([resync([50], 50)])).toEqual(failedWith(["resync_required"], 2));
        // The next code: the pending candidate's successor is among the matches.
        expect(await attempt([resync([51])], T + 1)).toMatchObject({ ok: true });
        expect((await factor("f1"))?.counter).toBe("52");
        // The candidate was used up: the same pair does not pass twice.
        expect(await attempt([resync([51])], T + 2)).toMatchObject({ failures: ["invalid_code"] });
        // A candidate expires after ttlMs.
        await attempt([resync([80], 80)], T + 3);
        expect(await attempt([resync([81])], T + 300_003)).toMatchObject({
          failures: ["invalid_code"],
        });
        expect((await factor("f1"))?.counter).toBe("52");
      });

      it("tries the checks in order, stops at the first that passes, and lists each failure", async () => {
        await store.createFactor(user, "f1", { type: "sms" });
        await store.createFactor(user, "f2", { type: "totp", lastStep: "5" });
        await store.createFactor(user, "f3", { type: "hotp", counter: "1" });
        await putCode("c1", "h1");
        const result = await attempt([code("h2"), counter("f2", 6), counter("f3", 9, "counter")]);
        expect(result).toMatchObject({ ok: true, check: 1 });
        expect((await factor("f3"))?.counter).toBe("1");
        // Three failed checks are three failures: the first lock.
        expect(await attempt([code("h2"), counter("f2", 6), wrong])).toEqual({
          ...failedWith(["invalid_code", "code_reused", "invalid_code"], 0),
          lockedForMs: 30_000,
          lockLevel: 1,
        });
      });
    });

    describe("verifyAttempt: stale inputs", () => {
      it("answers stale, writing nothing, when the revision moved on", async () => {
        await store.createFactor(user, "f1", { type: "totp", lastStep: "1" });
        await store.setBackupCodes(user, { salt: "s", hashes: ["h"] });
        const old = await rev();
        await store.patchFactor(user, "f1", { label: "phone" });
        for (const checks of [[counter("f1", 2)], [backupCode("h")], [wrong]]) {
          expect(await store.verifyAttempt(user, { rev: old, checks, policy }, T)).toEqual({
            ok: false,
            reason: "stale",
          });
        }
        expect((await factor("f1"))?.lastStep).toBe("1");
        expect((await store.loadFactors(user)).backupCodes?.remaining).toBe(1);
        expect(await attempt([wrong])).toEqual(failedWith(["invalid_code"], 2));
      });

      it("answers stale when a check's factor is gone or an expected field changed", async () => {
        await store.createFactor(user, "f1", { type: "totp", drift: "1" });
        expect(await attempt([{ ...counter("f1", 3), expect: { drift: "0" } }])).toEqual({
          ok: false,
          reason: "stale",
        });
        expect(await attempt([{ ...wrong, factorId: "gone" }])).toEqual({
          ok: false,
          reason: "stale",
        });
        // A missing field reads as "".
        expect(
          await attempt([{ ...counter("f1", 3), expect: { drift: "1", status: "" } }]),
        ).toMatchObject({ ok: true });
        expect(await factor("f1")).toEqual({ type: "totp", drift: "1", lastStep: "3" });
      });
    });

    describe("verifyAttempt: the failure limiter", () => {
      const fail = (now: number) => attempt([wrong], now);

      it("counts failures down and locks on the third with the first lockout", async () => {
        expect(await fail(T)).toEqual(failedWith(["invalid_code"], 2));
        expect(await fail(T + 1)).toEqual(failedWith(["invalid_code"], 1));
        expect(await fail(T + 2)).toEqual({
          ...failedWith(["invalid_code"], 0),
          lockedForMs: 30_000,
          lockLevel: 1,
        });
        expect(await fail(T + 10_002)).toEqual({
          ok: false,
          reason: "locked",
          retryAfterMs: 20_000,
        });
        expect(await store.lockedFor(user, T + 10_002)).toBe(20_000);
        expect(await store.lockedFor(user, T + 30_002)).toBe(0);
      });

      it("consumes and records nothing while locked", async () => {
        await store.setBackupCodes(user, { salt: "s", hashes: ["h"] });
        await store.putChallenge(user, "webauthn:a", "1", 600_000, T);
        for (let i = 0; i < 3; i++) await fail(T);
        expect(await attempt([{ ...backupCode("h"), challenge: "webauthn:a" }], T + 1)).toEqual({
          ok: false,
          reason: "locked",
          retryAfterMs: 29_999,
        });
        expect((await store.loadFactors(user)).backupCodes?.remaining).toBe(1);
        expect(await attempt([backupCode("h")], T + 30_000)).toMatchObject({ ok: true });
        expect(await store.takeChallenge(user, "webauthn:a", T + 30_000)).toBe("1");
      });

      it("escalates 30 s, 1 min, 2 min, 5 min and repeats the last lockout", async () => {
        let now = T;
        const locks: number[] = [];
        for (let round = 0; round < 5; round++) {
          await fail(now);
          await fail(now);
          const settled = await fail(now);
          const lockedForMs = !settled.ok && settled.reason === "failed" ? settled.lockedForMs : -1;
          locks.push(lockedForMs ?? -1);
          now += lockedForMs ?? 0;
        }
        expect(locks).toEqual([30_000, 60_000, 120_000, 300_000, 300_000]);
      });

      it("clears failures and the lock level on a success", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        await fail(T);
        await fail(T);
        await fail(T); // level 1, locked 30 s
        await fail(T + 30_000);
        expect(await attempt([counter("f1", 1)], T + 30_001)).toMatchObject({ ok: true });
        await fail(T + 30_002);
        expect(await fail(T + 30_002)).toEqual(failedWith(["invalid_code"], 1));
        expect(await fail(T + 30_002)).toMatchObject({ lockedForMs: 30_000, lockLevel: 1 });
      });

      it("forgets failures that slid out of the window", async () => {
        await fail(T);
        await fail(T + 1000);
        expect(await fail(T + 300_001)).toEqual(failedWith(["invalid_code"], 1));
        expect(await fail(T + 300_002)).toMatchObject({ lockedForMs: 30_000 });
      });

      it("forgets the lock level levelTtlMs after the last lock ended", async () => {
        await fail(T);
        await fail(T);
        await fail(T);
        const later = T + 30_000 + policy.levelTtlMs;
        await fail(later);
        await fail(later);
        expect(await fail(later)).toMatchObject({ lockedForMs: 30_000, lockLevel: 1 });
      });

      it("counts exactly maxFailures of 100 concurrent failing attempts and refuses the rest", async () => {
        const current = await rev();
        const results = await Promise.all(
          Array.from({ length: 100 }, () =>
            store.verifyAttempt(user, { rev: current, checks: [wrong], policy }, T),
          ),
        );
        expect(results.filter((r) => !r.ok && r.reason === "failed")).toHaveLength(3);
        expect(results.filter((r) => !r.ok && r.reason === "locked")).toHaveLength(97);
      });

      it("keeps users apart", async () => {
        await fail(T);
        await fail(T);
        await fail(T);
        expect(await attempt([wrong], T, undefined, `${user}-b`)).toEqual(
          failedWith(["invalid_code"], 2),
        );
      });

      // Regression: a code sent without a factor id was checked against every code factor for one
      // counted failure, multiplying the guesses per lock by the number of factors.
      it("counts one failure per failed check", async () => {
        for (const id of ["a", "b"]) await store.createFactor(user, id, { type: "totp" });
        const none = (factorId: string): CredentialCheck => ({ ...wrong, factorId });
        expect(await attempt([none("a"), none("b")], T)).toEqual(
          failedWith(["invalid_code", "invalid_code"], 1),
        );
        // One failure left before the lock: only the first check runs; the second would have
        // passed, and is neither run nor consumed.
        expect(await attempt([none("a"), counter("b", 1)], T + 1)).toEqual({
          ...failedWith(["invalid_code"], 0),
          lockedForMs: 30_000,
          lockLevel: 1,
        });
        expect((await factor("b"))?.lastStep).toBeUndefined();
        expect(await attempt([none("a"), counter("b", 1)], T + 30_001)).toMatchObject({
          ok: true,
          check: 1,
        });
      });

      it("runs no more checks than failures are left before the lock, at least one", async () => {
        for (const id of ["a", "b", "c", "d"]) await store.createFactor(user, id, { type: "totp" });
        const none = (factorId: string): CredentialCheck => ({ ...wrong, factorId });
        const four = [none("a"), none("b"), none("c"), counter("d", 1)];
        expect(await attempt(four, T)).toEqual({
          ...failedWith(["invalid_code", "invalid_code", "invalid_code"], 0),
          lockedForMs: 30_000,
          lockLevel: 1,
        });
        expect((await factor("d"))?.lastStep).toBeUndefined();
        expect(await attempt([none("a")], T + 30_000)).toEqual(failedWith(["invalid_code"], 2));
        expect(await attempt([none("b"), counter("d", 1)], T + 30_001)).toMatchObject({
          ok: true,
          check: 1,
        });
      });

      // Regression: a correct code for the least recently used factor was refused behind sent-code
      // factors that had no code out, each counted as a failure.
      it("passes over, uncounted, a sent-code factor with no code out among several checks", async () => {
        for (const id of ["f1", "d"]) await store.createFactor(user, id, { type: "totp" });
        const none = (factorId: string): CredentialCheck => ({ ...wrong, factorId });
        const quiet = code("h1", undefined, "invalid_code");
        expect(await attempt([quiet, quiet, quiet, counter("d", 1)], T)).toMatchObject({
          ok: true,
          check: 3,
        });
        // Nothing out and nothing else checked: one failure, with the sent-code check's reason.
        expect(await attempt([quiet, quiet], T + 1)).toEqual(failedWith(["invalid_code"], 2));
        // A code out for it: checked, and counted when wrong.
        await putCode("c1", "h1", T + 2);
        expect(await attempt([code("h2", undefined, "invalid_code"), none("d")], T + 2)).toEqual({
          ...failedWith(["invalid_code", "invalid_code"], 0),
          lockedForMs: 30_000,
          lockLevel: 1,
        });
      });

      describe("consecutive failures", () => {
        const tight: LimitPolicy = {
          ...policy,
          maxConsecutiveFailures: 4,
          consecutiveTtlMs: 10_000_000,
        };
        const guess: CredentialCheck = { ...wrong, guessable: true };
        const tryWith = async (checks: CredentialCheck[], now: number) =>
          store.verifyAttempt(user, { rev: await rev(), checks, policy: tight }, now);

        it("suspends guessable checks at maxConsecutiveFailures, across locks, and says so once", async () => {
          const results: AttemptResult[] = [];
          let now = T;
          for (let i = 0; i < 4; i++) {
            const r = await tryWith([guess], now);
            results.push(r);
            if (!r.ok && r.reason === "failed" && r.lockedForMs) now += r.lockedForMs;
          }
          expect(results.map((r) => !r.ok && r.reason === "failed" && r.suspended)).toEqual([
            undefined,
            undefined,
            undefined,
            true,
          ]);
          expect(await tryWith([guess], now + 1_000_000)).toEqual({
            ok: false,
            reason: "suspended",
          });
          // Nothing consumed while suspended.
          await store.createFactor(user, "f1", { type: "totp" });
          expect(
            await tryWith([{ ...counter("f1", 5), guessable: true }], now + 1_000_001),
          ).toEqual({ ok: false, reason: "suspended" });
          expect((await factor("f1"))?.lastStep).toBeUndefined();
        });

        /** Guesses until the suspension, waiting out each lock; the time after the last one. */
        const suspend = async (from: number) => {
          let now = from;
          for (let i = 0; i < 10; i++) {
            const r = await tryWith([guess, guess], now);
            if (!r.ok && r.reason === "failed" && r.suspended) return now;
            if (!r.ok && r.reason === "failed" && r.lockedForMs) now += r.lockedForMs;
            now += 1;
          }
          throw new Error("no suspension after 10 attempts");
        };

        it("runs no more checks than failures are left before the suspension", async () => {
          // Three failures (a lock), then one left before the suspension: one check of two runs.
          expect(await tryWith([guess, guess, guess], T)).toMatchObject({ lockedForMs: 30_000 });
          expect(await tryWith([guess, guess], T + 30_000)).toEqual({
            ...failedWith(["invalid_code"], 2),
            suspended: true,
          });
        });

        it("lifts a suspension on a success that is not guessable, and on unlock", async () => {
          await store.setBackupCodes(user, { salt: "s", hashes: ["h1"] });
          const at = await suspend(T);
          expect(await tryWith([guess], at + 40_000)).toEqual({ ok: false, reason: "suspended" });
          expect(await tryWith([backupCode("h1")], at + 40_000)).toMatchObject({ ok: true });
          expect(await tryWith([guess], at + 40_001)).toEqual(failedWith(["invalid_code"], 2));

          const again = await suspend(at + 40_002);
          expect(await tryWith([guess], again + 100_000)).toEqual({
            ok: false,
            reason: "suspended",
          });
          expect(await store.unlock(user, again + 100_000)).toBe(true);
          expect(await tryWith([guess], again + 100_000)).toEqual(failedWith(["invalid_code"], 2));
          expect(await store.unlock(user, again + 100_000)).toBe(false);
        });

        it("clears the count on any success before the suspension", async () => {
          await store.createFactor(user, "f1", { type: "totp" });
          for (let i = 0; i < 3; i++) await tryWith([guess], T + i * 100_000);
          expect(
            await tryWith([{ ...counter("f1", 1), guessable: true }], T + 400_000),
          ).toMatchObject({ ok: true });
          // Three failures before the success and three after it: four would suspend.
          for (let i = 0; i < 2; i++) await tryWith([guess], T + 500_000 + i * 100_000);
          expect(await tryWith([guess], T + 800_000)).toEqual(failedWith(["invalid_code"], 1));
        });

        it("forgets the count consecutiveTtlMs after the last failure", async () => {
          for (let i = 0; i < 4; i++) await tryWith([guess], T + i * 100_000);
          expect(await tryWith([guess], T + 300_000 + 9_999_999)).toEqual({
            ok: false,
            reason: "suspended",
          });
          expect(await tryWith([guess], T + 300_000 + 10_000_000)).toEqual(
            failedWith(["invalid_code"], 2),
          );
        });
      });

      it("unlocks a locked user", async () => {
        for (let i = 0; i < 3; i++) await fail(T);
        expect(await store.lockedFor(user, T)).toBe(30_000);
        expect(await store.unlock(user, T)).toBe(true);
        expect(await store.lockedFor(user, T)).toBe(0);
        expect(await fail(T)).toEqual(failedWith(["invalid_code"], 2));
      });
    });

    describe("throttle", () => {
      const limit = { intervalMs: 60_000, max: 3, windowMs: 3_600_000 };

      it("allows one event per interval and answers the wait otherwise", async () => {
        expect(await store.throttle(user, "send:f1", limit, T)).toBe(0);
        expect(await store.throttle(user, "send:f1", limit, T + 1000)).toBe(59_000);
        expect(await store.throttle(user, "send:f1", limit, T + 60_000)).toBe(0);
        expect(await store.throttle(user, "send:f2", limit, T + 60_000)).toBe(0);
        expect(await store.throttle(`${user}-b`, "send:f1", limit, T + 60_000)).toBe(0);
      });

      it("allows at most max events per window, counting the refused ones nowhere", async () => {
        for (let i = 0; i < 3; i++)
          expect(await store.throttle(user, "k", limit, T + i * 60_000)).toBe(0);
        expect(await store.throttle(user, "k", limit, T + 180_000)).toBe(3_420_000);
        expect(await store.throttle(user, "k", limit, T + 3_599_999)).toBe(1);
        expect(await store.throttle(user, "k", limit, T + 3_600_000)).toBe(0);
        expect(await store.throttle(user, "k", limit, T + 3_660_000)).toBe(0);
        expect(await store.throttle(user, "k", limit, T + 3_720_000)).toBe(0);
        expect(await store.throttle(user, "k", limit, T + 3_780_000)).toBe(3_420_000);
      });

      it("lets exactly as many of 50 concurrent events through as the limit allows", async () => {
        const once = await Promise.all(
          Array.from({ length: 50 }, () => store.throttle(user, "a", limit, T)),
        );
        expect(once.filter((w) => w === 0)).toHaveLength(1);
        const burst = { intervalMs: 0, max: 5, windowMs: 60_000 };
        const many = await Promise.all(
          Array.from({ length: 50 }, () => store.throttle(user, "b", burst, T)),
        );
        expect(many.filter((w) => w === 0)).toHaveLength(5);
        expect(many.filter((w) => w === 60_000)).toHaveLength(45);
      });
    });

    describe("verifyAttempt: what a success also does", () => {
      const steps = (tokenHash?: string): SuccessSteps => ({
        hold: { key: "country", value: "DE" },
        swap: [
          { key: "country", value: "DE", ttlMs: 60_000 },
          { key: "seen", value: "1", ttlMs: 60_000 },
        ],
        ...(tokenHash ? { session: { tokenHash, expiresAt: T + 900_000 } } : {}),
      });

      it("sets the markers and creates the session with the passing check's claims", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        const first = await attempt([wrong, counter("f1", 1)], T, steps(tok("t1")));
        expect(first).toEqual({ ok: true, check: 1, previous: [null, null] });
        expect(await store.getSession(tok("t1"), T + 1)).toEqual({
          userId: user,
          acr: "mfa",
          amr: ["otp", "mfa"],
          authTime: T,
          expiresAt: T + 900_000,
          factorId: "f1",
        });
        await store.swap(user, "seen", "yes", 60_000, T);
        expect(await attempt([counter("f1", 2)], T + 2, steps())).toEqual({
          ok: true,
          check: 0,
          previous: ["DE", "yes"],
        });
        expect(await store.peek(user, "seen", T + 3)).toBe("1");
      });

      it("carries no factor id for a backup code and amr as given", async () => {
        await store.setBackupCodes(user, { salt: "s", hashes: ["h"] });
        const check = { ...backupCode("h"), acr: "phr", amr: ["hwk", "user", "mfa"] };
        await attempt([check], T, { session: { tokenHash: tok("t1"), expiresAt: T + 5 } });
        expect(await store.getSession(tok("t1"), T)).toEqual({
          userId: user,
          acr: "phr",
          amr: ["hwk", "user", "mfa"],
          authTime: T,
          expiresAt: T + 5,
        });
      });

      it("stops at a hold marker holding another value: no markers, no session", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        await store.swap(user, "country", "FR", 60_000, T);
        expect(await attempt([counter("f1", 1)], T, steps(tok("t1")))).toEqual({
          ok: true,
          check: 0,
          previous: [],
          held: "FR",
        });
        expect(await store.getSession(tok("t1"), T)).toBeNull();
        expect(await store.peek(user, "seen", T)).toBeNull();
        // The credential was used and the success counted all the same.
        expect(await attempt([counter("f1", 1)], T)).toEqual(failedWith(["code_reused"], 2));
      });

      it("does nothing of it on a failure", async () => {
        expect(await attempt([wrong], T, steps(tok("t1")))).toEqual(
          failedWith(["invalid_code"], 2),
        );
        expect(await store.getSession(tok("t1"), T)).toBeNull();
        expect(await store.peek(user, "country", T)).toBeNull();
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
      const session = (expiresAt: number, userId = user): StoredSession => ({
        userId,
        acr: "mfa",
        amr: ["otp", "mfa"],
        authTime: T - 5,
        expiresAt,
        factorId: "f1",
      });

      it("finds a live session by its token hash and forgets it at expiresAt", async () => {
        await store.createSession(tok("t1"), session(T + 1000), T);
        expect(await store.getSession(tok("t1"), T + 999)).toEqual(session(T + 1000));
        expect(await store.getSession(tok("t1"), T + 1000)).toBeNull();
        expect(await store.getSession(tok("unknown"), T)).toBeNull();
      });

      it("keeps a session without a factor id and with an empty amr as it was given", async () => {
        const { factorId: _, ...bare } = { ...session(T + 1000), amr: [] };
        await store.createSession(tok("t1"), bare, T);
        expect(await store.getSession(tok("t1"), T)).toEqual(bare);
      });

      it("keeps any user id, newlines and separators included", async () => {
        const odd = session(T + 1000, `${user}\n{x}: |\n`);
        await store.createSession(tok("t1", odd.userId), odd, T);
        expect(await store.getSession(tok("t1", odd.userId), T)).toEqual(odd);
        expect(await store.touchSession(tok("t1", odd.userId), T + 2000, T)).toEqual({
          ...odd,
          expiresAt: T + 2000,
        });
      });

      it("answers a read-only session: changing it changes nothing stored", async () => {
        await store.createSession(tok("t1"), session(T + 1000), T);
        const got = (await store.getSession(tok("t1"), T))!;
        try {
          got.acr = "changed";
          got.amr.push("changed");
        } catch {
          // A frozen record refuses the change outright.
        }
        expect(await store.getSession(tok("t1"), T)).toEqual(session(T + 1000));
      });

      it("moves the expiry of a live session and refuses a dead one", async () => {
        await store.createSession(tok("t1"), session(T + 1000), T);
        expect(await store.touchSession(tok("t1"), T + 5000, T + 500)).toEqual(session(T + 5000));
        expect(await store.getSession(tok("t1"), T + 4000)).toEqual(session(T + 5000));
        expect(await store.touchSession(tok("t1"), T + 9000, T + 5000)).toBeNull();
        expect(await store.touchSession(tok("unknown"), T + 9000, T)).toBeNull();
      });

      it("revokes one session", async () => {
        await store.createSession(tok("t1"), session(T + 1000), T);
        expect(await store.revokeSession(tok("t1"), T)).toBe(true);
        expect(await store.revokeSession(tok("t1"), T)).toBe(false);
        expect(await store.getSession(tok("t1"), T)).toBeNull();
      });

      // Whether a store has collected an expired session yet is its own business (a Redis TTL, a
      // sweep, a read that dropped it): the answer must not depend on it.
      it("answers false for revoking a session that expired, collected yet or not", async () => {
        await store.createSession(tok("t1"), session(T + 1000), T);
        await store.createSession(tok("t2"), session(T + 1000), T);
        expect(await store.getSession(tok("t2"), T + 1000)).toBeNull();
        expect(await store.revokeSession(tok("t1"), T + 1000)).toBe(false);
        expect(await store.revokeSession(tok("t2"), T + 1000)).toBe(false);
        expect(await store.getSession(tok("t1"), T)).toBeNull();
      });

      it("revokes every session of one user and no one else's, those verifyAttempt created too", async () => {
        await store.createFactor(user, "f1", { type: "totp" });
        await store.createSession(tok("t1"), session(T + 1000), T);
        await attempt([counter("f1", 1)], T, {
          session: { tokenHash: tok("t2"), expiresAt: T + 1000 },
        });
        await store.createSession(tok("t3", `${user}-b`), session(T + 1000, `${user}-b`), T);
        expect(await store.revokeUserSessions(user, T)).toBe(2);
        expect(await store.getSession(tok("t1"), T)).toBeNull();
        expect(await store.getSession(tok("t2"), T)).toBeNull();
        expect(await store.getSession(tok("t3", `${user}-b`), T)).not.toBeNull();
        expect(await store.revokeUserSessions(user, T)).toBe(0);
      });

      // Regression: a session opened with a factor outlived the factor's removal, and one opened
      // with a backup code outlived the regeneration of the codes.
      it("revokes the sessions of one factor, or of backup codes, and keeps the others", async () => {
        const backup = { ...session(T + 1000) };
        delete backup.factorId;
        await store.createSession(tok("a1"), session(T + 1000), T);
        await store.createSession(tok("a2"), session(T + 1000), T);
        await store.createSession(tok("b1"), { ...session(T + 1000), factorId: "f2" }, T);
        await store.createSession(tok("c1"), backup, T);
        await store.createSession(tok("dead"), session(T + 10), T);
        expect(await store.revokeUserSessions(user, T + 20, { factorId: "f1" })).toBe(2);
        expect(await store.getSession(tok("a1"), T + 20)).toBeNull();
        expect(await store.getSession(tok("b1"), T + 20)).not.toBeNull();
        expect(await store.getSession(tok("c1"), T + 20)).not.toBeNull();
        expect(await store.revokeUserSessions(user, T + 20, { backupCode: true })).toBe(1);
        expect(await store.getSession(tok("c1"), T + 20)).toBeNull();
        expect(await store.getSession(tok("b1"), T + 20)).not.toBeNull();
        expect(await store.revokeUserSessions(user, T + 20, { factorId: "f2" })).toBe(1);
        expect(await store.revokeUserSessions(user, T + 20)).toBe(0);
      });

      it("keeps the excepted session whatever else it revokes", async () => {
        await store.createSession(tok("t1"), session(T + 1000), T);
        await store.createSession(tok("t2"), session(T + 1000), T);
        await store.createSession(tok("t3"), session(T + 1000), T);
        expect(await store.revokeUserSessions(user, T, { except: tok("t2") })).toBe(2);
        expect(await store.getSession(tok("t2"), T)).not.toBeNull();
        expect(await store.revokeUserSessions(user, T, { factorId: "f1", except: tok("t2") })).toBe(
          0,
        );
        expect(await store.revokeUserSessions(user, T)).toBe(1);
        expect(await store.getSession(tok("t2"), T)).toBeNull();
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

    describe("webhook outbox", () => {
      // Outbox rows are not a user's: each test uses streams named after its user, drains them
      // before it ends, and filters what a claim returns to them.
      const outbox = () => store as MfaStore & Partial<WebhookOutbox>;
      const has = () => typeof outbox().outboxClaim === "function";
      const box = () => outbox() as MfaStore & WebhookOutbox;
      const message = (stream: string, id: string, dueAt = T): OutboxMessage => ({
        id,
        stream: `${user}:${stream}`,
        payload: JSON.stringify({ type: "mfa.verified", id }),
        attempts: 0,
        createdAt: T,
        dueAt,
      });
      const claim = async (now: number, limit = 1000, leaseMs = 30_000) =>
        (await box().outboxClaim(limit, leaseMs, now)).filter((m) => m.stream.startsWith(user));
      const ids = (messages: OutboxMessage[]) => messages.map((m) => m.id).sort();
      const drain = async () => {
        for (let i = 0; i < 100; i++) {
          const left = await claim(Number.MAX_SAFE_INTEGER / 2, 1000, 1);
          if (left.length === 0) return;
          for (const m of left) await box().outboxDone(m.stream, m.id, T);
        }
      };

      it("hands out the oldest due message of each stream only, in the order added", async (ctx) => {
        if (!has()) ctx.skip();
        await box().outboxAdd([message("a", "a1"), message("a", "a2"), message("b", "b1")], T);
        await box().outboxAdd([message("a", "a3")], T);
        const first = await claim(T);
        expect(ids(first)).toEqual(["a1", "b1"]);
        expect(first.find((m) => m.id === "a1")).toEqual(message("a", "a1"));
        await box().outboxDone(`${user}:a`, "a1", T);
        expect(ids(await claim(T))).toEqual(["a2"]);
        await box().outboxDone(`${user}:a`, "a2", T);
        await box().outboxDone(`${user}:b`, "b1", T);
        expect(ids(await claim(T))).toEqual(["a3"]);
        await drain();
      });

      it("leases a claimed message: not handed out again before the lease ends", async (ctx) => {
        if (!has()) ctx.skip();
        await box().outboxAdd([message("a", "a1")], T);
        expect(ids(await claim(T, 1000, 10_000))).toEqual(["a1"]);
        expect(await claim(T + 9_999)).toEqual([]);
        expect(ids(await claim(T + 10_000))).toEqual(["a1"]);
        await drain();
      });

      it("keeps a message until its dueAt, and a retry reschedules the head with its attempts", async (ctx) => {
        if (!has()) ctx.skip();
        await box().outboxAdd([message("a", "a1", T + 5_000), message("a", "a2")], T);
        expect(await claim(T + 4_999)).toEqual([]);
        expect(ids(await claim(T + 5_000))).toEqual(["a1"]);
        await box().outboxRetry(`${user}:a`, "a1", 1, T + 60_000, T + 5_001);
        // Released by the retry, but not due: the stream waits (a2 stays behind it).
        expect(await claim(T + 59_999)).toEqual([]);
        expect(await claim(T + 60_000)).toEqual([
          { ...message("a", "a1", T + 60_000), attempts: 1 },
        ]);
        await drain();
      });

      it("acts on done and retry only for the stream's head with that id", async (ctx) => {
        if (!has()) ctx.skip();
        await box().outboxAdd([message("a", "a1"), message("a", "a2")], T);
        await box().outboxDone(`${user}:a`, "a2", T);
        await box().outboxRetry(`${user}:a`, "a2", 3, T + 1_000_000, T);
        await box().outboxDone(`${user}:other`, "a1", T);
        expect(await claim(T)).toEqual([message("a", "a1")]);
        await box().outboxDone(`${user}:a`, "a1", T);
        expect(await claim(T)).toEqual([message("a", "a2")]);
        await drain();
      });

      it("claims at most limit streams' heads", async (ctx) => {
        if (!has()) ctx.skip();
        await box().outboxAdd(
          ["a", "b", "c"].map((x) => message(x, `${x}1`)),
          T,
        );
        const two = await box().outboxClaim(2, 30_000, T);
        expect(two).toHaveLength(2);
        const mine = two.filter((m) => m.stream.startsWith(user)).length;
        expect(ids(await claim(T))).toHaveLength(3 - mine);
        await drain();
      });

      it("hands each message to one of 10 concurrent claims", async (ctx) => {
        if (!has()) ctx.skip();
        const streams = Array.from({ length: 20 }, (_, i) => message(`s${i}`, `m${i}`));
        await box().outboxAdd(streams, T);
        const claimed = (await Promise.all(Array.from({ length: 10 }, () => claim(T, 5)))).flat();
        const got = ids(claimed);
        expect(new Set(got).size).toBe(got.length);
        expect(got.length).toBeGreaterThan(0);
        expect(ids([...claimed, ...(await claim(T))])).toEqual(ids(streams));
        await drain();
      });
    });
  });
}
