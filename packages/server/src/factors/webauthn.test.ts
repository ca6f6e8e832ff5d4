import { describe, expect, it } from "vitest";
import { testKit } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";

const RP = "example.com";
const ORIGIN = "https://example.com";

async function registered(counter = 0) {
  const kit = testKit();
  const key = await softAuthenticator(RP, ORIGIN, { counter });
  const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
  const result = await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options), {
    label: "YubiKey",
  });
  if (!result.ok) throw new Error(`registration failed: ${result.reason}`);
  return { kit, key, factorId: result.factor.id, backupCodes: result.backupCodes };
}

async function challenge(kit: Awaited<ReturnType<typeof registered>>["kit"], factorId: string) {
  const started = await kit.mfa.startChallenge("alice", factorId);
  if (!started.ok || !started.webauthnOptions) throw new Error("no WebAuthn options");
  return started.webauthnOptions as { challenge: string; allowCredentials: { id: string }[] };
}

describe("WebAuthn factors (software authenticator: P-256, attestation none)", () => {
  it("generates registration options with an opaque user handle and the RP", async () => {
    const kit = testKit();
    const options = (await kit.mfa.webauthnRegistrationOptions("alice", {
      userName: "alice@acme.test",
    })) as {
      rp: { id: string; name: string };
      user: { id: string; name: string };
      challenge: string;
      attestation: string;
    };
    expect(options.rp).toEqual({ id: RP, name: "Acme" });
    expect(options.user.name).toBe("alice@acme.test");
    expect(options.user.id).not.toContain("alice");
    expect(options.challenge.length).toBeGreaterThanOrEqual(43);
    expect(options.attestation).toBe("none");
  });

  it("registers a credential as an active factor, with backup codes for a first factor", async () => {
    const { kit, factorId, backupCodes, key } = await registered();
    expect(backupCodes).toHaveLength(10);
    const { factors } = await kit.mfa.listFactors("alice");
    expect(factors).toMatchObject([
      { id: factorId, type: "webauthn", status: "active", label: "YubiKey" },
    ]);
    expect(kit.store.dump().factors.alice![factorId]!.credentialId).toBe(key.credentialId);
  });

  it("refuses a registration answered for another origin, or without a pending challenge", async () => {
    const kit = testKit();
    const key = await softAuthenticator(RP, "https://evil.example");
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const response = await key.register(options);
    expect(await kit.mfa.verifyWebauthnRegistration("alice", response)).toEqual({
      ok: false,
      reason: "invalid_code",
    });
    // The challenge was single-use: replaying the ceremony finds none.
    expect(await kit.mfa.verifyWebauthnRegistration("alice", response)).toEqual({
      ok: false,
      reason: "code_expired",
    });
  });

  it("verifies an assertion and issues a phishing-resistant session", async () => {
    const { kit, key, factorId } = await registered();
    const options = await challenge(kit, factorId);
    expect(options.allowCredentials.map((c) => c.id)).toEqual([key.credentialId]);
    const result = await kit.mfa.verify({
      userId: "alice",
      webauthn: await key.authenticate(options),
    });
    expect(result).toMatchObject({
      ok: true,
      session: { acr: "phr", amr: ["hwk", "user", "mfa"] },
    });
  });

  it("accepts each challenge once", async () => {
    const { kit, key, factorId } = await registered();
    const assertion = await key.authenticate(await challenge(kit, factorId));
    expect((await kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
    expect(await kit.mfa.verify({ userId: "alice", webauthn: assertion })).toMatchObject({
      ok: false,
      reason: "code_expired",
    });
  });

  it("refuses an assertion made for another origin and counts the failure", async () => {
    const { kit, key, factorId } = await registered();
    const assertion = await key.authenticate(await challenge(kit, factorId), {
      origin: "https://evil.example",
    });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: assertion })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("refuses an assertion whose signature counter went backwards (a cloned key)", async () => {
    const { kit, key, factorId } = await registered(10);
    const ok = await kit.mfa.verify({
      userId: "alice",
      webauthn: await key.authenticate(await challenge(kit, factorId)),
    });
    expect(ok.ok).toBe(true);
    const cloned = await key.authenticate(await challenge(kit, factorId), { counter: 5 });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: cloned })).ok).toBe(false);
  });

  it("refuses garbage in place of an assertion as a failed attempt", async () => {
    const { kit } = await registered();
    expect(
      await kit.mfa.verify({
        userId: "alice",
        webauthn: { id: "x", response: { clientDataJSON: "!!" } },
      }),
    ).toMatchObject({ ok: false, reason: "invalid_code", attemptsLeft: 2 });
  });

  it('names the methods: no user verification, no "user" in amr', async () => {
    const { kit, key, factorId } = await registered();
    const assertion = await key.authenticate(await challenge(kit, factorId), {
      userVerified: false,
    });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: assertion })).toMatchObject({
      ok: true,
      session: { acr: "phr", amr: ["hwk", "mfa"] },
    });
  });

  it("accepts every assertion of a key without a counter, and moves a counter that counts", async () => {
    const plain = await registered(0);
    for (let i = 0; i < 2; i++) {
      const assertion = await plain.key.authenticate(await challenge(plain.kit, plain.factorId));
      expect((await plain.kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
    }
    expect(plain.kit.store.dump().factors.alice![plain.factorId]!.counter).toBe("0");

    const counting = await registered(10);
    const first = await counting.key.authenticate(await challenge(counting.kit, counting.factorId));
    expect((await counting.kit.mfa.verify({ userId: "alice", webauthn: first })).ok).toBe(true);
    expect(counting.kit.store.dump().factors.alice![counting.factorId]!.counter).toBe("11");
    // the same counter again is a replay
    const same = await counting.key.authenticate(await challenge(counting.kit, counting.factorId), {
      counter: 11,
    });
    expect((await counting.kit.mfa.verify({ userId: "alice", webauthn: same })).ok).toBe(false);
  });

  it('names a key registered without a label "Security key", and keeps 128 characters of one', async () => {
    const kit = testKit();
    const labels: (string | undefined)[] = [];
    for (const [userId, label] of [
      ["alice", undefined],
      ["bob", "k".repeat(300)],
    ] as const) {
      const key = await softAuthenticator(RP, ORIGIN);
      const options = (await kit.mfa.webauthnRegistrationOptions(userId)) as {
        challenge: string;
      };
      const result = await kit.mfa.verifyWebauthnRegistration(
        userId,
        await key.register(options),
        label === undefined ? {} : { label },
      );
      expect(result.ok).toBe(true);
      labels.push((await kit.mfa.listFactors(userId)).factors[0]?.label);
    }
    expect(labels).toEqual(["Security key", "k".repeat(128)]);
  });

  it("flags a security key for re-registration after two years", async () => {
    const { kit, factorId } = await registered();
    const twoYears = 730 * 86_400_000;
    expect((await kit.mfa.listFactors("alice")).factors[0]).toMatchObject({
      id: factorId,
      reRegister: false,
      reRegisterAt: kit.clock.now + twoYears,
    });
    kit.tick(twoYears - 1);
    expect((await kit.mfa.listFactors("alice")).factors[0]?.reRegister).toBe(false);
    kit.tick(1);
    expect((await kit.mfa.listFactors("alice")).factors[0]?.reRegister).toBe(true);
  });

  it("explains that WebAuthn needs the webauthn option", async () => {
    const kit = testKit({ webauthn: undefined as never });
    expect(kit.mfa.supports("webauthn")).toBe(false);
    await expect(kit.mfa.webauthnRegistrationOptions("alice")).rejects.toThrow(/webauthn/);
  });
});
