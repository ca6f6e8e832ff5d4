import { describe, expect, it } from "vitest";
import { testKit, totpCode, userWithTotp } from "../testing/fixtures";

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
    expect(await kit.mfa.revokeSessions("alice")).toBe(2);
    expect((await kit.mfa.checkSession(session.token)).ok).toBe(false);
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
