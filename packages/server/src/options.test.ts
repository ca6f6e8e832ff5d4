import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { generateSync } from "otplib";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "./options";
import { createMfaServer } from "./server";
import { memoryStore } from "./stores/memory";

describe("createMfaServer options", () => {
  it("fill in the documented defaults", () => {
    const o = resolveOptions({ issuer: "Acme" });
    expect(o.totp).toEqual({
      algorithm: "SHA1",
      digits: 6,
      period: 30,
      window: 1,
      activationWindow: 10,
      secretBytes: 20,
      diagnoseSteps: 10,
    });
    // The activation window is never narrower than the verification window by default.
    expect(resolveOptions({ issuer: "Acme", totp: { window: 12 } }).totp.activationWindow).toBe(12);
    expect(resolveOptions({ issuer: "Acme", totp: { activationWindow: 0 } }).totp).toMatchObject({
      window: 1,
      activationWindow: 0,
    });
    expect(o.otp).toMatchObject({
      ttlMs: 600_000,
      digits: 6,
      resendAfterMs: 60_000,
      maxSendsPerHour: 5,
    });
    expect(o.sessions).toEqual({
      ttlMs: 900_000,
      maxLifetimeMs: 43_200_000,
      tokenHashCache: 10_000,
      clockToleranceMs: 5_000,
    });
    expect(o.enrollment).toEqual({ pendingTtlMs: 600_000, maxPending: 5 });
    expect(o.risk.unknownCountry).toBe("hold");
    expect(o.limits).toEqual({
      maxFailures: 3,
      windowMs: 300_000,
      lockoutsMs: [30_000, 60_000, 120_000, 300_000],
      levelTtlMs: 86_400_000,
      maxConsecutiveFailures: 100,
      consecutiveTtlMs: 365 * 86_400_000,
    });
    expect(o.hotp).toEqual({ algorithm: "SHA1", digits: 6, lookAhead: 10, resyncWindow: 100 });
    expect(o.backupCodeCount).toBe(10);
    expect(o.eventTimeoutMs).toBe(5_000);
    expect(o.webauthn).toBeUndefined();
  });

  it("explain a bad option with an MfaOptionError naming it", () => {
    expect(() => createMfaServer({} as never)).toThrow(MfaOptionError);
    expect(() => createMfaServer({} as never)).toThrow(/issuer/);
    expect(() => resolveOptions({ issuer: "A", totp: { digits: 7 as 6 } })).toThrow(/totp.digits/);
    for (const diagnoseSteps of [-1, 1.5, 101, Number.NaN]) {
      expect(() => resolveOptions({ issuer: "A", totp: { diagnoseSteps } })).toThrow(
        /totp\.diagnoseSteps must be an integer from 0 to 100/,
      );
    }
    expect(resolveOptions({ issuer: "A", totp: { diagnoseSteps: 0 } }).totp.diagnoseSteps).toBe(0);
    expect(() => resolveOptions({ issuer: "A", totp: { algorithm: "MD5" as "SHA1" } })).toThrow(
      /totp.algorithm/,
    );
    // Each step is HMACs an activation attempt computes: a caller with a password could make an
    // unbounded window cost the server as much as it allows.
    for (const activationWindow of [
      -1,
      2.5,
      101,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      "2" as never,
    ]) {
      expect(() => resolveOptions({ issuer: "A", totp: { activationWindow } })).toThrow(
        /^totp\.activationWindow must be an integer from 0 to 100/,
      );
    }
    expect(
      resolveOptions({ issuer: "A", totp: { activationWindow: 100 } }).totp.activationWindow,
    ).toBe(100);
    expect(() => resolveOptions({ issuer: "A", limits: { maxFailures: 0 } })).toThrow(
      /limits.maxFailures/,
    );
    expect(() => resolveOptions({ issuer: "A", limits: { lockoutsMs: [] } })).toThrow(/lockoutsMs/);
    expect(() => resolveOptions({ issuer: "A", otp: { ttlMs: Number.NaN } })).toThrow(/otp.ttlMs/);
    expect(() => resolveOptions({ issuer: "A", webauthn: { rpID: "x.com" } as never })).toThrow(
      /origin/,
    );
    for (const [option, options] of [
      ["totp.digits", { totp: { digits: 7 } }],
      ["hotp.algorithm", { hotp: { algorithm: "MD5" } }],
      ["limits.lockoutsMs[1]", { limits: { lockoutsMs: [1, -1] } }],
      ["risk.unknownCountry", { risk: { unknownCountry: "maybe" } }],
      ["accountName", { accountName: "alice" }],
    ] as const) {
      expect(() => resolveOptions({ issuer: "A", ...(options as object) })).toThrow(
        expect.objectContaining({ name: "MfaOptionError", option }),
      );
    }
  });

  it("demand encryption keys with a store that outlives the process", () => {
    expect(() => createMfaServer({ issuer: "Acme", store: memoryStore() })).toThrow(
      /encryptionKeys/,
    );
    expect(() => createMfaServer({ issuer: "Acme" })).not.toThrow();
  });

  it("run end to end on the defaults: portable crypto, a per-process key, the memory store", async () => {
    let now = 1_700_000_000_000;
    const mfa = createMfaServer({ issuer: "Acme", now: () => now });
    const { factorId, secret } = await mfa.enrollTotp("alice", { label: "alice@acme.com" });
    const code = () => generateSync({ secret, epoch: Math.floor(now / 1000) });
    expect((await mfa.activateFactor("alice", factorId, code())).ok).toBe(true);
    now += 30_000;
    const verified = await mfa.verify({ userId: "alice", code: code() });
    expect(verified.ok && (await mfa.checkSession(verified.session.token)).ok).toBe(true);
  });

  it("answer which factor types this server can enroll", () => {
    const bare = createMfaServer({ issuer: "Acme" });
    expect(
      ["totp", "hotp", "sms", "email", "webauthn"].map((t) => bare.supports(t as never)),
    ).toEqual([true, true, false, false, false]);
  });

  it("throw a TypeError for a missing user id (a programmer error)", async () => {
    const mfa = createMfaServer({ issuer: "Acme" });
    await expect(mfa.enrollTotp("")).rejects.toThrow(/userId/);
    await expect(mfa.verify({ userId: "" })).resolves.toEqual({
      ok: false,
      reason: "invalid_request",
    });
  });
});
