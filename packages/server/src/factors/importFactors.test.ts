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

  it.each([
    ["digits=5", "importTotp: the URI's digits must be an integer from 6 to 8."],
    ["digits=+7", "importTotp: the URI's digits must be an integer from 6 to 8."],
    ["digits=", "importTotp: the URI's digits must be an integer from 6 to 8."],
    ["period=86401", "importTotp: the URI's period must be an integer from 1 to 86400."],
    ["period=1e3", "importTotp: the URI's period must be an integer from 1 to 86400."],
    [
      "counter=9007199254740992",
      "importTotp: the URI's counter must be an integer from 0 to 9007199254740991.",
    ],
    ["algorithm=SHA384", "importTotp: the URI's algorithm must be SHA1, SHA256 or SHA512."],
  ])("refuses %s with its exact message", async (param, message) => {
    const kit = testKit();
    const otpauthUri = `otpauth://totp/a?secret=${SECRET}&${param}`;
    await expect(kit.mfa.importTotp("alice", { otpauthUri })).rejects.toThrow(
      new TypeError(message),
    );
  });

  it("takes the edges of each range, and a lower-case algorithm", async () => {
    const kit = testKit();
    const cases = [
      ["digits=7&period=1&algorithm=sha512", { digits: "7", period: "1", algorithm: "SHA512" }],
      ["digits=8&period=86400", { digits: "8", period: "86400", algorithm: "SHA1" }],
    ] as const;
    for (const [param, stored] of cases) {
      const factor = await kit.mfa.importTotp("alice", {
        otpauthUri: `otpauth://totp/Old:alice?secret=${SECRET}&${param}`,
      });
      expect(kit.store.dump().factors.alice![factor.id]).toMatchObject(stored);
    }
    const hotpUri = `otpauth://hotp/a?secret=${SECRET}&counter=${Number.MAX_SAFE_INTEGER}`;
    const hotpFactor = await kit.mfa.importTotp("alice", { otpauthUri: hotpUri });
    expect(kit.store.dump().factors.alice![hotpFactor.id]!.counter).toBe(
      String(Number.MAX_SAFE_INTEGER),
    );
  });

  it("reads a URI of up to 2048 characters, and refuses a longer one", async () => {
    const kit = testKit();
    const uri = (length: number) => {
      const start = `otpauth://totp/a?secret=${SECRET}&x=`;
      return start + "y".repeat(length - start.length);
    };
    expect((await kit.mfa.importTotp("alice", { otpauthUri: uri(2048) })).type).toBe("totp");
    await expect(kit.mfa.importTotp("alice", { otpauthUri: uri(2049) })).rejects.toThrow(
      "importTotp: `otpauthUri` must be an otpauth://totp/ or otpauth://hotp/ URI.",
    );
  });

  it("takes the account name after the issuer's colon, trimmed, at most 128 characters", async () => {
    const kit = testKit();
    const uri = `otpauth://totp/Old%20IdP:%20carol%40acme.test%20?secret=${SECRET}`;
    expect((await kit.mfa.importTotp("carol", { otpauthUri: uri })).label).toBe("carol@acme.test");
    const long = await kit.mfa.importTotp("carol", {
      secret: SECRET,
      label: ` ${"a".repeat(200)}`,
    });
    expect(long.label).toBe("a".repeat(128));
  });

  it("takes a secret of exactly 80 bits, and marks the factor imported", async () => {
    const kit = testKit();
    const factor = await kit.mfa.importTotp("alice", { secret: "JBSWY3DPEHPK3PXP" });
    expect(kit.store.dump().factors.alice![factor.id]).toMatchObject({
      imported: "true",
      period: "30",
      status: "active",
    });
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

  it("takes ids of 16 to 1366 characters, counters up to 2^32 - 1 and every known transport", async () => {
    const kit = testKit();
    const key = await softAuthenticator(RP, ORIGIN);
    const add = (input: object) =>
      kit.mfa.importWebauthnCredential("alice", { id: "", publicKey: key.publicKey, ...input });
    const shortest = await add({ id: "A".repeat(16), counter: 0xffff_ffff });
    expect(shortest).toMatchObject({ type: "webauthn", label: "Security key" });
    expect(kit.store.dump().factors.alice![shortest.id]).toMatchObject({
      credentialId: "A".repeat(16),
      counter: "4294967295",
      transports: "",
      imported: "true",
    });
    const transports = ["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"];
    const longest = await add({ id: "B".repeat(1366), transports, label: "x".repeat(200) });
    expect(longest.label).toBe("x".repeat(128));
    expect(kit.store.dump().factors.alice![longest.id]!.transports).toBe(transports.join(","));
    const idMessage = "importWebauthnCredential: `id` must be the base64url credential id.";
    await expect(add({ id: "C".repeat(15) })).rejects.toThrow(new TypeError(idMessage));
    await expect(add({ id: "C".repeat(1367) })).rejects.toThrow(new TypeError(idMessage));
    await expect(add({ id: `!${"C".repeat(22)}` })).rejects.toThrow(new TypeError(idMessage));
    await expect(add({ id: `${"C".repeat(22)}!` })).rejects.toThrow(new TypeError(idMessage));
    await expect(kit.mfa.importWebauthnCredential("alice", undefined as never)).rejects.toThrow(
      new TypeError(idMessage),
    );
    // a COSE map with an algorithm but no key type is no key
    await expect(add({ id: "C".repeat(22), publicKey: "oQMm" })).rejects.toThrow(
      new TypeError("importWebauthnCredential: `publicKey` must be a base64url COSE public key."),
    );
    await expect(add({ id: "C".repeat(22), counter: 1.5 })).rejects.toThrow(
      new TypeError("importWebauthnCredential: `counter` must be an integer from 0 to 2^32 - 1."),
    );
    await expect(add({ id: "C".repeat(22), transports: "usb" })).rejects.toThrow(
      new TypeError(
        "importWebauthnCredential: `transports` may list only ble, cable, hybrid, internal, nfc, smart-card, usb.",
      ),
    );
    await expect(add({ id: "C".repeat(22), publicKey: 5 })).rejects.toThrow(
      new TypeError("importWebauthnCredential: `publicKey` must be a base64url COSE public key."),
    );
    await expect(add({ id: "C".repeat(22), label: 5 })).rejects.toThrow(
      new TypeError("importWebauthnCredential: `label` must be a string."),
    );
    await expect(add({ id: "A".repeat(16) })).rejects.toThrow(
      new TypeError("importWebauthnCredential: the user already has this credential."),
    );
    expect((await kit.mfa.listFactors("alice")).factors).toHaveLength(2);
  });

  it("needs the webauthn option", async () => {
    const kit = testKit({ webauthn: undefined });
    const key = await softAuthenticator(RP, ORIGIN);
    await expect(
      kit.mfa.importWebauthnCredential("alice", { id: key.credentialId, publicKey: key.publicKey }),
    ).rejects.toThrow(/webauthn/);
  });
});
