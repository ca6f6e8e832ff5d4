import { describe, expect, it } from "vitest";
import { fromBase32 } from "../crypto/encoding";
import { nodeCrypto } from "../crypto/node";
import { createMfaHandler } from "../http/handler";
import { createMfaServer } from "../server";
import { hotpCode, KEYS, T0, testKit, totpCode } from "../testing/fixtures";
import { hotp } from "./hotp";
import { AccountLabelError } from "./totp";

// How other apps read the label of an otpauth URI (Key Uri Format): percent-decoded, split at the
// first colon into issuer and account name.
const labelOf = (uri: string) => {
  const label = decodeURIComponent(new URL(uri).pathname.slice(1));
  const colon = label.indexOf(":");
  return { issuer: label.slice(0, colon), account: label.slice(colon + 1) };
};

describe("otpauth URIs (Key Uri Format)", () => {
  // "Neither issuer nor account name may themselves contain a colon."
  it("refuses an issuer with a colon at start-up, saying why", () => {
    expect(() =>
      createMfaServer({ issuer: "Acme:Corp", encryptionKeys: { current: "k1", keys: KEYS } }),
    ).toThrow(/issuer.*colon.*"Acme:Corp"/s);
    expect(() => testKit({ issuer: "Acme Corp" })).not.toThrow();
  });

  it("writes issuer and account so that other apps split them back", async () => {
    const kit = testKit({ issuer: "Acme Corp & Co" });
    const { otpauthUri } = await kit.mfa.enrollTotp("u_81f3", { label: "alice smith@acme.test" });
    expect(labelOf(otpauthUri)).toEqual({
      issuer: "Acme Corp & Co",
      account: "alice smith@acme.test",
    });
    expect(new URL(otpauthUri).searchParams.get("issuer")).toBe("Acme Corp & Co");
  });

  it("refuses a label with a colon, storing nothing", async () => {
    const kit = testKit();
    await expect(kit.mfa.enrollTotp("alice", { label: "a:b" })).rejects.toThrow(AccountLabelError);
    await expect(kit.mfa.enrollTotp("alice", { label: "a:b" })).rejects.toThrow(/colon/);
    await expect(kit.mfa.enrollHotp("alice", { label: "x:y" })).rejects.toThrow(/colon/);
    expect((await kit.mfa.listFactors("alice")).factors).toEqual([]);
  });

  // Without a label the internal user id used to become the account name in the user's app.
  it("names the account with accountName(userId), never with the internal user id", async () => {
    const kit = testKit({ accountName: async (userId) => `${userId.slice(2)}@acme.test` });
    const { otpauthUri } = await kit.mfa.enrollTotp("u_alice");
    expect(labelOf(otpauthUri)).toEqual({ issuer: "Acme", account: "alice@acme.test" });
    expect((await kit.mfa.listFactors("u_alice")).factors[0]?.label).toBe("alice@acme.test");
    // a label given at enrollment wins
    const second = await kit.mfa.enrollTotp("u_alice", { label: "work phone" });
    expect(labelOf(second.otpauthUri).account).toBe("work phone");
  });

  it("needs a label when there is no accountName option, and refuses a colon from it", async () => {
    const kit = testKit({ accountName: undefined });
    await expect(kit.mfa.enrollTotp("u_81f3")).rejects.toThrow(/label.*accountName/s);
    await expect(kit.mfa.enrollHotp("u_81f3")).rejects.toThrow(AccountLabelError);
    await expect(kit.mfa.enrollTotp("u_81f3", { label: "   " })).rejects.toThrow(/label/);
    const colon = testKit({ accountName: () => "acme:alice" });
    await expect(colon.mfa.enrollTotp("alice")).rejects.toThrow(/colon/);
    expect(() => testKit({ accountName: "alice" as never })).toThrow(/accountName/);
  });

  it("answers the enroll route with a 400 problem, not a 500, when the label cannot be used", async () => {
    const kit = testKit({ accountName: undefined });
    const handler = createMfaHandler(kit.mfa, { authenticate: () => "alice" });
    const enroll = (body: unknown) =>
      handler(
        new Request("https://api.test/mfa/totp/enroll", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    for (const body of [{}, { label: "a:b" }]) {
      const response = (await enroll(body))!;
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect((await response.json()).detail).toMatch(/label|colon/);
    }
    const ok = (await enroll({ label: "alice@acme.test" }))!;
    expect(ok.status).toBe(200);
    expect(labelOf((await ok.json()).otpauthUri).account).toBe("alice@acme.test");
  });

  it("gives HOTP factors their own algorithm and digits, not the TOTP ones", async () => {
    const kit = testKit({
      totp: { algorithm: "SHA512", digits: 8 },
      hotp: { algorithm: "SHA256", digits: 6 },
    });
    const { otpauthUri, factorId, secret } = await kit.mfa.enrollHotp("alice", { counter: 5 });
    const uri = new URL(otpauthUri);
    expect(uri.host).toBe("hotp");
    expect(uri.searchParams.get("algorithm")).toBe("SHA256");
    expect(uri.searchParams.get("digits")).toBeNull(); // 6 is the default, left out
    expect(uri.searchParams.get("counter")).toBe("5");
    const record = kit.store.dump().factors.alice![factorId]!;
    expect(record).toMatchObject({ algorithm: "SHA256", digits: "6", counter: "5" });
    // and the TOTP factor keeps the TOTP settings
    const totp = await kit.mfa.enrollTotp("alice");
    expect(totp.otpauthUri).toContain("algorithm=SHA512");
    expect(totp.otpauthUri).toContain("digits=8");
    expect(totpCode(totp.secret, T0, { digits: 8, algorithm: "sha512" })).toHaveLength(8);
    // the HOTP factor activates with a SHA-256 code, not a SHA-1 one
    const key = fromBase32(secret)!;
    expect((await kit.mfa.activateFactor("alice", factorId, hotpCode(secret, 5))).ok).toBe(false);
    const code = hotp(nodeCrypto, "sha256", key, 5, 6);
    expect((await kit.mfa.activateFactor("alice", factorId, code)).ok).toBe(true);
  });

  it("defaults HOTP to SHA1 and 6 digits whatever the TOTP settings", async () => {
    const kit = testKit({ totp: { algorithm: "SHA256", digits: 8 } });
    const { otpauthUri, factorId } = await kit.mfa.enrollHotp("alice");
    expect(otpauthUri).not.toContain("algorithm=");
    expect(otpauthUri).not.toContain("digits=");
    expect(kit.store.dump().factors.alice![factorId]).toMatchObject({
      algorithm: "SHA1",
      digits: "6",
    });
    expect(() => testKit({ hotp: { digits: 7 as 6 } })).toThrow(/hotp.digits/);
    expect(() => testKit({ hotp: { algorithm: "MD5" as "SHA1" } })).toThrow(/hotp.algorithm/);
  });

  it("names the method in a label error, and stores the TOTP period", async () => {
    const kit = testKit();
    const totp = kit.mfa.enrollTotp("alice", { label: 5 as never });
    await expect(totp).rejects.toThrow("enrollTotp: `label` must be a string.");
    await expect(kit.mfa.enrollHotp("alice", { label: 5 as never })).rejects.toThrow(
      "enrollHotp: `label` must be a string.",
    );
    const error = await kit.mfa.enrollTotp("alice", { label: "a:b" }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("AccountLabelError");
    const { factorId } = await kit.mfa.enrollTotp("alice", { label: "phone" });
    expect(kit.store.dump().factors.alice![factorId]).toMatchObject({ period: "30" });
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBeUndefined();
  });
});

describe("otpauth URIs, imported and shown", () => {
  const SECRET = "JBSWY3DPEHPK3PXP";

  it("show a TOTP period other than 30 seconds", async () => {
    const kit = testKit({ totp: { period: 60 } });
    const { otpauthUri } = await kit.mfa.enrollTotp("alice");
    expect(new URL(otpauthUri).searchParams.get("period")).toBe("60");
    expect(new URL(otpauthUri).searchParams.get("counter")).toBeNull();
  });

  it("import a label without an issuer, and trim the account name", async () => {
    const kit = testKit({ accountName: undefined });
    const plain = await kit.mfa.importTotp("alice", {
      otpauthUri: `otpauth://totp/alice%40acme.test?secret=${SECRET}`,
    });
    expect(plain.label).toBe("alice@acme.test");
    const spaced = await kit.mfa.importTotp("bob", {
      otpauthUri: `otpauth://totp/Acme:%20%20bob?secret=${SECRET}`,
    });
    expect(spaced.label).toBe("bob");
  });

  it("refuse a URI longer than 2 048 characters", async () => {
    const kit = testKit();
    const uri = `otpauth://totp/alice?secret=${SECRET}&x=`;
    await expect(
      kit.mfa.importTotp("alice", { otpauthUri: uri.padEnd(2049, "x") }),
    ).rejects.toThrow(
      new TypeError("importTotp: `otpauthUri` must be an otpauth://totp/ or otpauth://hotp/ URI."),
    );
    expect((await kit.mfa.importTotp("alice", { otpauthUri: uri.padEnd(2048, "x") })).type).toBe(
      "totp",
    );
  });

  it("name importTotp in the error of an imported label with a colon", async () => {
    const kit = testKit();
    await expect(kit.mfa.importTotp("alice", { secret: SECRET, label: "a:b" })).rejects.toThrow(
      'importTotp: the account name may not contain a colon (Key Uri Format), got "a:b".',
    );
  });
});
