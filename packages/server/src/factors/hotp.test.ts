import { describe, expect, it } from "vitest";
import { hotpCode, testKit } from "../testing/fixtures";

async function userWithHotp() {
  const kit = testKit();
  const { factorId, secret, otpauthUri } = await kit.mfa.enrollHotp("alice", { label: "token" });
  expect((await kit.mfa.activateFactor("alice", factorId, hotpCode(secret, 0))).ok).toBe(true);
  return { kit, factorId, secret, otpauthUri };
}

describe("HOTP factors", () => {
  it("enrolls with an hotp otpauth URI carrying the counter", async () => {
    const { otpauthUri } = await userWithHotp();
    expect(otpauthUri).toMatch(/^otpauth:\/\/hotp\//);
    expect(otpauthUri).toContain("counter=0");
  });

  it("accepts the next code, then refuses it as reused", async () => {
    const { kit, secret } = await userWithHotp();
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 1) })).ok).toBe(true);
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 1) })).toMatchObject({
      ok: false,
      reason: "code_reused",
    });
  });

  it("looks ahead for codes generated but never used, and moves the counter past them", async () => {
    const { kit, secret, factorId } = await userWithHotp();
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 7) })).ok).toBe(true);
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("8");
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 5) })).toMatchObject({
      ok: false,
    });
  });

  it("resynchronises a counter far behind the device with two consecutive codes (RFC 4226 §7.4)", async () => {
    const { kit, secret, factorId } = await userWithHotp();
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 50) })).toEqual({
      ok: false,
      reason: "resync_required",
      attemptsLeft: 2,
    });
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 51) })).ok).toBe(true);
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("52");
  });

  it("does not resynchronise when the second code is not the next one", async () => {
    const { kit, secret } = await userWithHotp();
    await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 50) });
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 53) })).toMatchObject({
      ok: false,
      reason: "resync_required",
    });
  });

  it("accepts exactly one of 50 concurrent verifications of the same code", async () => {
    const kit = testKit({ limits: { maxFailures: 100 } });
    const { factorId, secret } = await kit.mfa.enrollHotp("alice");
    await kit.mfa.activateFactor("alice", factorId, hotpCode(secret, 0));
    const code = hotpCode(secret, 3);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => kit.mfa.verify({ userId: "alice", code })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});
