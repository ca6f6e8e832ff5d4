import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../crypto/node";
import type { MfaCrypto } from "../crypto/types";
import { memoryStore } from "../stores/memory";
import { KEYS, type TestKit, testKit, totpCode, userWithTotp, wrong } from "../testing/fixtures";

const MIN = 60_000;

type CodeSettings = Parameters<typeof totpCode>[2];

/**
 * A user whose TOTP factor (of `settings`, the kit's) was last used 20 minutes ago: every past
 * step is a fresh one.
 */
async function staleUser(kit: TestKit, settings?: CodeSettings) {
  if (!settings) {
    const user = await userWithTotp(kit);
    kit.tick(20 * MIN);
    return user;
  }
  const { factorId, secret } = await kit.mfa.enrollTotp("alice");
  const activated = await kit.mfa.activateFactor(
    "alice",
    factorId,
    totpCode(secret, kit.clock.now, settings),
  );
  expect(activated.ok).toBe(true);
  kit.tick(20 * MIN);
  return { factorId, secret };
}

/** A crypto that counts its HMACs. */
function countingCrypto() {
  const counter = { hmacs: 0 };
  const crypto: MfaCrypto = {
    ...nodeCrypto,
    hmac: (...args) => {
      counter.hmacs++;
      return nodeCrypto.hmac(...args);
    },
  };
  return { counter, crypto };
}

/** A backup code of the same form that is not `code`: its last character changed. */
const otherCode = (code: string) => `${code.slice(0, -1)}${code.endsWith("0") ? "1" : "0"}`;

describe("hints on a wrong TOTP code", () => {
  it("says the authenticator's clock is behind for a code of 3 minutes ago, refused and counted", async () => {
    const kit = testKit();
    const { secret } = await staleUser(kit);
    const late = totpCode(secret, kit.clock.now - 3 * MIN);
    expect(await kit.mfa.verify({ userId: "alice", code: late })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
      hint: "authenticator_clock_behind",
      behindS: 180,
    });
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.failed")).toMatchObject([{ reason: "invalid_code", attemptsLeft: 2 }]);
    // The right code still works: the hint changed nothing but the answer.
    const right = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    expect(right.ok).toBe(true);
  });

  it("looks back totp.diagnoseSteps steps and no further", async () => {
    const kit = testKit({ totp: { diagnoseSteps: 4 } });
    const { secret } = await staleUser(kit);
    const within = await kit.mfa.verify({
      userId: "alice",
      code: totpCode(secret, kit.clock.now - 4 * 30_000),
    });
    expect(within).toMatchObject({ hint: "authenticator_clock_behind", behindS: 120 });
    const beyond = await kit.mfa.verify({
      userId: "alice",
      code: totpCode(secret, kit.clock.now - 5 * 30_000),
    });
    expect(beyond).toEqual({ ok: false, reason: "invalid_code", attemptsLeft: 1 });
  });

  it("gives no clock hint with diagnoseSteps 0", async () => {
    const kit = testKit({ totp: { diagnoseSteps: 0 } });
    const { secret } = await staleUser(kit);
    expect(
      await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now - 3 * MIN) }),
    ).toEqual({ ok: false, reason: "invalid_code", attemptsLeft: 2 });
  });

  it("never hints at a future step: such a code could be replayed later", async () => {
    const kit = testKit();
    const { secret } = await staleUser(kit);
    const early = totpCode(secret, kit.clock.now + 3 * MIN);
    expect(await kit.mfa.verify({ userId: "alice", code: early })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("never hints at a step up to the last accepted one (an old code typed again)", async () => {
    const kit = testKit();
    const { secret } = await staleUser(kit);
    const used = totpCode(secret, kit.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code: used })).ok).toBe(true);
    kit.tick(3 * MIN);
    expect(await kit.mfa.verify({ userId: "alice", code: used })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("never hints on a replay within the window", async () => {
    const kit = testKit();
    const { secret } = await staleUser(kit);
    const code = totpCode(secret, kit.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(true);
    expect(await kit.mfa.verify({ userId: "alice", code })).toEqual({
      ok: false,
      reason: "code_reused",
      attemptsLeft: 2,
    });
  });

  it.each([
    ["a SHA-256 code for a SHA-1 factor", {}, undefined, { algorithm: "sha256" as const }],
    ["a SHA-512 code for a SHA-1 factor", {}, undefined, { algorithm: "sha512" as const }],
    ["an 8-digit code for a 6-digit factor", {}, undefined, { digits: 8 }],
    [
      "a 6-digit SHA-1 code for an 8-digit SHA-256 factor",
      { algorithm: "SHA256" as const, digits: 8 as const },
      { algorithm: "sha256" as const, digits: 8 },
      {},
    ],
  ])("says the settings differ for %s, never accepting it", async (_name, totp, own, asTyped) => {
    const kit = testKit({ totp });
    const { secret } = await staleUser(kit, own);
    const code = totpCode(secret, kit.clock.now, asTyped);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await kit.mfa.verify({ userId: "alice", code }));
    expect(answers).toEqual([
      { ok: false, reason: "invalid_code", attemptsLeft: 2, hint: "algorithm_mismatch" },
      { ok: false, reason: "invalid_code", attemptsLeft: 1, hint: "algorithm_mismatch" },
      // The lock budget is the usual one, and a lock carries no hint.
      { ok: false, reason: "locked", retryAfterMs: 30_000 },
    ]);
    expect(await kit.mfa.verify({ userId: "alice", code })).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 30_000,
    });
  });

  it("centres on the factor's remembered drift, like the check", async () => {
    const kit = testKit();
    const { secret } = await staleUser(kit);
    // A device one step late is accepted and remembered so (RFC 6238 §6).
    const oneLate = totpCode(secret, kit.clock.now - 30_000);
    expect((await kit.mfa.verify({ userId: "alice", code: oneLate })).ok).toBe(true);
    kit.tick(10 * MIN);
    // Two steps late is then in the window's reach for the settings hint...
    const sha256 = totpCode(secret, kit.clock.now - 60_000, { algorithm: "sha256" });
    expect(await kit.mfa.verify({ userId: "alice", code: sha256 })).toMatchObject({
      hint: "algorithm_mismatch",
    });
    // ...and the clock hint starts past the window: three steps late, 90 s.
    const threeLate = totpCode(secret, kit.clock.now - 90_000);
    expect(await kit.mfa.verify({ userId: "alice", code: threeLate })).toMatchObject({
      hint: "authenticator_clock_behind",
      behindS: 90,
    });
  });

  it("gives no clock hint for a past code of other digits", async () => {
    const kit = testKit();
    const { secret } = await staleUser(kit);
    const code = totpCode(secret, kit.clock.now - 3 * MIN, { digits: 8 });
    expect(await kit.mfa.verify({ userId: "alice", code })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("gives no hint, and does not fail, when the secret cannot be opened", async () => {
    const store = memoryStore();
    const before = testKit({ store, encryptionKeys: { current: "k1", keys: { k1: KEYS.k1 } } });
    const { secret } = await userWithTotp(before);
    const retired = testKit({ store, encryptionKeys: { current: "k2", keys: { k2: KEYS.k2 } } });
    retired.clock.now = before.clock.now + 20 * MIN;
    const late = totpCode(secret, retired.clock.now - 3 * MIN);
    expect(await retired.mfa.verify({ userId: "alice", code: late })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("hints at the activation of a new authenticator set up with other settings", async () => {
    const kit = testKit({ totp: { algorithm: "SHA256" } });
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    expect(
      await kit.mfa.activateFactor("alice", factorId, totpCode(secret, kit.clock.now)),
    ).toEqual({ ok: false, reason: "invalid_code", attemptsLeft: 2, hint: "algorithm_mismatch" });
    // Across the activation window the check used: a phone 4 minutes late, SHA-1.
    expect(
      await kit.mfa.activateFactor("alice", factorId, totpCode(secret, kit.clock.now - 4 * MIN)),
    ).toEqual({ ok: false, reason: "invalid_code", attemptsLeft: 1, hint: "algorithm_mismatch" });
    expect((await kit.mfa.listFactors("alice")).factors[0]?.status).toBe("pending");
  });

  it("gives no hint for a code that matches nothing, nor for a backup code or another factor's", async () => {
    const kit = testKit();
    const { secret, backupCodes } = await userWithTotp(kit);
    kit.tick(20 * MIN);
    expect(
      await kit.mfa.verify({ userId: "alice", code: wrong(totpCode(secret, kit.clock.now)) }),
    ).toEqual({ ok: false, reason: "invalid_code", attemptsLeft: 2 });
    expect(
      await kit.mfa.verify({ userId: "alice", backupCode: otherCode(backupCodes[0]!) }),
    ).toEqual({ ok: false, reason: "invalid_code", attemptsLeft: 1 });
  });
});

describe("the cost of a hint", () => {
  it("is at most diagnoseSteps + 3 × (2 × window + 1) HMACs, and only after a failure", async () => {
    const { counter, crypto } = countingCrypto();
    const kit = testKit({ crypto, limits: { maxFailures: 100 } });
    const { secret } = await staleUser(kit);
    const now = () => kit.clock.now;
    const cost = async (code: string) => {
      counter.hmacs = 0;
      await kit.mfa.verify({ userId: "alice", code });
      return counter.hmacs;
    };
    // A success: the window's three HMACs, nothing else.
    expect(await cost(totpCode(secret, now()))).toBeLessThanOrEqual(3);
    // A replay of it: the window only, no hint.
    expect(await cost(totpCode(secret, now()))).toBeLessThanOrEqual(3);
    kit.tick(20 * MIN);
    // A wrong code of each length: the window, then one diagnosis within its bound.
    const bound = 3 + 10 + 3 * 3;
    for (const code of [wrong(totpCode(secret, now())), "12345678", "00000000"]) {
      const spent = await cost(code);
      expect(spent).toBeGreaterThan(3);
      expect(spent).toBeLessThanOrEqual(bound);
    }
    // Exactly, for a 6-digit code that matches nothing: the window (3), the past steps beyond it
    // (10 - 1), the two other algorithms across the window (2 × 3); 8 digits: three algorithms.
    expect(await cost(wrong(totpCode(secret, now())))).toBe(3 + 9 + 2 * 3);
    expect(await cost("12345678")).toBe(3 * 3);
    // A malformed code: nothing to compare, no HMAC at all.
    expect(await cost("12a456")).toBe(0);
  });

  it("is nothing while the user is locked", async () => {
    const { counter, crypto } = countingCrypto();
    const kit = testKit({ crypto });
    const { secret } = await staleUser(kit);
    const late = totpCode(secret, kit.clock.now - 3 * MIN);
    for (let i = 0; i < 3; i++) await kit.mfa.verify({ userId: "alice", code: late });
    counter.hmacs = 0;
    expect(await kit.mfa.verify({ userId: "alice", code: late })).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 30_000,
    });
    expect(counter.hmacs).toBe(0);
  });
});
