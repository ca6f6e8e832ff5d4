import { generateURI } from "otplib";
import { describe, expect, it } from "vitest";
import { fromBase32 } from "../crypto/encoding";
import { nodeCrypto } from "../crypto/node";
import { T0, testKit, totpCode, wrong } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";
import { hotp } from "./hotp";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const RP = "example.com";
const ORIGIN = "https://example.com";

describe("importTotp", () => {
  it("imports a base32 secret as an active factor, sealed, with a factor.imported event", async () => {
    const kit = testKit();
    const factor = await kit.mfa.importTotp("alice", {
      secret: "jbsw y3dp-ehpk 3pxp jbsw y3dp ehpk 3pxp",
      label: "alice@old-idp.test",
    });
    expect(factor).toMatchObject({ type: "totp", status: "active", label: "alice@old-idp.test" });
    const record = kit.store.dump().factors.alice![factor.id]!;
    expect(JSON.stringify(record)).not.toContain(SECRET);
    expect(record.secret).not.toContain("JBSW");
    // active at once: it verifies without an activation step
    const verified = await kit.mfa.verify({ userId: "alice", code: totpCode(SECRET, T0) });
    expect(verified.ok).toBe(true);
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("factor.imported")).toMatchObject([
      { userId: "alice", factorId: factor.id, factorType: "totp" },
    ]);
    expect(kit.eventsOf("factor.enrolled")).toEqual([]);
  });

  it("keeps an otpauth URI's algorithm, digits, period and account name", async () => {
    const kit = testKit();
    const otpauthUri = generateURI({
      issuer: "Old IdP",
      label: "alice@acme.test",
      secret: SECRET,
      algorithm: "sha256",
      digits: 8,
      period: 60,
    });
    const factor = await kit.mfa.importTotp("alice", { otpauthUri });
    expect(factor.label).toBe("alice@acme.test");
    expect(kit.store.dump().factors.alice![factor.id]).toMatchObject({
      algorithm: "SHA256",
      digits: "8",
      period: "60",
    });
    const code = totpCode(SECRET, T0, { digits: 8, algorithm: "sha256", period: 60 });
    expect((await kit.mfa.verify({ userId: "alice", code: wrong(code) })).ok).toBe(false);
    expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(true);
  });

  it("imports an HOTP URI with its counter", async () => {
    const kit = testKit();
    const otpauthUri = `otpauth://hotp/Old%20IdP:bob?secret=${SECRET}&issuer=Old%20IdP&counter=42`;
    const factor = await kit.mfa.importTotp("bob", { otpauthUri });
    expect(factor).toMatchObject({ type: "hotp", status: "active", label: "bob" });
    const code = hotp(nodeCrypto, "sha1", fromBase32(SECRET)!, 42, 6);
    expect((await kit.mfa.verify({ userId: "bob", code })).ok).toBe(true);
  });

  it.each([
    [{}, /either `secret`/],
    [{ secret: SECRET, otpauthUri: "otpauth://totp/a?secret=x" }, /either `secret`/],
    [{ secret: "not base32!" }, /base32/],
    [{ secret: "JBSWY3DP" }, /80 bits/],
    [{ otpauthUri: "https://example.com/?secret=JBSW" }, /otpauth:\/\/totp/],
    [{ otpauthUri: "otpauth://totp/a" }, /no secret/],
    [{ otpauthUri: `otpauth://totp/a?secret=${SECRET}&algorithm=MD5` }, /algorithm/],
    [{ otpauthUri: `otpauth://totp/a?secret=${SECRET}&digits=9` }, /digits/],
    [{ otpauthUri: `otpauth://totp/a?secret=${SECRET}&period=0` }, /period/],
    [{ otpauthUri: `otpauth://hotp/a?secret=${SECRET}` }, /counter/],
    [{ otpauthUri: `otpauth://totp/%E0%A4%A?secret=${SECRET}` }, /percent-encoding/],
    [{ secret: SECRET, label: "a:b" }, /colon/],
    [{ secret: SECRET, label: 5 }, /label/],
  ])("refuses %j with a TypeError naming the problem, storing nothing", async (input, message) => {
    const kit = testKit();
    await expect(kit.mfa.importTotp("alice", input as never)).rejects.toThrow(message);
    await expect(kit.mfa.importTotp("alice", input as never)).rejects.toBeInstanceOf(TypeError);
    expect((await kit.mfa.listFactors("alice")).factors).toEqual([]);
  });

  it("names the account with accountName when neither label nor URI gives one", async () => {
    const kit = testKit({ accountName: (id) => `${id}@acme.test` });
    expect((await kit.mfa.importTotp("carol", { secret: SECRET })).label).toBe("carol@acme.test");
    const bare = testKit({ accountName: undefined });
    await expect(bare.mfa.importTotp("carol", { secret: SECRET })).rejects.toThrow(/label/);
  });
});

describe("importWebauthnCredential", () => {
  it("imports a credential registered elsewhere; its authenticator then signs in", async () => {
    const kit = testKit();
    const key = await softAuthenticator(RP, ORIGIN, { counter: 7 });
    const factor = await kit.mfa.importWebauthnCredential("alice", {
      id: key.credentialId,
      publicKey: key.publicKey,
      counter: 7,
      transports: ["usb", "nfc"],
      label: "YubiKey (old IdP)",
    });
    expect(factor).toMatchObject({
      type: "webauthn",
      status: "active",
      label: "YubiKey (old IdP)",
    });
    expect(kit.store.dump().factors.alice![factor.id]).toMatchObject({
      credentialId: key.credentialId,
      counter: "7",
      transports: "usb,nfc",
    });
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("factor.imported")).toMatchObject([
      { factorId: factor.id, factorType: "webauthn" },
    ]);
    const started = await kit.mfa.startChallenge("alice", factor.id);
    if (!started.ok || !started.webauthnOptions) throw new Error("no WebAuthn options");
    const options = started.webauthnOptions as {
      challenge: string;
      allowCredentials: { id: string; transports?: string[] }[];
    };
    expect(options.allowCredentials).toEqual([
      { id: key.credentialId, type: "public-key", transports: ["usb", "nfc"] },
    ]);
    const response = await key.authenticate(options);
    expect((await kit.mfa.verify({ userId: "alice", webauthn: response })).ok).toBe(true);
    // the imported counter is the replay guard's starting point
    const again = await kit.mfa.startChallenge("alice", factor.id);
    if (!again.ok || !again.webauthnOptions) throw new Error("no WebAuthn options");
    const replayed = await key.authenticate(again.webauthnOptions as { challenge: string }, {
      counter: 7,
    });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: replayed })).ok).toBe(false);
  });

  it.each([
    [{ id: 5 }, /`id`/],
    [{ id: "not base64url!!!!!!!" }, /`id`/],
    [{ id: "short" }, /`id`/],
    [{ id: "A".repeat(22), publicKey: "!!!" }, /publicKey/],
    [{ id: "A".repeat(22), publicKey: "oQEC" }, /publicKey/], // a COSE map without alg
    [{ id: "A".repeat(22), counter: -1 }, /counter/],
    [{ id: "A".repeat(22), counter: 2 ** 32 }, /counter/],
    [{ id: "A".repeat(22), transports: ["carrier-pigeon"] }, /transports/],
    [{ id: "A".repeat(22), label: 5 }, /label/],
  ])("refuses %j with a TypeError, storing nothing", async (input, message) => {
    const kit = testKit();
    const key = await softAuthenticator(RP, ORIGIN);
    const credential = Object.assign({ id: key.credentialId, publicKey: key.publicKey }, input);
    await expect(kit.mfa.importWebauthnCredential("alice", credential as never)).rejects.toThrow(
      message,
    );
    expect((await kit.mfa.listFactors("alice")).factors).toEqual([]);
  });

  it("refuses a key whose algorithm is not in webauthn.supportedAlgorithmIDs, or one already there", async () => {
    const kit = testKit({
      webauthn: { rpID: RP, origin: ORIGIN, supportedAlgorithmIDs: [-8, -257] },
    });
    const key = await softAuthenticator(RP, ORIGIN); // ES256 (-7)
    const credential = { id: key.credentialId, publicKey: key.publicKey };
    await expect(kit.mfa.importWebauthnCredential("alice", credential)).rejects.toThrow(
      /-7.*-8, -257/,
    );
    const open = testKit();
    await open.mfa.importWebauthnCredential("alice", credential);
    await expect(open.mfa.importWebauthnCredential("alice", credential)).rejects.toThrow(/already/);
    expect((await open.mfa.listFactors("alice")).factors).toHaveLength(1);
  });

  it("needs the webauthn option", async () => {
    const kit = testKit({ webauthn: undefined });
    const key = await softAuthenticator(RP, ORIGIN);
    await expect(
      kit.mfa.importWebauthnCredential("alice", { id: key.credentialId, publicKey: key.publicKey }),
    ).rejects.toThrow(/webauthn/);
  });
});
