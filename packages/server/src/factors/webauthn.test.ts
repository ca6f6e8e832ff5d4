import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../crypto/node";
import { memoryStore } from "../stores/memory";
import { testKit, userWithTotp } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";

const RP = "example.com";
const ORIGIN = "https://example.com";

async function registered(counter = 0, kitOptions: Parameters<typeof testKit>[0] = {}) {
  const kit = testKit(kitOptions);
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

/** The base64url of a JSON value, as a browser encodes `clientDataJSON`. */
const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("WebAuthn ceremonies in detail", () => {
  it("derives the user handle from the user id alone, the same on every instance", async () => {
    const a = testKit();
    const b = testKit();
    const handle = createHmac("sha256", "mfa-kit/webauthn-user-handle/v1")
      .update("alice")
      .digest("base64url");
    for (const kit of [a, b]) {
      const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as {
        user: { id: string };
      };
      expect(options.user.id).toBe(handle);
    }
  });

  it("names the user by id, or by the user name, unless a display name is given", async () => {
    const kit = testKit();
    type Named = { user: { name: string; displayName: string } };
    const plain = (await kit.mfa.webauthnRegistrationOptions("alice")) as Named;
    expect(plain.user).toMatchObject({ name: "alice", displayName: "alice" });
    const named = (await kit.mfa.webauthnRegistrationOptions("alice", {
      userName: "alice@acme.test",
    })) as Named;
    expect(named.user).toMatchObject({ name: "alice@acme.test", displayName: "alice@acme.test" });
    const shown = (await kit.mfa.webauthnRegistrationOptions("alice", {
      userName: "alice@acme.test",
      userDisplayName: "Alice Liddell",
    })) as Named;
    expect(shown.user).toMatchObject({ name: "alice@acme.test", displayName: "Alice Liddell" });
  });

  it("asks for a discoverable credential if possible, with the configured verification and timeout", async () => {
    const kit = testKit({
      webauthn: {
        rpID: RP,
        origin: ORIGIN,
        userVerification: "required",
        challengeTtlMs: 60_000,
      },
    });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as Record<string, unknown>;
    expect(options).toMatchObject({
      timeout: 60_000,
      attestation: "none",
      authenticatorSelection: { residentKey: "preferred", userVerification: "required" },
      excludeCredentials: [],
    });
  });

  it("keeps the registration challenge for webauthn.challengeTtlMs", async () => {
    const kit = testKit({ webauthn: { rpID: RP, origin: ORIGIN, challengeTtlMs: 60_000 } });
    const key = await softAuthenticator(RP, ORIGIN);
    const late = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    kit.tick(60_000);
    expect(await kit.mfa.verifyWebauthnRegistration("alice", await key.register(late))).toEqual({
      ok: false,
      reason: "code_expired",
    });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    kit.tick(59_999);
    const result = await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options));
    expect(result.ok).toBe(true);
  });

  it("stores what the authenticator reported about the credential", async () => {
    const { kit, key, factorId } = await registered();
    const record = kit.store.dump().factors.alice![factorId]!;
    expect(record).toEqual({
      type: "webauthn",
      status: "active",
      createdAt: String(kit.clock.now),
      label: "YubiKey",
      credentialId: key.credentialId,
      publicKey: key.publicKey,
      counter: "0",
      transports: "usb",
      deviceType: "singleDevice",
      backedUp: "false",
      aaguid: "00000000-0000-0000-0000-000000000000",
    });
  });

  it("excludes the user's keys from a new registration and allows them in a challenge, with their transports", async () => {
    const { kit, key, factorId } = await registered();
    const imported = await softAuthenticator(RP, ORIGIN);
    const { sessionToken } = await freshSession(kit, key, factorId);
    await kit.mfa.importWebauthnCredential("alice", {
      id: imported.credentialId,
      publicKey: imported.publicKey,
    });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as {
      excludeCredentials: unknown[];
    };
    expect(options.excludeCredentials).toEqual([
      { id: key.credentialId, type: "public-key", transports: ["usb"] },
      { id: imported.credentialId, type: "public-key" },
    ]);
    const started = await kit.mfa.startChallenge("alice", factorId);
    if (!started.ok) throw new Error(started.reason);
    expect(started.webauthnOptions).toMatchObject({
      rpId: RP,
      timeout: 300_000,
      userVerification: "preferred",
      allowCredentials: [
        { id: key.credentialId, type: "public-key", transports: ["usb"] },
        { id: imported.credentialId, type: "public-key" },
      ],
    });
    expect(sessionToken).toBeTypeOf("string");
  });

  it("stores the transports a registration reported, and none when it reported none", async () => {
    const kit = testKit();
    const ids: Record<string, string> = {};
    for (const [userId, transports] of [
      ["alice", ["nfc", "usb"]],
      ["bob", []],
    ] as const) {
      const key = await softAuthenticator(RP, ORIGIN);
      const options = (await kit.mfa.webauthnRegistrationOptions(userId)) as { challenge: string };
      const result = await kit.mfa.verifyWebauthnRegistration(
        userId,
        await key.register(options, { transports: [...transports] }),
      );
      if (!result.ok) throw new Error(result.reason);
      ids[userId] = result.factor.id;
    }
    const { factors } = kit.store.dump();
    expect(factors.alice![ids.alice!]!.transports).toBe("nfc,usb");
    expect(factors.bob![ids.bob!]!.transports).toBe("");
    const started = await kit.mfa.startChallenge("bob", ids.bob!);
    if (!started.ok) throw new Error(started.reason);
    const allowed = (started.webauthnOptions as { allowCredentials: object[] }).allowCredentials;
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).not.toHaveProperty("transports");
  });

  it("with userVerification required, refuses a registration or an assertion without it", async () => {
    const kit = testKit({ webauthn: { rpID: RP, origin: ORIGIN, userVerification: "required" } });
    const key = await softAuthenticator(RP, ORIGIN);
    const first = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    expect(
      await kit.mfa.verifyWebauthnRegistration(
        "alice",
        await key.register(first, { userVerified: false }),
      ),
    ).toEqual({ ok: false, reason: "invalid_code" });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const result = await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options));
    if (!result.ok) throw new Error(result.reason);
    const unverified = await key.authenticate(await challenge(kit, result.factor.id), {
      userVerified: false,
    });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: unverified })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
  });

  it("with userVerification preferred, registers a key that did not verify the user", async () => {
    const kit = testKit();
    const key = await softAuthenticator(RP, ORIGIN);
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const result = await kit.mfa.verifyWebauthnRegistration(
      "alice",
      await key.register(options, { userVerified: false }),
    );
    expect(result.ok).toBe(true);
  });

  it("refuses a second factor registered without a fresh MFA session, and keeps no trace of it", async () => {
    const { kit, key, factorId } = await registered();
    const other = await softAuthenticator(RP, ORIGIN);
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    expect(
      await kit.mfa.verifyWebauthnRegistration("alice", await other.register(options)),
    ).toEqual({ ok: false, reason: "mfa_required" });
    expect(Object.keys(kit.store.dump().factors.alice!)).toEqual([factorId]);
    expect((await kit.mfa.listFactors("alice")).factors).toHaveLength(1);
    // with one, it is added
    const { sessionToken } = await freshSession(kit, key, factorId);
    const again = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const added = await kit.mfa.verifyWebauthnRegistration("alice", await other.register(again), {
      sessionToken,
    });
    expect(added).toMatchObject({ ok: true, factor: { type: "webauthn", status: "active" } });
    expect((await kit.mfa.listFactors("alice")).factors).toHaveLength(2);
  });

  it("answers code_expired when the pending credential cannot be activated, and drops it", async () => {
    const store = memoryStore();
    const kit = testKit({
      store: new Proxy(store, {
        get: (target, name, receiver) =>
          name === "activateFactor" ? async () => "expired" : Reflect.get(target, name, receiver),
      }),
    });
    const key = await softAuthenticator(RP, ORIGIN);
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    expect(await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options))).toEqual({
      ok: false,
      reason: "code_expired",
    });
    expect(store.dump().factors.alice ?? {}).toEqual({});
    expect((await kit.mfa.listFactors("alice")).factors).toEqual([]);
  });

  it("draws another factor id when the one drawn is taken", async () => {
    const zeros = new Uint8Array(12);
    let draws = 0;
    const kit = testKit({
      crypto: {
        ...nodeCrypto,
        // The first two 12-byte draws (factor ids) are all zeros.
        randomBytes: (n: number) => (n === 12 && draws++ < 2 ? zeros : nodeCrypto.randomBytes(n)),
      },
    });
    const taken = `f_${Buffer.from(zeros).toString("base64url")}`;
    await kit.store.createFactor("alice", taken, { type: "legacy", status: "disabled" });
    const key = await softAuthenticator(RP, ORIGIN);
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const result = await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options));
    if (!result.ok) throw new Error(result.reason);
    expect(result.factor.id).not.toBe(taken);
    expect(result.factor.id).toMatch(/^f_[\w-]{16}$/);
    expect(kit.store.dump().factors.alice![taken]).toEqual({ type: "legacy", status: "disabled" });
    // and an import, likewise
    const imported = await softAuthenticator(RP, ORIGIN);
    const { sessionToken } = await freshSession(kit, key, result.factor.id);
    expect(sessionToken).toBeTypeOf("string");
    const factor = await kit.mfa.importWebauthnCredential("alice", {
      id: imported.credentialId,
      publicKey: imported.publicKey,
    });
    expect(factor.id).not.toBe(taken);
    expect(kit.store.dump().factors.alice![taken]).toEqual({ type: "legacy", status: "disabled" });
  });

  it("names a synced passkey swk, and records when the key was last used", async () => {
    const { kit, key, factorId } = await registered();
    kit.tick(5_000);
    const assertion = await key.authenticate(await challenge(kit, factorId), { multiDevice: true });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: assertion })).toMatchObject({
      ok: true,
      session: { acr: "phr", amr: ["swk", "user", "mfa"] },
    });
    expect((await kit.mfa.listFactors("alice")).factors[0]?.lastUsedAt).toBe(kit.clock.now);
  });

  it("refuses a counter that went back as an invalid assertion, before the store sees it", async () => {
    const { kit, key, factorId } = await registered(10);
    const cloned = await key.authenticate(await challenge(kit, factorId), { counter: 5 });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: cloned })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("10");
  });

  it("uses up the challenge of an assertion by a credential the user does not have", async () => {
    const { kit, key, factorId } = await registered();
    const options = await challenge(kit, factorId);
    const stranger = await softAuthenticator(RP, ORIGIN);
    expect(
      await kit.mfa.verify({ userId: "alice", webauthn: await stranger.authenticate(options) }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
    expect(
      await kit.mfa.verify({ userId: "alice", webauthn: await key.authenticate(options) }),
    ).toMatchObject({ ok: false, reason: "code_expired" });
  });

  it("reads the challenge of a client data JSON up to 8 192 characters, and no longer one", async () => {
    const { kit, key, factorId } = await registered(0, { limits: { maxFailures: 10 } });
    // Client data JSON of `length` base64url characters (or a little less), naming a challenge.
    const garbage = (length: number, challengeValue: unknown) => {
      let padding = "";
      let clientDataJSON = b64json({ challenge: challengeValue, padding });
      while (clientDataJSON.length < length) {
        const next = b64json({ challenge: challengeValue, padding: `${padding}p` });
        if (next.length > length) break;
        padding += "p";
        clientDataJSON = next;
      }
      return { id: "x", response: { clientDataJSON } };
    };
    const long = await challenge(kit, factorId);
    const tooLong = garbage(8194, long.challenge);
    expect((tooLong.response.clientDataJSON as string).length).toBeGreaterThan(8192);
    expect(await kit.mfa.verify({ userId: "alice", webauthn: tooLong })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
    // unread: the challenge is still there
    expect(
      await kit.mfa.verify({ userId: "alice", webauthn: await key.authenticate(long) }),
    ).toMatchObject({ ok: true });

    const fits = await challenge(kit, factorId);
    const read = garbage(8192, fits.challenge);
    expect((read.response.clientDataJSON as string).length).toBe(8192);
    await kit.mfa.verify({ userId: "alice", webauthn: read });
    expect(
      await kit.mfa.verify({ userId: "alice", webauthn: await key.authenticate(fits) }),
    ).toMatchObject({ ok: false, reason: "code_expired" });

    // a challenge that is not a string is no challenge
    const listed = await challenge(kit, factorId);
    await kit.mfa.verify({ userId: "alice", webauthn: garbage(100, [listed.challenge]) });
    expect(
      (await kit.mfa.verify({ userId: "alice", webauthn: await key.authenticate(listed) })).ok,
    ).toBe(true);
  });

  it("accepts an app's challenge of 22 to 256 base64url characters", async () => {
    const { kit, key } = await registered();
    for (const length of [22, 256]) {
      const appChallenge = "c".repeat(length);
      await kit.mfa.expectWebauthnChallenge("alice", appChallenge);
      const assertion = await key.authenticate({ challenge: appChallenge });
      expect((await kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
    }
    for (const bad of [
      "c".repeat(21),
      "c".repeat(257),
      `!${"c".repeat(30)}`,
      `${"c".repeat(30)}!`,
      ["c".repeat(43)],
    ]) {
      await expect(kit.mfa.expectWebauthnChallenge("alice", bad as never)).rejects.toThrow(
        new TypeError(
          "expectWebauthnChallenge: `challenge` must be base64url of at least 16 random bytes (22 to 256 characters).",
        ),
      );
    }
  });

  it("keeps an app's challenge for webauthn.challengeTtlMs, for that user", async () => {
    const { kit, key } = await registered();
    const appChallenge = "d".repeat(43);
    await kit.mfa.expectWebauthnChallenge("alice", appChallenge);
    expect(kit.store.dump().challenges).toHaveProperty(`alice\nwebauthn:${appChallenge}`, "1");
    kit.tick(299_999);
    const assertion = await key.authenticate({ challenge: appChallenge });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
  });

  it("refuses a credential whose stored public key is not readable, as a failed attempt", async () => {
    const { kit, key, factorId } = await registered();
    await kit.store.patchFactor("alice", factorId, { publicKey: "!!" });
    const assertion = await key.authenticate(await challenge(kit, factorId));
    expect(await kit.mfa.verify({ userId: "alice", webauthn: assertion })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });
});

describe("WebAuthn credentials among other factors", () => {
  it("lists only active security keys in the options, not other factors or a pending key", async () => {
    const kit = testKit();
    const { sessionToken } = await userWithTotp(kit);
    await kit.store.createFactor("alice", "f_pendingkey", {
      type: "webauthn",
      status: "pending",
      pendingUntil: String(kit.clock.now + 60_000),
      credentialId: "pending-credential-id",
    });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as {
      challenge: string;
      excludeCredentials: unknown[];
    };
    expect(options.excludeCredentials).toEqual([]);
    const key = await softAuthenticator(RP, ORIGIN);
    const result = await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options), {
      sessionToken,
    });
    if (!result.ok) throw new Error(result.reason);
    const started = await kit.mfa.startChallenge("alice", result.factor.id);
    if (!started.ok) throw new Error(started.reason);
    expect(
      (started.webauthnOptions as { allowCredentials: { id: string }[] }).allowCredentials,
    ).toEqual([{ id: key.credentialId, type: "public-key", transports: ["usb"] }]);
  });

  it("verifies an assertion against the credential it names, among several", async () => {
    const { kit, key, factorId } = await registered();
    const second = await softAuthenticator(RP, ORIGIN);
    const { sessionToken } = await freshSession(kit, key, factorId);
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const added = await kit.mfa.verifyWebauthnRegistration(
      "alice",
      await second.register(options),
      {
        sessionToken,
      },
    );
    if (!added.ok) throw new Error(added.reason);
    const assertion = await second.authenticate(await challenge(kit, factorId));
    kit.tick(1_000);
    expect((await kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
    expect(kit.store.dump().factors.alice![added.factor.id]!.lastUsedAt).toBe(
      String(kit.clock.now),
    );
  });

  it("refuses an assertion of a known credential with unreadable client data as a wrong one", async () => {
    const { kit, key, factorId } = await registered(0, { limits: { maxFailures: 10 } });
    await challenge(kit, factorId);
    expect(
      await kit.mfa.verify({
        userId: "alice",
        webauthn: { id: key.credentialId, response: { clientDataJSON: "!!" } },
      }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
    expect(
      await kit.mfa.verify({ userId: "alice", webauthn: { id: key.credentialId } }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
    expect(
      await kit.mfa.verify({
        userId: "alice",
        webauthn: { id: key.credentialId, response: { clientDataJSON: 5 } },
      }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
  });

  it("starts counting when a key without a counter sends one", async () => {
    const { kit, key, factorId } = await registered(0);
    const counted = await key.authenticate(await challenge(kit, factorId), { counter: 5 });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: counted })).ok).toBe(true);
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("5");
    const replayed = await key.authenticate(await challenge(kit, factorId), { counter: 5 });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: replayed })).ok).toBe(false);
  });

  it("keeps the ceremonies' challenges under names of their own", async () => {
    const kit = testKit();
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    expect(kit.store.dump().challenges).toEqual({
      "alice\nwebauthn-registration": options.challenge,
    });
    const key = await softAuthenticator(RP, ORIGIN);
    const result = await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options));
    if (!result.ok) throw new Error(result.reason);
    const started = await challenge(kit, result.factor.id);
    expect(kit.store.dump().challenges).toEqual({
      [`alice\nwebauthn:${started.challenge}`]: "1",
    });
  });

  it("refuses an import whose id is not a string", async () => {
    const kit = testKit();
    const key = await softAuthenticator(RP, ORIGIN);
    await expect(
      kit.mfa.importWebauthnCredential("alice", {
        id: ["A".repeat(22)] as never,
        publicKey: key.publicKey,
      }),
    ).rejects.toThrow(
      new TypeError("importWebauthnCredential: `id` must be the base64url credential id."),
    );
  });
});

/** A fresh MFA session of alice from her key, to add another factor with. */
async function freshSession(
  kit: Awaited<ReturnType<typeof registered>>["kit"],
  key: Awaited<ReturnType<typeof softAuthenticator>>,
  factorId: string,
) {
  const result = await kit.mfa.verify({
    userId: "alice",
    webauthn: await key.authenticate(await challenge(kit, factorId)),
  });
  if (!result.ok) throw new Error(result.reason);
  return { sessionToken: result.session.token };
}
