import { describe, expect, it } from "vitest";
import { memoryStore } from "../stores/memory";
import { KEYS, T0, testKit, totpCode, userWithTotp, wrong } from "../testing/fixtures";

describe("TOTP factors", () => {
  it("enrolls a pending factor with a base32 secret and an otpauth URI", async () => {
    const kit = testKit();
    const { factorId, secret, otpauthUri } = await kit.mfa.enrollTotp("alice", {
      label: "alice@acme.test",
    });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(otpauthUri);
    expect(uri.protocol).toBe("otpauth:");
    expect(uri.host).toBe("totp");
    expect(decodeURIComponent(uri.pathname)).toBe("/Acme:alice@acme.test");
    expect(uri.searchParams.get("secret")).toBe(secret);
    expect(uri.searchParams.get("issuer")).toBe("Acme");
    const { factors } = await kit.mfa.listFactors("alice");
    expect(factors).toEqual([
      { id: factorId, type: "totp", status: "pending", label: "alice@acme.test", createdAt: T0 },
    ]);
  });

  it("activates with a first code and returns ten backup codes for the first factor", async () => {
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    const result = await kit.mfa.activateFactor("alice", factorId, totpCode(secret, T0));
    expect(result).toMatchObject({ ok: true, factor: { id: factorId, status: "active" } });
    expect(result.ok && result.backupCodes).toHaveLength(10);
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("factor.enrolled")).toMatchObject([{ factorId, factorType: "totp" }]);
  });

  it("refuses activation with a wrong code and counts it", async () => {
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    expect(await kit.mfa.activateFactor("alice", factorId, wrong(totpCode(secret, T0)))).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
    expect((await kit.mfa.listFactors("alice")).factors[0]?.status).toBe("pending");
  });

  it("gives backup codes with the first factor only", async () => {
    const kit = testKit();
    const { sessionToken } = await userWithTotp(kit);
    const { factorId, secret } = await kit.mfa.enrollTotp("alice", { label: "second phone" });
    const result = await kit.mfa.activateFactor(
      "alice",
      factorId,
      totpCode(secret, kit.clock.now),
      { sessionToken },
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.backupCodes).toBeUndefined();
  });

  it("verifies the current code and issues a session", async () => {
    const kit = testKit();
    const { secret, factorId } = await userWithTotp(kit);
    const result = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    expect(result).toMatchObject({
      ok: true,
      session: { acr: "mfa", amr: ["otp", "mfa"], authTime: kit.clock.now },
    });
    expect((await kit.mfa.listFactors("alice")).factors[0]).toMatchObject({
      id: factorId,
      lastUsedAt: kit.clock.now,
    });
  });

  it.each([
    ["one step late", -30_000, true],
    ["one step early", 30_000, true],
    ["two steps late", -60_000, false],
    ["two steps early", 60_000, false],
  ])("with window ±1, a code %s is accepted: %s", async (_label, offset, accepted) => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    kit.tick(60_000);
    const code = totpCode(secret, kit.clock.now + offset);
    expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(accepted);
  });

  it("activates with a first code from a phone 60 s off, which a normal verification refuses", async () => {
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    kit.tick(60_000);
    // The activation window (totp.activationWindow, 10 steps) takes a phone a minute behind ...
    const first = totpCode(secret, kit.clock.now - 60_000);
    expect(await kit.mfa.activateFactor("alice", factorId, first)).toMatchObject({ ok: true });
    // ... while a verification of a factor with no drift history keeps the window of ±1 step.
    const other = await userWithTotp(kit, "bob");
    kit.tick(60_000);
    expect(
      await kit.mfa.verify({ userId: "bob", code: totpCode(other.secret, kit.clock.now - 60_000) }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
  });

  it("remembers the drift an activation found, for that phone's next codes", async () => {
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    const phone = () => kit.clock.now + 150_000;
    expect((await kit.mfa.activateFactor("alice", factorId, totpCode(secret, phone()))).ok).toBe(
      true,
    );
    expect(Object.values(kit.store.dump().factors.alice!)[0]!.drift).toBe("5");
    kit.tick(30_000);
    expect((await kit.mfa.verify({ userId: "alice", code: totpCode(secret, phone()) })).ok).toBe(
      true,
    );
  });

  it("refuses an activation code outside the activation window", async () => {
    const kit = testKit({ totp: { activationWindow: 2 } });
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    kit.tick(120_000);
    expect(
      await kit.mfa.activateFactor("alice", factorId, totpCode(secret, kit.clock.now - 90_000)),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
    expect(
      (await kit.mfa.activateFactor("alice", factorId, totpCode(secret, kit.clock.now - 60_000)))
        .ok,
    ).toBe(true);
  });

  it("never accepts an activation code again, however wide the activation window", async () => {
    // Regression: the replay guard holds for the first code matched in the activation window.
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    kit.tick(60_000);
    const first = totpCode(secret, kit.clock.now - 60_000);
    expect((await kit.mfa.activateFactor("alice", factorId, first)).ok).toBe(true);
    kit.tick(5_000);
    expect(await kit.mfa.verify({ userId: "alice", factorId, code: first })).toMatchObject({
      ok: false,
      reason: "code_reused",
    });
  });

  it("remembers a device's drift (RFC 6238 §6) and follows a clock that keeps drifting", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    const fresh = testKit({ store: memoryStore() });
    const other = await userWithTotp(fresh, "bob");
    // Two steps ahead is outside the window for a factor with no drift history ...
    fresh.tick(60_000);
    expect(
      await fresh.mfa.verify({
        userId: "bob",
        code: totpCode(other.secret, fresh.clock.now + 60_000),
      }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
    // ... but after a success one step ahead, the window is centred one step ahead.
    kit.tick(60_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now + 30_000) }))
        .ok,
    ).toBe(true);
    kit.tick(60_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now + 60_000) }))
        .ok,
    ).toBe(true);
    const record = Object.values(kit.store.dump().factors.alice!)[0]!;
    expect(record.drift).toBe("2");
  });

  it("never accepts the same code twice", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    const code = totpCode(secret, kit.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(true);
    kit.tick(10_000);
    expect(await kit.mfa.verify({ userId: "alice", code })).toMatchObject({
      ok: false,
      reason: "code_reused",
      attemptsLeft: 2,
    });
  });

  it("refuses an older code from the window once a newer one was accepted", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    kit.tick(30_000);
    const older = totpCode(secret, kit.clock.now - 30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) })).ok,
    ).toBe(true);
    expect(await kit.mfa.verify({ userId: "alice", code: older })).toMatchObject({
      reason: "code_reused",
    });
  });

  it("accepts exactly one of 50 concurrent verifications of the same valid code", async () => {
    const kit = testKit({ limits: { maxFailures: 100 } });
    const { secret } = await userWithTotp(kit);
    const code = totpCode(secret, kit.clock.now);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => kit.mfa.verify({ userId: "alice", code })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === "code_reused")).toHaveLength(49);
  });

  it("counts a malformed code as a failed attempt", async () => {
    const kit = testKit();
    await userWithTotp(kit);
    expect(await kit.mfa.verify({ userId: "alice", code: "12ab56" })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("re-seals a secret sealed with an old key under the current key when it is used", async () => {
    const store = memoryStore();
    const before = testKit({ store, encryptionKeys: { current: "k1", keys: { k1: KEYS.k1 } } });
    const { secret, factorId } = await userWithTotp(before);
    expect(store.dump().factors.alice![factorId]!.secret).toMatch(/^v1\.k1\./);

    const rotated = testKit({ store, encryptionKeys: { current: "k2", keys: KEYS } });
    rotated.clock.now = before.clock.now;
    expect(
      (await rotated.mfa.verify({ userId: "alice", code: totpCode(secret, rotated.clock.now) })).ok,
    ).toBe(true);
    expect(store.dump().factors.alice![factorId]!.secret).toMatch(/^v1\.k2\./);

    // The old key can now be retired.
    const retired = testKit({ store, encryptionKeys: { current: "k2", keys: { k2: KEYS.k2 } } });
    retired.clock.now = rotated.clock.now + 30_000;
    expect(
      (await retired.mfa.verify({ userId: "alice", code: totpCode(secret, retired.clock.now) })).ok,
    ).toBe(true);
  });

  it("supports SHA-256 and 8 digits for new factors", async () => {
    const kit = testKit({ totp: { algorithm: "SHA256", digits: 8 } });
    const { factorId, secret, otpauthUri } = await kit.mfa.enrollTotp("alice");
    expect(otpauthUri).toContain("algorithm=SHA256");
    expect(otpauthUri).toContain("digits=8");
    const code = totpCode(secret, T0, { digits: 8, algorithm: "sha256" });
    expect((await kit.mfa.activateFactor("alice", factorId, code)).ok).toBe(true);
  });

  it("answers factor_not_found for an unknown or pending factor, without counting it", async () => {
    const kit = testKit();
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    const code = totpCode(secret, T0);
    expect(await kit.mfa.verify({ userId: "alice", factorId, code })).toEqual({
      ok: false,
      reason: "factor_not_found",
    });
    expect(await kit.mfa.verify({ userId: "alice", factorId: "f_nope", code })).toEqual({
      ok: false,
      reason: "factor_not_found",
    });
    expect(await kit.mfa.verify({ userId: "alice", code })).toEqual({
      ok: false,
      reason: "factor_not_found",
    });
  });

  it("centres the window on the remembered drift, at most 100 steps ahead", async () => {
    for (const [stored, centre] of [
      ["150", 100],
      ["7", 7],
      ["not a number", 0],
    ] as const) {
      const kit = testKit({ limits: { maxFailures: 100 } });
      const { secret, factorId } = await userWithTotp(kit);
      await kit.store.patchFactor("alice", factorId, { drift: stored });
      const at = (steps: number) => totpCode(secret, kit.clock.now + steps * 30_000);
      if (centre !== 0) {
        expect(await kit.mfa.verify({ userId: "alice", code: at(0) })).toMatchObject({
          ok: false,
          reason: "invalid_code",
        });
      }
      expect((await kit.mfa.verify({ userId: "alice", code: at(centre) })).ok).toBe(true);
      // a pass at the centre keeps the drift it used; only a new drift is written
      const after = kit.store.dump().factors.alice![factorId]!.drift;
      expect(after).toBe(stored);
    }
  });
});
