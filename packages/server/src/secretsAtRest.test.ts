import { describe, expect, it } from "vitest";
import { fromBase32, toBase64Url, toHex } from "./crypto/encoding";
import { normalizeBackupCode } from "./factors/backupCodes";
import { hotpCode, testKit, totpCode, userWithTotp } from "./testing/fixtures";
import { softAuthenticator } from "./testing/softAuthenticator";

describe("what the store holds", () => {
  it("never includes a plaintext secret, code, token, contact or device id", async () => {
    const kit = testKit();
    const needles: string[] = [];
    const context = { deviceId: "device-cookie-8f3a91", country: "DE", userAgent: "UA" };

    // TOTP: the secret in every encoding it could leak in, and every code used.
    const totp = await userWithTotp(kit);
    const raw = fromBase32(totp.secret)!;
    needles.push(totp.secret, totp.secret.toLowerCase(), toHex(raw), toBase64Url(raw));
    needles.push(Buffer.from(raw).toString("base64"), ...totp.backupCodes);
    needles.push(...totp.backupCodes.map((c) => normalizeBackupCode(c)!));
    needles.push(totp.sessionToken);

    // HOTP.
    const hotp = await kit.mfa.enrollHotp("alice");
    needles.push(hotp.secret, toHex(fromBase32(hotp.secret)!));
    const proof = { sessionToken: totp.sessionToken };
    await kit.mfa.activateFactor("alice", hotp.factorId, hotpCode(hotp.secret, 0), proof);

    // SMS and e-mail: the addresses and every code sent.
    const sms = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15557654321" });
    const email = await kit.mfa.enrollContact("alice", {
      channel: "email",
      to: "alice.private@mail.test",
    });
    needles.push("+15557654321", "5557654321", "alice.private@mail.test");
    if (sms.ok) await kit.mfa.activateFactor("alice", sms.factorId, kit.sent[0]!.code, proof);
    if (email.ok) await kit.mfa.activateFactor("alice", email.factorId, kit.sent[1]!.code, proof);
    kit.tick(60_000);
    if (sms.ok) await kit.mfa.startChallenge("alice", sms.factorId);

    // WebAuthn.
    const key = await softAuthenticator("example.com", "https://example.com");
    const regOptions = (await kit.mfa.webauthnRegistrationOptions("alice")) as {
      challenge: string;
    };
    await kit.mfa.verifyWebauthnRegistration("alice", await key.register(regOptions), proof);

    // Verifications with each kind of credential; every token issued.
    const results = [
      await kit.mfa.verify({
        userId: "alice",
        code: totpCode(totp.secret, kit.clock.now),
        context,
      }),
      await kit.mfa.verify({ userId: "alice", backupCode: totp.backupCodes[1]!, context }),
      await kit.mfa.verify({
        userId: "alice",
        code: kit.sent.at(-1)!.code,
        factorId: sms.ok ? sms.factorId : "",
        context,
      }),
      await kit.mfa.verify({
        userId: "alice",
        code: hotpCode(hotp.secret, 1),
        factorId: hotp.factorId,
        context,
      }),
    ];
    for (const r of results) {
      expect(r.ok).toBe(true);
      if (r.ok) needles.push(r.session.token);
    }
    needles.push(totpCode(totp.secret, kit.clock.now), context.deviceId);
    needles.push(...kit.sent.map((m) => m.code));

    const held = kit.store.dump();
    // Strings only: a 6-digit code may appear inside a timestamp by chance.
    const strings: string[] = [];
    const walk = (v: unknown, key = ""): void => {
      if (typeof v === "string") strings.push(key, v);
      else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(held);
    const haystack = strings.join("\n");
    for (const needle of needles) expect(haystack, needle).not.toContain(needle);
    // ... and it does hold what it should: four factors' records, backup hashes, sessions.
    expect(Object.keys(held.factors.alice!)).toHaveLength(5);
    // Four verifications' sessions and the four code factors' activation sessions.
    expect(Object.keys(held.sessions)).toHaveLength(8);
  });
});
