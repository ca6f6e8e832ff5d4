/**
 * Attacks on the factor lifecycle, played end to end through the kit (and its HTTP handler) on the
 * memory store and on a real redis-server: factor takeover with only the primary login, sessions
 * outliving what opened them, a future verification time, and the guess budget of a steady attack.
 */
import { type RedisServer, redisUnavailableReason, startRedisServer } from "@mfa-kit/test-utils";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MfaServerOptions } from "./options";
import { memoryStore } from "./stores/memory";
import { redisStore } from "./stores/redis";
import type { MfaStore } from "./stores/types";
import { hotpCode, type TestKit, testKit, totpCode, userWithTotp } from "./testing/fixtures";
import { testHandler } from "./testing/http";

const skipReason = redisUnavailableReason();
if (skipReason) console.warn(`Skipping the Redis attack tests: ${skipReason}`);

let redis: RedisServer | undefined;
let client: Redis | undefined;
let run = 0;

type StoreFactory = () => MfaStore;

/** Activates a contact factor with the code it was sent (needs `sessionToken` once one is active). */
async function activeContact(
  kit: TestKit,
  channel: "sms" | "email",
  to: string,
  sessionToken: string,
) {
  const enrolled = await kit.mfa.enrollContact("alice", { channel, to });
  if (!enrolled.ok) throw new Error(`enrollment failed: ${enrolled.reason}`);
  const code = kit.sent.at(-1)!.code;
  const activated = await kit.mfa.activateFactor("alice", enrolled.factorId, code, {
    sessionToken,
  });
  if (!activated.ok) throw new Error(`activation failed: ${activated.reason}`);
  return enrolled.factorId;
}

function describeAttacks(name: string, makeStore: StoreFactory) {
  const kitOn = (store: MfaStore, overrides: Partial<MfaServerOptions> = {}) =>
    testKit({ store: store as never, ...overrides });

  describe(`attacks on ${name}`, () => {
    describe("factor takeover with only the primary login", () => {
      it("a factor planted before the user's own cannot be activated, challenged or used", async () => {
        const kit = kitOn(makeStore());
        // The attacker, with the password only, plants a TOTP and an SMS factor (their phone).
        const planted = await kit.mfa.enrollTotp("alice", { label: "attacker" });
        const sms = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15550000666" });
        expect(sms.ok).toBe(true);
        const smsId = sms.ok ? sms.factorId : "";
        // The user turns MFA on with their own factor.
        const user = await userWithTotp(kit);
        const { call } = testHandler(kit);

        const plantedCode = totpCode(planted.secret, kit.clock.now);
        expect(await kit.mfa.activateFactor("alice", planted.factorId, plantedCode)).toEqual({
          ok: false,
          reason: "mfa_required",
        });
        const overHttp = await call("POST", `/mfa/factors/${planted.factorId}/activate`, {
          body: { code: plantedCode },
        });
        expect(overHttp.status).toBe(401);
        expect(overHttp.headers.get("WWW-Authenticate")).toMatch(
          /insufficient_user_authentication/,
        );
        // No new activation code to the attacker's phone either.
        const sentBefore = kit.sent.length;
        expect(await kit.mfa.startChallenge("alice", smsId)).toMatchObject({
          ok: false,
          reason: "mfa_required",
        });
        const challenge = await call("POST", "/mfa/challenge", { body: { factorId: smsId } });
        expect(challenge.status).toBe(401);
        expect(kit.sent.length).toBe(sentBefore);
        // The planted factor answers no verification, named or not.
        const named = await kit.mfa.verify({
          userId: "alice",
          factorId: planted.factorId,
          code: plantedCode,
        });
        expect(named.ok).toBe(false);
        const unnamed = await kit.mfa.verify({ userId: "alice", code: plantedCode });
        expect(unnamed.ok).toBe(false);
        const smsCode = kit.sent.find((m) => m.factorId === smsId)!.code;
        expect((await kit.mfa.verify({ userId: "alice", factorId: smsId, code: smsCode })).ok).toBe(
          false,
        );
        // Nor is it offered as a way to answer a challenge.
        const listed = await call("POST", "/mfa/verify", { body: {} });
        expect(JSON.stringify(listed.body)).not.toContain(planted.factorId);
        // The user, with a fresh session, can still activate a second factor of their own.
        const mine = await kit.mfa.enrollTotp("alice");
        const ok = await kit.mfa.activateFactor(
          "alice",
          mine.factorId,
          totpCode(mine.secret, kit.clock.now),
          { sessionToken: user.sessionToken },
        );
        expect(ok.ok).toBe(true);
      });

      it("of two racing first activations on two instances, only one gets through", async () => {
        const store = makeStore();
        const a = kitOn(store);
        const b = kitOn(store);
        b.clock.now = a.clock.now;
        const userFactor = await a.mfa.enrollTotp("alice");
        const attackerFactor = await b.mfa.enrollTotp("alice");
        const results = await Promise.all([
          a.mfa.activateFactor(
            "alice",
            userFactor.factorId,
            totpCode(userFactor.secret, a.clock.now),
          ),
          b.mfa.activateFactor(
            "alice",
            attackerFactor.factorId,
            totpCode(attackerFactor.secret, b.clock.now),
          ),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, reason: "mfa_required" });
        const active = (await a.mfa.listFactors("alice")).factors.filter(
          (f) => f.status === "active",
        );
        expect(active).toHaveLength(1);
      });
    });

    describe("sessions go with what opened them", () => {
      it("removing a factor revokes its sessions and keeps those of another factor", async () => {
        const kit = kitOn(makeStore());
        const first = await userWithTotp(kit);
        const byFirst = await kit.mfa.verify({
          userId: "alice",
          code: totpCode(first.secret, kit.clock.now),
        });
        const second = await kit.mfa.enrollTotp("alice", { label: "second phone" });
        const opened = await kit.mfa.activateFactor(
          "alice",
          second.factorId,
          totpCode(second.secret, kit.clock.now),
          { sessionToken: first.sessionToken },
        );
        expect(byFirst.ok && opened.ok && opened.session).toBeTruthy();
        const firstTokens = [first.sessionToken, byFirst.ok ? byFirst.session.token : ""];
        const ownToken = opened.ok ? opened.session!.token : "";

        expect(await kit.mfa.removeFactor("alice", first.factorId)).toEqual({ ok: true });
        for (const token of firstTokens) {
          expect((await kit.mfa.checkSession(token)).ok).toBe(false);
        }
        expect((await kit.mfa.checkSession(ownToken)).ok).toBe(true);
        // Over HTTP too: the revoked session is refused on a guarded route.
        const { call } = testHandler(kit);
        const refused = await call("POST", "/mfa/backup-codes/regenerate", {
          headers: { "X-Session-Token": firstTokens[0]! },
        });
        expect(refused.status).toBe(401);

        expect(await kit.mfa.removeFactor("alice", second.factorId)).toEqual({ ok: true });
        expect((await kit.mfa.checkSession(ownToken)).ok).toBe(false);
        expect((await kit.mfa.listFactors("alice")).backupCodesRemaining).toBe(0);
      });

      it("regenerating backup codes revokes what a backup code opened, not a TOTP session", async () => {
        const kit = kitOn(makeStore());
        const user = await userWithTotp(kit);
        const byCode = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[0]! });
        const byTotp = await kit.mfa.verify({
          userId: "alice",
          code: totpCode(user.secret, kit.clock.now),
        });
        if (!byCode.ok || !byTotp.ok) throw new Error("verification failed");
        await kit.mfa.regenerateBackupCodes("alice");
        expect((await kit.mfa.checkSession(byCode.session.token)).ok).toBe(false);
        expect((await kit.mfa.checkSession(byTotp.session.token)).ok).toBe(true);
        // The old set is void as well.
        const old = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[1]! });
        expect(old.ok).toBe(false);
      });

      it("removing the last factor over HTTP keeps the caller's session a backup code opened, and no other", async () => {
        const kit = kitOn(makeStore());
        const user = await userWithTotp(kit);
        const mine = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[0]! });
        const theirs = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[1]! });
        if (!mine.ok || !theirs.ok) throw new Error("verification failed");
        const { call } = testHandler(kit);
        const removed = await call("DELETE", `/mfa/factors/${user.factorId}`, {
          headers: { "X-Session-Token": mine.session.token },
        });
        expect(removed.status).toBe(204);
        // The factor's own session and every other one go; the caller's (a backup code's) stays.
        expect((await kit.mfa.checkSession(user.sessionToken)).ok).toBe(false);
        expect((await kit.mfa.checkSession(theirs.session.token)).ok).toBe(false);
        expect((await kit.mfa.checkSession(mine.session.token)).ok).toBe(true);
      });

      it("removing a factor over HTTP revokes the caller's session when that factor opened it", async () => {
        const kit = kitOn(makeStore());
        const user = await userWithTotp(kit);
        const second = await kit.mfa.enrollTotp("alice", { label: "second phone" });
        await kit.mfa.activateFactor(
          "alice",
          second.factorId,
          totpCode(second.secret, kit.clock.now),
          {
            sessionToken: user.sessionToken,
          },
        );
        const { call } = testHandler(kit);
        const removed = await call("DELETE", `/mfa/factors/${user.factorId}`, {
          headers: { "X-Session-Token": user.sessionToken },
        });
        expect(removed.status).toBe(204);
        expect((await kit.mfa.checkSession(user.sessionToken)).ok).toBe(false);
      });

      it("revokeSessions keeps only the caller's session (password change)", async () => {
        const kit = kitOn(makeStore());
        const user = await userWithTotp(kit);
        const other = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[0]! });
        if (!other.ok) throw new Error("verification failed");
        expect(
          await kit.mfa.revokeSessions("alice", { except: user.sessionToken }),
        ).toBeGreaterThanOrEqual(1);
        expect((await kit.mfa.checkSession(other.session.token)).ok).toBe(false);
        expect((await kit.mfa.checkSession(user.sessionToken)).ok).toBe(true);
      });
    });

    it("a session verified while the clock ran an hour ahead is not fresh once it is corrected", async () => {
      const kit = kitOn(makeStore());
      const user = await userWithTotp(kit);
      const right = kit.clock.now;
      kit.clock.now = right + 3_600_000;
      const ahead = await kit.mfa.verify({
        userId: "alice",
        code: totpCode(user.secret, right + 3_600_000),
      });
      if (!ahead.ok) throw new Error(`verification failed: ${ahead.reason}`);
      expect(ahead.session.authTime).toBe(right + 3_600_000);
      kit.clock.now = right + 60_000;
      for (let i = 0; i < 3; i++) {
        const check = await kit.mfa.checkSession(ahead.session.token, { maxAgeMs: 300_000 });
        expect(check.ok).toBe(false);
      }
      const { call } = testHandler(kit);
      const guarded = await call("POST", "/mfa/backup-codes/regenerate", {
        headers: { "X-Session-Token": ahead.session.token },
      });
      expect(guarded.status).toBe(401);
      await kit.mfa.flushEvents();
      expect(kit.eventsOf("clock.suspect")).toHaveLength(1);
      // A session verified on the right clock is fresh as before. (The TOTP step used an hour
      // ahead stays spent, so this one is a backup code.)
      const fresh = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[0]! });
      if (!fresh.ok) throw new Error(`verification failed: ${fresh.reason}`);
      expect((await kit.mfa.checkSession(fresh.session.token, { maxAgeMs: 300_000 })).ok).toBe(
        true,
      );
    });

    it("bounds the guess budget of a steady attack on TOTP + HOTP + SMS + e-mail", async () => {
      let checks = 0;
      let codes = 0;
      /** Codes one check of a factor evaluates: TOTP window ±1, HOTP look-ahead 10, one live code. */
      const codesPer: Record<string, number> = {};
      const base = makeStore();
      const counting = new Proxy(base, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop === "verifyAttempt") {
            return (
              userId: string,
              attempt: Parameters<MfaStore["verifyAttempt"]>[1],
              now: number,
            ) =>
              (value as MfaStore["verifyAttempt"]).call(target, userId, attempt, now).then((r) => {
                if (!r.ok && r.reason === "failed") {
                  checks += r.failures.length;
                  for (const c of attempt.checks.slice(0, r.failures.length)) {
                    codes += codesPer[c.factorId ?? ""] ?? 1;
                  }
                }
                return r;
              });
          }
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const kit = kitOn(counting);
      const user = await userWithTotp(kit);
      const hotp = await kit.mfa.enrollHotp("alice");
      const hotpOk = await kit.mfa.activateFactor(
        "alice",
        hotp.factorId,
        hotpCode(hotp.secret, 0),
        {
          sessionToken: user.sessionToken,
        },
      );
      expect(hotpOk.ok).toBe(true);
      const smsId = await activeContact(kit, "sms", "+15550001234", user.sessionToken);
      await activeContact(kit, "email", "alice@example.com", user.sessionToken);
      for (const f of (await kit.mfa.listFactors("alice")).factors) {
        codesPer[f.id] = f.type === "totp" ? 3 : f.type === "hotp" ? 11 : 1;
      }
      const codeFactors = Object.keys(codesPer).length;
      expect(codeFactors).toBe(4);
      const { maxFailures } = kit.mfa.limits;
      const maxConsecutive = 100;
      checks = 0;
      codes = 0;

      // The attacker knows the password: a guess every second it is allowed, no factorId, an SMS
      // code requested whenever the throttle lets one through.
      const start = kit.clock.now;
      let firstHour = -1;
      let firstHourCodes = -1;
      let sinceLock = 0;
      let maxPerLock = 0;
      let suspendedAt = -1;
      let guess = 0;
      while (kit.clock.now - start < 86_400_000) {
        if (firstHour < 0 && kit.clock.now - start >= 3_600_000) {
          firstHour = checks;
          firstHourCodes = codes;
        }
        await kit.mfa.startChallenge("alice", smsId);
        const before = checks;
        const code = String(guess++ % 1_000_000).padStart(6, "0");
        const result = await kit.mfa.verify({ userId: "alice", code });
        // A guess may hit by chance; the budget is about misses.
        if (result.ok) continue;
        sinceLock += checks - before;
        maxPerLock = Math.max(maxPerLock, sinceLock);
        if (result.reason === "suspended" && suspendedAt < 0) suspendedAt = before;
        if (result.reason === "locked" || result.reason === "suspended") {
          sinceLock = 0;
          kit.tick(Math.max(1_000, result.retryAfterMs ?? 60_000));
        } else {
          kit.tick(1_000);
        }
      }
      const perDay = checks;
      console.log(
        `guess budget (${name}): ${firstHourCodes} codes evaluated (${firstHour} factor checks) in the first hour`,
      );
      console.log(
        `guess budget (${name}): ${codes} codes evaluated (${perDay} factor checks) in 24 h`,
      );
      console.log(
        `guess budget (${name}): at most ${maxPerLock} factor checks per lock, suspended after ${suspendedAt}`,
      );
      // One guess without factorId is checked against the code factors, each a counted failure,
      // but never against more than the failures left: a lock follows exactly maxFailures factor
      // checks, and the suspension exactly maxConsecutive.
      expect(maxPerLock).toBe(maxFailures);
      expect(suspendedAt).toBe(maxConsecutive);
      expect(perDay).toBe(maxConsecutive);
      // Before the suspension, the lock schedule alone would allow thousands a day.
      expect(firstHour).toBeLessThanOrEqual(60);
      await kit.mfa.flushEvents();
      expect(kit.eventsOf("limit.suspended")).toHaveLength(1);

      // Suspended: even the right TOTP code is refused...
      const right = await kit.mfa.verify({
        userId: "alice",
        code: totpCode(user.secret, kit.clock.now),
      });
      expect(right).toMatchObject({ ok: false, reason: "suspended" });
      // ...until a backup code succeeds.
      kit.tick(30_000);
      const backup = await kit.mfa.verify({ userId: "alice", backupCode: user.backupCodes[0]! });
      expect(backup.ok).toBe(true);
      kit.tick(30_000);
      const after = await kit.mfa.verify({
        userId: "alice",
        factorId: user.factorId,
        code: totpCode(user.secret, kit.clock.now),
      });
      expect(after.ok).toBe(true);
      // Without a factor id, the most recently used factor is checked first: with four code
      // factors and three checks per lock, the factor the user answers with stays reachable.
      kit.tick(30_000);
      const inline = await kit.mfa.verify({
        userId: "alice",
        code: totpCode(user.secret, kit.clock.now),
      });
      expect(inline.ok).toBe(true);
    });

    it("unlock lifts a suspension", async () => {
      const kit = kitOn(makeStore(), { limits: { maxConsecutiveFailures: 6 } });
      const user = await userWithTotp(kit);
      for (let i = 0; i < 40; i++) {
        const r = await kit.mfa.verify({
          userId: "alice",
          factorId: user.factorId,
          code: "000000",
        });
        if (!r.ok && r.reason === "suspended") break;
        kit.tick(r.ok ? 1_000 : Math.max(1_000, r.retryAfterMs ?? 1_000));
      }
      kit.tick(600_000);
      const code = () => totpCode(user.secret, kit.clock.now);
      expect(await kit.mfa.verify({ userId: "alice", code: code() })).toMatchObject({
        ok: false,
        reason: "suspended",
      });
      expect(await kit.mfa.unlock("alice")).toBe(true);
      kit.tick(30_000);
      expect((await kit.mfa.verify({ userId: "alice", code: code() })).ok).toBe(true);
      await kit.mfa.flushEvents();
      expect(kit.eventsOf("limit.unlocked")).toMatchObject([{ userId: "alice", wasLocked: true }]);
    });
  });
}

describeAttacks("the memory store", () => memoryStore());

describe.skipIf(skipReason !== undefined)("on a real redis-server", () => {
  beforeAll(async () => {
    redis = await startRedisServer();
    client = new Redis({ host: "127.0.0.1", port: redis.port, lazyConnect: true });
    await client.connect();
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });
  describeAttacks("redis", () =>
    redisStore(client!, { prefix: `attacks${process.pid}-${run++}:` }),
  );
});
