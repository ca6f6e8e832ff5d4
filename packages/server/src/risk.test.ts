import { describe, expect, it } from "vitest";
import { testKit, totpCode, userWithTotp } from "./testing/fixtures";

async function twoFactorUser() {
  const kit = testKit();
  const { secret, factorId, sessionToken } = await userWithTotp(kit);
  const sms = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
  const smsId = sms.ok ? sms.factorId : "";
  await kit.mfa.activateFactor("alice", smsId, kit.sent.at(-1)!.code, { sessionToken });
  const code = () => totpCode(secret, kit.clock.now);
  return { kit, secret, totpId: factorId, smsId, code };
}

describe("new devices", () => {
  it("emit device.new for a device not seen before, but not on the first success ever", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    const verifyFrom = async (deviceId: string) => {
      kit.tick(30_000);
      return kit.mfa.verify({
        userId: "alice",
        code: totpCode(secret, kit.clock.now),
        context: { deviceId, userAgent: `UA ${deviceId}` },
      });
    };
    expect((await verifyFrom("laptop")).ok).toBe(true);
    expect((await verifyFrom("laptop")).ok).toBe(true);
    expect((await verifyFrom("phone")).ok).toBe(true);
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("device.new")).toMatchObject([
      { userId: "alice", notify: "user", context: { userAgent: "UA phone" } },
    ]);
  });
});

describe("a country change", () => {
  it("holds the verification until a second, different factor is verified from there", async () => {
    const { kit, code, smsId, totpId } = await twoFactorUser();
    kit.tick(30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: code(), context: { country: "DE" } })).ok,
    ).toBe(true);

    kit.tick(30_000);
    const held = await kit.mfa.verify({
      userId: "alice",
      code: code(),
      context: { country: "FR" },
    });
    expect(held).toMatchObject({
      ok: false,
      reason: "additional_factor_required",
      backupCodes: true,
      factors: [{ id: smsId, type: "sms" }],
    });
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("location.changed")).toMatchObject([
      { from: "DE", to: "FR", additionalFactorRequired: true },
    ]);

    // The same factor again does not count as a second one.
    kit.tick(30_000);
    expect(
      await kit.mfa.verify({
        userId: "alice",
        factorId: totpId,
        code: code(),
        context: { country: "FR" },
      }),
    ).toMatchObject({ reason: "additional_factor_required" });

    kit.tick(30_000);
    await kit.mfa.startChallenge("alice", smsId);
    const done = await kit.mfa.verify({
      userId: "alice",
      factorId: smsId,
      code: kit.sent.at(-1)!.code,
      context: { country: "FR" },
    });
    expect(done).toMatchObject({ ok: true, session: { amr: ["otp", "mfa", "sms"] } });

    // FR is now the last country: one factor is enough again.
    kit.tick(30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: code(), context: { country: "FR" } })).ok,
    ).toBe(true);
  });

  it("only emits location.changed when the user has no other factor to ask for", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    await kit.store.setBackupCodes("alice", { salt: "", hashes: [] });
    const at = () => totpCode(secret, kit.clock.now);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: at(), context: { country: "us" } })).ok,
    ).toBe(true);
    kit.tick(30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: at(), context: { country: "BR" } })).ok,
    ).toBe(true);
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("location.changed")).toMatchObject([
      { from: "US", to: "BR", additionalFactorRequired: false },
    ]);
  });

  // Regression: with the country rule on, a context without a country (a GeoIP miss) or with a
  // malformed one issued a session without the additional factor.
  it("holds a verification without a usable country once the user succeeded from a known one", async () => {
    const { kit, code } = await twoFactorUser();
    kit.tick(30_000);
    // Without any known country before, an unknown one is no change.
    expect((await kit.mfa.verify({ userId: "alice", code: code(), context: {} })).ok).toBe(true);
    kit.tick(30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: code(), context: { country: "DE" } })).ok,
    ).toBe(true);
    for (const country of [undefined, "", "D3", "xx", "Deutschland", 49]) {
      kit.tick(30_000);
      const context = country === undefined ? {} : { country: country as string };
      expect(await kit.mfa.verify({ userId: "alice", code: code(), context })).toMatchObject({
        ok: false,
        reason: "additional_factor_required",
      });
    }
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("location.changed").at(-1)).toMatchObject({
      from: "DE",
      to: "XX",
      additionalFactorRequired: true,
    });
    // DE is still the last known country.
    kit.tick(30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: code(), context: { country: "de" } })).ok,
    ).toBe(true);
  });

  it("lets an unknown country through with risk.unknownCountry: allow", async () => {
    const kit = testKit({ risk: { unknownCountry: "allow" } });
    const { secret } = await userWithTotp(kit);
    const at = () => totpCode(secret, kit.clock.now);
    await kit.mfa.verify({ userId: "alice", code: at(), context: { country: "DE" } });
    kit.tick(30_000);
    expect((await kit.mfa.verify({ userId: "alice", code: at(), context: {} })).ok).toBe(true);
  });

  it("can be turned off", async () => {
    const kit = testKit({ risk: { additionalFactorOnCountryChange: false } });
    const { secret } = await userWithTotp(kit);
    const at = () => totpCode(secret, kit.clock.now);
    await kit.mfa.verify({ userId: "alice", code: at(), context: { country: "DE" } });
    kit.tick(30_000);
    expect(
      (await kit.mfa.verify({ userId: "alice", code: at(), context: { country: "FR" } })).ok,
    ).toBe(true);
  });
});
