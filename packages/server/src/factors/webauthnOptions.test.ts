import { describe, expect, it } from "vitest";
import { testKit } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";

type Options = { challenge: string; rp: { id: string }; pubKeyCredParams: { alg: number }[] };

async function registerWith(kit: ReturnType<typeof testKit>, rpId: string, origin: string) {
  const key = await softAuthenticator(rpId, origin);
  const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as Options;
  return {
    key,
    result: await kit.mfa.verifyWebauthnRegistration("alice", await key.register(options)),
  };
}

describe("WebAuthn options", () => {
  it("offers EdDSA, ES256 and RS256 by default, and the algorithms configured", async () => {
    const plain = testKit();
    const defaults = (await plain.mfa.webauthnRegistrationOptions("alice")) as Options;
    expect(defaults.pubKeyCredParams.map((p) => p.alg)).toEqual([-8, -7, -257]);
    const kit = testKit({
      webauthn: {
        rpID: "example.com",
        origin: "https://example.com",
        supportedAlgorithmIDs: [-7, -37, -38, -257, -65535],
      },
    });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as Options;
    expect(options.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -37, -38, -257, -65535]);
  });

  it("refuses a new credential whose algorithm is not among supportedAlgorithmIDs", async () => {
    const kit = testKit({
      webauthn: {
        rpID: "example.com",
        origin: "https://example.com",
        supportedAlgorithmIDs: [-8, -257],
      },
    });
    const { result } = await registerWith(kit, "example.com", "https://example.com"); // ES256
    expect(result).toEqual({ ok: false, reason: "invalid_code" });
  });

  it("accepts several origins and RP ids, naming the first RP id in options", async () => {
    const kit = testKit({
      webauthn: {
        rpID: ["example.com", "login.example.org"],
        origin: ["https://example.com", "https://login.example.org", "android:apk-key-hash:abc"],
      },
    });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as Options;
    expect(options.rp.id).toBe("example.com");
    const web = await registerWith(kit, "example.com", "https://example.com");
    expect(web.result.ok).toBe(true);
    const other = await registerWith(kit, "login.example.org", "https://login.example.org");
    expect(other.result.ok).toBe(true);
    const app = await registerWith(kit, "example.com", "android:apk-key-hash:abc");
    expect(app.result.ok).toBe(true);
    // and signs in from any of them
    const factorId = app.result.ok ? app.result.factor.id : "";
    const started = await kit.mfa.startChallenge("alice", factorId);
    if (!started.ok || !started.webauthnOptions) throw new Error("no WebAuthn options");
    const assertion = await app.key.authenticate(started.webauthnOptions as { challenge: string });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
  });

  it("still refuses an origin or RP id not listed", async () => {
    const kit = testKit({
      webauthn: { rpID: ["example.com", "example.org"], origin: ["https://example.com"] },
    });
    expect((await registerWith(kit, "example.com", "https://evil.example")).result.ok).toBe(false);
    expect((await registerWith(kit, "evil.example", "https://example.com")).result.ok).toBe(false);
  });

  it("explains a bad list with a TypeError at start-up", () => {
    const webauthn = { rpID: "example.com", origin: "https://example.com" };
    expect(() => testKit({ webauthn: { ...webauthn, rpID: [] } })).toThrow(/rpID/);
    expect(() => testKit({ webauthn: { ...webauthn, origin: ["", "x"] } })).toThrow(/origin/);
    expect(() => testKit({ webauthn: { ...webauthn, supportedAlgorithmIDs: [] } })).toThrow(
      /supportedAlgorithmIDs/,
    );
    expect(() =>
      testKit({ webauthn: { ...webauthn, supportedAlgorithmIDs: ["-7" as never] } }),
    ).toThrow(/supportedAlgorithmIDs/);
  });
});

describe("expectWebauthnChallenge", () => {
  it("verifies an assertion against a challenge the app generated, once", async () => {
    const kit = testKit();
    const { key, result } = await registerWith(kit, "example.com", "https://example.com");
    expect(result.ok).toBe(true);
    const challenge = Buffer.from("app-generated challenge, 32 bytes").toString("base64url");
    // unknown to the kit: refused
    const early = await key.authenticate({ challenge });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: early })).toMatchObject({ ok: false });
    await kit.mfa.expectWebauthnChallenge("alice", challenge);
    const assertion = await key.authenticate({ challenge });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: assertion })).ok).toBe(true);
    // used up: the same challenge again is refused
    const again = await key.authenticate({ challenge });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: again })).ok).toBe(false);
    // and it is bound to its user
    await kit.mfa.expectWebauthnChallenge("bob", challenge);
    const other = await key.authenticate({ challenge });
    expect((await kit.mfa.verify({ userId: "alice", webauthn: other })).ok).toBe(false);
  });

  it("expires with webauthn.challengeTtlMs", async () => {
    const kit = testKit();
    const { key } = await registerWith(kit, "example.com", "https://example.com");
    const challenge = "c".repeat(43);
    await kit.mfa.expectWebauthnChallenge("alice", challenge);
    kit.tick(300_001);
    const assertion = await key.authenticate({ challenge });
    expect(await kit.mfa.verify({ userId: "alice", webauthn: assertion })).toMatchObject({
      ok: false,
      reason: "code_expired",
    });
  });

  it("refuses a guessable or malformed challenge", async () => {
    const kit = testKit();
    for (const challenge of ["short", "x".repeat(257), "not base64url!!!!!!!!!!!", 5]) {
      await expect(kit.mfa.expectWebauthnChallenge("alice", challenge as never)).rejects.toThrow(
        /challenge/,
      );
    }
  });
});
