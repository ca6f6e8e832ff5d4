import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../crypto/node";
import type { OtpMessage } from "../options";
import { KEYS, T0, testKit, userWithTotp, wrong } from "../testing/fixtures";
import { maskContact, normalizeContact } from "./contactCodes";

async function userWithSms(overrides: Parameters<typeof testKit>[0] = {}) {
  const kit = testKit(overrides);
  const enrolled = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+1 555 123 4567" });
  if (!enrolled.ok) throw new Error(enrolled.reason);
  const activation = kit.sent.at(-1)!;
  expect((await kit.mfa.activateFactor("alice", enrolled.factorId, activation.code)).ok).toBe(true);
  kit.tick(60_000);
  return { kit, factorId: enrolled.factorId };
}

describe("SMS and e-mail codes", () => {
  it("sends an activation code when a phone number is enrolled, and shows it masked", async () => {
    const kit = testKit();
    const enrolled = await kit.mfa.enrollContact("alice", {
      channel: "sms",
      to: "+1 (555) 123-4567",
    });
    expect(enrolled).toMatchObject({ ok: true, expiresAt: T0 + 600_000 });
    expect(kit.sent).toEqual([
      expect.objectContaining({
        channel: "sms",
        to: "+15551234567",
        code: expect.stringMatching(/^\d{6}$/),
        userId: "alice",
        issuer: "Acme",
      }),
    ]);
    const { factors } = await kit.mfa.listFactors("alice");
    expect(factors[0]).toMatchObject({ type: "sms", status: "pending", hint: "+1 ••• ••• 4567" });
  });

  it("refuses an address that is not a phone number or e-mail address", async () => {
    const kit = testKit();
    expect(await kit.mfa.enrollContact("alice", { channel: "sms", to: "555-1234" })).toEqual({
      ok: false,
      reason: "invalid_request",
    });
    expect(
      await kit.mfa.enrollContact("alice", { channel: "email", to: "a@b\r\nBcc: x@y.z" }),
    ).toEqual({ ok: false, reason: "invalid_request" });
    expect(kit.sent).toHaveLength(0);
  });

  it("verifies a code sent by a challenge, once", async () => {
    const { kit, factorId } = await userWithSms();
    const challenge = await kit.mfa.startChallenge("alice", factorId);
    expect(challenge).toMatchObject({ ok: true, expiresAt: kit.clock.now + 600_000 });
    const code = kit.sent.at(-1)!.code;
    const challengeId = challenge.ok ? challenge.challengeId : "";
    const first = await kit.mfa.verify({ userId: "alice", challengeId, code });
    expect(first).toMatchObject({ ok: true, session: { amr: ["sms", "mfa"] } });
    expect(await kit.mfa.verify({ userId: "alice", challengeId, code })).toMatchObject({
      ok: false,
      reason: "code_reused",
    });
  });

  it("keeps a code usable after a wrong guess", async () => {
    const { kit, factorId } = await userWithSms();
    await kit.mfa.startChallenge("alice", factorId);
    const code = kit.sent.at(-1)!.code;
    expect(await kit.mfa.verify({ userId: "alice", factorId, code: wrong(code) })).toMatchObject({
      reason: "invalid_code",
      attemptsLeft: 2,
    });
    expect((await kit.mfa.verify({ userId: "alice", factorId, code })).ok).toBe(true);
  });

  it("expires a code after 10 minutes", async () => {
    const { kit, factorId } = await userWithSms();
    await kit.mfa.startChallenge("alice", factorId);
    const code = kit.sent.at(-1)!.code;
    kit.tick(600_000);
    expect(await kit.mfa.verify({ userId: "alice", factorId, code })).toMatchObject({
      ok: false,
      reason: "code_expired",
    });
  });

  it("voids the previous code when a new challenge starts", async () => {
    const { kit, factorId } = await userWithSms();
    const first = await kit.mfa.startChallenge("alice", factorId);
    const oldCode = kit.sent.at(-1)!.code;
    kit.tick(60_000);
    await kit.mfa.startChallenge("alice", factorId);
    const newCode = kit.sent.at(-1)!.code;
    const oldChallenge = first.ok ? first.challengeId : "";
    expect(
      await kit.mfa.verify({ userId: "alice", challengeId: oldChallenge, code: oldCode }),
    ).toMatchObject({ ok: false, reason: "code_expired" });
    if (oldCode !== newCode) {
      expect(await kit.mfa.verify({ userId: "alice", factorId, code: oldCode })).toMatchObject({
        ok: false,
        reason: "invalid_code",
      });
    }
    expect((await kit.mfa.verify({ userId: "alice", factorId, code: newCode })).ok).toBe(true);
  });

  it("sends at most one code per factor every 60 seconds", async () => {
    const { kit, factorId } = await userWithSms();
    expect((await kit.mfa.startChallenge("alice", factorId)).ok).toBe(true);
    kit.tick(10_000);
    expect(await kit.mfa.startChallenge("alice", factorId)).toEqual({
      ok: false,
      reason: "rate_limited",
      retryAfterMs: 50_000,
    });
    kit.tick(50_000);
    expect((await kit.mfa.startChallenge("alice", factorId)).ok).toBe(true);
  });

  // Regression (SMS pumping): a caller with the primary login could have a code sent every
  // 30 seconds, forever, 120 messages an hour per factor at the app's expense.
  it("sends at most otp.maxSendsPerHour codes to a factor per hour, nothing beyond", async () => {
    const { kit, factorId } = await userWithSms();
    const before = kit.sent.length; // the activation code, sent at T0
    const answers = [];
    for (let i = 0; i < 60; i++) {
      answers.push(await kit.mfa.startChallenge("alice", factorId));
      kit.tick(60_000);
    }
    // One hour of asking every minute: 4 more codes (5 in the hour with the activation's).
    const sent = kit.sent.length - before;
    expect(answers.filter((a) => a.ok)).toHaveLength(sent);
    expect(sent).toBeLessThanOrEqual(5);
    expect(answers.find((a) => !a.ok)).toMatchObject({
      ok: false,
      reason: "rate_limited",
      retryAfterMs: expect.any(Number),
    });
    // In any hour (sent times are expiresAt - ttl), at most 5 codes.
    const times = kit.sent.filter((m) => m.factorId === factorId).map((m) => m.expiresAt);
    for (const t of times) {
      expect(times.filter((u) => u >= t && u < t + 3_600_000).length).toBeLessThanOrEqual(5);
    }
  });

  it("reports a failed delivery as a result", async () => {
    const kit = testKit({
      otp: {
        send: () => {
          throw new Error("provider down");
        },
      },
    });
    expect(
      await kit.mfa.enrollContact("alice", { channel: "email", to: "alice@acme.test" }),
    ).toMatchObject({
      ok: false,
      reason: "delivery_failed",
      factorId: expect.any(String),
    });
  });

  it("sends no code while the user is locked out", async () => {
    const { kit, factorId } = await userWithSms();
    for (let i = 0; i < 3; i++) await kit.mfa.verify({ userId: "alice", factorId, code: "000000" });
    const sent = kit.sent.length;
    expect(await kit.mfa.startChallenge("alice", factorId)).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 30_000,
    });
    expect(kit.sent).toHaveLength(sent);
  });

  it("sends e-mail codes and records them as one-time passwords", async () => {
    const kit = testKit();
    const enrolled = await kit.mfa.enrollContact("alice", {
      channel: "email",
      to: "alice@acme.test",
    });
    const factorId = enrolled.ok ? enrolled.factorId : "";
    await kit.mfa.activateFactor("alice", factorId, kit.sent.at(-1)!.code);
    kit.tick(60_000);
    await kit.mfa.startChallenge("alice", factorId);
    const result = await kit.mfa.verify({ userId: "alice", factorId, code: kit.sent.at(-1)!.code });
    expect(result).toMatchObject({ ok: true, session: { amr: ["otp", "mfa"] } });
    expect((await kit.mfa.listFactors("alice")).factors[0]?.hint).toBe("a•••@acme.test");
  });

  it("stores only a keyed hash of the code and a sealed contact", async () => {
    const { kit, factorId } = await userWithSms();
    await kit.mfa.startChallenge("alice", factorId);
    const dump = JSON.stringify(kit.store.dump());
    expect(dump).not.toContain(kit.sent.at(-1)!.code);
    expect(dump).not.toContain("5551234567");
  });
});

describe("normalizeContact and maskContact", () => {
  it("normalise phone numbers to E.164 and check e-mail addresses", () => {
    expect(normalizeContact("sms", "+44 20 7946 0958")).toBe("+442079460958");
    expect(normalizeContact("sms", "020 7946 0958")).toBeNull();
    expect(normalizeContact("email", " Alice@Example.com ")).toBe("Alice@Example.com");
    expect(normalizeContact("email", "not-an-address")).toBeNull();
    expect(normalizeContact("email", `${"a".repeat(250)}@x.io`)).toBeNull();
  });

  it("mask all but the country prefix and last digits, or the first letter and domain", () => {
    expect(maskContact("sms", "+442079460958")).toBe("+4 ••• ••• 0958");
    expect(maskContact("email", "bob@example.com")).toBe("b•••@example.com");
  });

  it("take phone numbers of 7 to 15 digits after the country code's +, and nothing else", () => {
    expect(normalizeContact("sms", "+1234567")).toBe("+1234567");
    expect(normalizeContact("sms", "+123456")).toBeNull();
    expect(normalizeContact("sms", "+123456789012345")).toBe("+123456789012345");
    expect(normalizeContact("sms", "+1234567890123456")).toBeNull();
    expect(normalizeContact("sms", "+0234567890")).toBeNull();
    expect(normalizeContact("sms", "(+1) 555.123-4567")).toBe("+15551234567");
    expect(normalizeContact("sms", "+1 555 123 4567 x")).toBeNull();
    expect(normalizeContact("sms", 15551234567)).toBeNull();
    expect(normalizeContact("email", 5)).toBeNull();
    expect(normalizeContact("push" as never, "+15551234567")).toBeNull();
  });

  it("take e-mail addresses of up to 254 characters, with a dotted domain", () => {
    const local = "a".repeat(64);
    const label = "b".repeat(61);
    // 64 + 1 + 61 * 3 + 3 dots + 3 = 254
    const longest = `${local}@${label}.${label}.${label}.com`;
    expect(longest).toHaveLength(254);
    expect(normalizeContact("email", longest)).toBe(longest);
    expect(normalizeContact("email", `${longest}x`)).toBeNull();
    expect(normalizeContact("email", `${"a".repeat(65)}@example.com`)).toBeNull();
    expect(normalizeContact("email", "alice@localhost")).toBeNull();
    expect(normalizeContact("email", "alice@-acme.test")).toBeNull();
    expect(normalizeContact("email", "alice@acme-.test")).toBeNull();
    expect(normalizeContact("email", "al ice@acme.test")).toBeNull();
    expect(normalizeContact("email", "a@b.co")).toBe("a@b.co");
  });
});

describe("the codes sent", () => {
  it("draw each digit from a byte below 250, so that no digit is likelier than another", async () => {
    // 250..255 would make 0..5 likelier: they are skipped, not reduced modulo 10.
    const bytes = [255, 249, 7, 250, 18, 123, 4, 99];
    const crypto = {
      ...nodeCrypto,
      randomBytes: (length: number) => Uint8Array.from({ length }, (_, i) => bytes[i % 8]!),
    };
    const kit = testKit({ crypto });
    const { ok } = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    expect(ok).toBe(true);
    // 255 and 250 skipped: 249 → 9, 7 → 7, 18 → 8, 123 → 3, 4 → 4, 99 → 9
    expect(kit.sent.at(-1)!.code).toBe("978349");
  });
});

describe("sending and checking contact codes in detail", () => {
  it("hands the provider the channel, contact, code, user, factor, expiry and issuer", async () => {
    const kit = testKit({ otp: { send: (m) => void kit.sent.push(m), ttlMs: 120_000 } });
    const enrolled = await kit.mfa.enrollContact("alice", { channel: "email", to: " a@b.co " });
    if (!enrolled.ok) throw new Error(enrolled.reason);
    expect(enrolled.challengeId.startsWith(`${enrolled.factorId}.`)).toBe(true);
    expect(enrolled.challengeId.slice(enrolled.factorId.length + 1)).toMatch(/^[\w-]{16}$/);
    expect(kit.sent).toEqual([
      {
        channel: "email",
        to: "a@b.co",
        code: expect.stringMatching(/^\d{6}$/),
        userId: "alice",
        factorId: enrolled.factorId,
        expiresAt: T0 + 120_000,
        issuer: "Acme",
      },
    ]);
    expect(enrolled.expiresAt).toBe(T0 + 120_000);
  });

  it("sends codes of otp.digits digits", async () => {
    const kit = testKit({ otp: { send: (m) => void kit.sent.push(m), digits: 8 } });
    const enrolled = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    if (!enrolled.ok) throw new Error(enrolled.reason);
    const { code } = kit.sent.at(-1)!;
    expect(code).toMatch(/^\d{8}$/);
    expect((await kit.mfa.activateFactor("alice", enrolled.factorId, code)).ok).toBe(true);
  });

  it("keeps asking for random bytes until it has every digit", async () => {
    // Each draw of 16 bytes (for 8 digits) holds one usable byte: eight draws for eight digits.
    let draws = 0;
    const crypto = {
      ...nodeCrypto,
      randomBytes: (length: number) =>
        length === 16
          ? Uint8Array.from({ length }, (_, i) => (i === 0 ? 10 + draws++ : 255))
          : nodeCrypto.randomBytes(length),
    };
    const kit = testKit({ crypto, otp: { send: (m) => void kit.sent.push(m), digits: 8 } });
    await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    expect(kit.sent.at(-1)!.code).toBe("01234567");
  });

  it("waits otp.resendAfterMs after a failed delivery", async () => {
    const kit = testKit({
      otp: {
        resendAfterMs: 45_000,
        send: () => {
          throw new Error("provider down");
        },
      },
    });
    expect(
      await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" }),
    ).toMatchObject({ ok: false, reason: "delivery_failed", retryAfterMs: 45_000 });
  });

  it("keeps a sent code in the store for twice its lifetime", async () => {
    const kit = testKit();
    const enrolled = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    if (!enrolled.ok) throw new Error(enrolled.reason);
    expect(Object.values(kit.store.dump().codes)).toEqual([
      {
        challengeId: enrolled.challengeId,
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        expiresAt: T0 + 600_000,
        used: false,
      },
    ]);
    kit.tick(1_199_999);
    expect(Object.values(kit.store.dump().codes)).toHaveLength(1);
  });

  it("explains that contact factors need otp.send", async () => {
    const kit = testKit({ otp: {} });
    await expect(
      kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" }),
    ).rejects.toThrow(
      new TypeError("createMfaServer: `otp.send` is required to send SMS / e-mail codes."),
    );
  });

  it("refuses a challenge id of another factor: expired when it names the factor, else wrong", async () => {
    const { kit, factorId } = await userWithSms({ limits: { maxFailures: 10 } });
    await kit.mfa.startChallenge("alice", factorId);
    const { code } = kit.sent.at(-1)!;
    expect(
      await kit.mfa.verify({ userId: "alice", factorId, challengeId: "f_other.x", code }),
    ).toMatchObject({ ok: false, reason: "code_expired" });
    const started = await kit.mfa.startChallenge("alice", factorId);
    expect(started.ok).toBe(false); // rate limited: the code above is still the live one
    expect((await kit.mfa.verify({ userId: "alice", factorId, code })).ok).toBe(true);
  });

  it("refuses a challenge id of no factor as a wrong code when the user has several", async () => {
    const kit = testKit();
    const { sessionToken } = await userWithTotp(kit);
    const enrolled = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    if (!enrolled.ok) throw new Error(enrolled.reason);
    const activation = kit.sent.at(-1)!.code;
    const activated = await kit.mfa.activateFactor("alice", enrolled.factorId, activation, {
      sessionToken,
    });
    expect(activated.ok).toBe(true);
    kit.tick(60_000);
    await kit.mfa.startChallenge("alice", enrolled.factorId);
    const { code } = kit.sent.at(-1)!;
    expect(await kit.mfa.verify({ userId: "alice", challengeId: "nodot", code })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
    expect((await kit.mfa.verify({ userId: "alice", factorId: enrolled.factorId, code })).ok).toBe(
      true,
    );
  });

  it("records when the factor was last used", async () => {
    const { kit, factorId } = await userWithSms();
    await kit.mfa.startChallenge("alice", factorId);
    kit.tick(5_000);
    await kit.mfa.verify({ userId: "alice", factorId, code: kit.sent.at(-1)!.code });
    expect((await kit.mfa.listFactors("alice")).factors[0]?.lastUsedAt).toBe(kit.clock.now);
  });
});

describe("contacts sealed under an old key", () => {
  /** Alice's SMS factor sealed under k2, and a kit on the same store and clock whose current key is k1. */
  async function smsUnderK2(keys: Record<string, string> = KEYS) {
    const { kit: old, factorId } = await userWithSms({
      encryptionKeys: { current: "k2", keys: KEYS },
    });
    const sent: OtpMessage[] = [];
    const kit = testKit({
      store: old.store,
      now: () => old.clock.now,
      encryptionKeys: { current: "k1", keys },
      otp: { send: (m) => void sent.push(m) },
    });
    return { old, kit, factorId, sent };
  }

  it("are opened to send a code, then sealed again under the current key", async () => {
    const { old, kit, factorId, sent } = await smsUnderK2();
    expect(old.store.dump().factors.alice![factorId]!.to).toMatch(/^v1\.k2\./);
    const started = await kit.mfa.startChallenge("alice", factorId);
    if (!started.ok) throw new Error(started.reason);
    expect(sent.at(-1)).toMatchObject({ to: "+15551234567" });
    expect(old.store.dump().factors.alice![factorId]!.to).toMatch(/^v1\.k1\./);
    // the code is hashed under the key the contact is now sealed with
    expect(
      await kit.mfa.verify({
        userId: "alice",
        challengeId: started.challengeId,
        code: sent.at(-1)!.code,
      }),
    ).toMatchObject({ ok: true });
  });

  it("refuse to send when no key of the ring opens them, naming the factor", async () => {
    const { kit, factorId, sent } = await smsUnderK2({ k1: KEYS.k1 });
    await expect(kit.mfa.startChallenge("alice", factorId)).rejects.toThrow(
      new Error(`The contact of factor ${factorId} cannot be opened with any key.`),
    );
    expect(sent).toEqual([]);
  });

  it("refuse a code when the contact's key left the ring", async () => {
    const { old, factorId } = await smsUnderK2();
    await old.mfa.startChallenge("alice", factorId);
    const code = old.sent.at(-1)!.code;
    const kit = testKit({
      store: old.store,
      now: () => old.clock.now,
      encryptionKeys: { current: "k1", keys: { k1: KEYS.k1 } },
    });
    expect(await kit.mfa.verify({ userId: "alice", factorId, code })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
    expect((await old.mfa.verify({ userId: "alice", factorId, code })).ok).toBe(true);
  });
});

describe("contact codes, more closely", () => {
  it("keeps a code usable until the last millisecond of otp.ttlMs", async () => {
    const { kit, factorId } = await userWithSms();
    await kit.mfa.startChallenge("alice", factorId);
    kit.tick(599_999);
    expect(
      await kit.mfa.verify({ userId: "alice", factorId, code: kit.sent.at(-1)!.code }),
    ).toMatchObject({ ok: true, session: { acr: "mfa", amr: ["sms", "mfa"] } });
  });

  it("leaves a contact sealed under the current key as it is", async () => {
    const { kit, factorId } = await userWithSms();
    const before = kit.store.dump().factors.alice![factorId]!.to;
    await kit.mfa.startChallenge("alice", factorId);
    expect(kit.store.dump().factors.alice![factorId]!.to).toBe(before);
  });

  it("checks a code under the key its contact is sealed with, not the current one", async () => {
    const { kit: old, factorId } = await userWithSms({
      encryptionKeys: { current: "k2", keys: KEYS },
    });
    await old.mfa.startChallenge("alice", factorId);
    const kit = testKit({
      store: old.store,
      now: () => old.clock.now,
      encryptionKeys: { current: "k1", keys: KEYS },
    });
    const code = old.sent.at(-1)!.code;
    expect((await kit.mfa.verify({ userId: "alice", factorId, code })).ok).toBe(true);
  });

  it("counts a malformed code as a wrong one", async () => {
    const { kit, factorId } = await userWithSms();
    await kit.mfa.startChallenge("alice", factorId);
    expect(await kit.mfa.verify({ userId: "alice", factorId, code: "12a456" })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("takes a phone number only as a whole, and no other channel", () => {
    expect(normalizeContact("sms", "1+15551234567")).toBeNull();
    expect(normalizeContact("sms", "+15551234567x")).toBeNull();
    expect(normalizeContact("fax" as never, "a@b.co")).toBeNull();
    expect(normalizeContact("fax" as never, "+15551234567")).toBeNull();
    expect(normalizeContact("email", "a@b.co!")).toBeNull();
    expect(normalizeContact("email", "a@b.c-")).toBeNull();
  });
});
