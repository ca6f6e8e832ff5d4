import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { testKit, userWithTotp } from "../testing/fixtures";
import { BACKUP_CODE_LENGTH, normalizeBackupCode } from "./backupCodes";

describe("backup codes", () => {
  it("come as a set of 10 distinct codes with 60 bits each from the CSPRNG", async () => {
    const kit = testKit();
    const { backupCodes } = await userWithTotp(kit);
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    for (const code of backupCodes)
      expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){2}$/);
    // 12 symbols from a 32-symbol alphabet: 12 × 5 = 60 bits, above the 50 required.
    expect(BACKUP_CODE_LENGTH * Math.log2(32)).toBeGreaterThanOrEqual(50);
    expect((await kit.mfa.listFactors("alice")).backupCodesRemaining).toBe(10);
  });

  it("are stored as salted hashes only", async () => {
    const kit = testKit();
    const { backupCodes } = await userWithTotp(kit);
    const dump = JSON.stringify(kit.store.dump());
    for (const code of backupCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(normalizeBackupCode(code)!);
    }
    expect(kit.store.dump().backupCodes.alice!.salt.length).toBeGreaterThanOrEqual(22);
  });

  it("verify once, issue a session, and notify an administrator", async () => {
    const kit = testKit();
    const { backupCodes } = await userWithTotp(kit);
    const code = backupCodes[3]!;
    const result = await kit.mfa.verify({ userId: "alice", backupCode: code.toUpperCase() });
    expect(result).toMatchObject({ ok: true, session: { acr: "mfa" } });
    expect(await kit.mfa.verify({ userId: "alice", backupCode: code })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("backup_code.used")).toMatchObject([
      { userId: "alice", notify: "admin", remaining: 9 },
    ]);
    expect((await kit.mfa.listFactors("alice")).backupCodesRemaining).toBe(9);
  });

  it("accept typing variations: spaces, no hyphens, look-alike letters", () => {
    expect(normalizeBackupCode("AB1O-2222-3333")).toBe("ab1022223333");
    expect(normalizeBackupCode("ab I0 2222 3333")).toBe("ab1022223333");
    expect(normalizeBackupCode("abcd-efgh")).toBeNull();
    expect(normalizeBackupCode("abcu-efgh-jkmn")).toBeNull();
    expect(normalizeBackupCode("LLLL-iiii-OOOO")).toBe("111111110000");
    expect(normalizeBackupCode("abcd-efgh-jkmn-p")).toBeNull();
    expect(normalizeBackupCode("abcd_efgh_jkmn")).toBeNull();
    expect(normalizeBackupCode(123456789012)).toBeNull();
  });

  it("read at most 64 characters as typed", () => {
    const padded = (length: number) => `abcd${" ".repeat(length - 12)}efghjkmn`;
    expect(normalizeBackupCode(padded(64))).toBe("abcdefghjkmn");
    expect(normalizeBackupCode(padded(65))).toBeNull();
  });

  it("let exactly one of 50 concurrent uses of the same code succeed", async () => {
    const kit = testKit({ limits: { maxFailures: 100 } });
    const { backupCodes } = await userWithTotp(kit);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        kit.mfa.verify({ userId: "alice", backupCode: backupCodes[0]! }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect((await kit.mfa.listFactors("alice")).backupCodesRemaining).toBe(9);
  });

  it("void the old set when regenerated", async () => {
    const kit = testKit();
    const { backupCodes: old } = await userWithTotp(kit);
    const { backupCodes: fresh } = await kit.mfa.regenerateBackupCodes("alice");
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => old.includes(c))).toBe(false);
    expect((await kit.mfa.verify({ userId: "alice", backupCode: old[0]! })).ok).toBe(false);
    expect((await kit.mfa.verify({ userId: "alice", backupCode: fresh[0]! })).ok).toBe(true);
  });

  it("are deleted with the user's last factor, and a new first factor brings a new set", async () => {
    const kit = testKit();
    const { factorId } = await userWithTotp(kit);
    expect(await kit.mfa.removeFactor("alice", factorId)).toEqual({ ok: true });
    expect((await kit.mfa.listFactors("alice")).backupCodesRemaining).toBe(0);
    expect((await userWithTotp(kit)).backupCodes).toHaveLength(10);
  });

  it("answer factor_not_found when the user has none", async () => {
    const kit = testKit();
    expect(await kit.mfa.verify({ userId: "bob", backupCode: "abcd-efgh-jkmn" })).toEqual({
      ok: false,
      reason: "factor_not_found",
    });
  });

  it("are kept as HMAC-SHA256 of the canonical code under the decoded salt", async () => {
    const kit = testKit();
    const { backupCodes } = await userWithTotp(kit);
    const { salt, hashes } = kit.store.dump().backupCodes.alice!;
    const key = Buffer.from(salt, "base64url");
    expect(key).toHaveLength(16);
    const expected = backupCodes.map((code) =>
      createHmac("sha256", key).update(normalizeBackupCode(code)!).digest("hex"),
    );
    expect([...hashes].sort()).toEqual(expected.sort());
  });

  it("open a session named otp and mfa, and count a malformed code as a wrong one", async () => {
    const kit = testKit();
    const { backupCodes } = await userWithTotp(kit);
    expect(await kit.mfa.verify({ userId: "alice", backupCode: "not-a-code" })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
    expect(await kit.mfa.verify({ userId: "alice", backupCode: backupCodes[0]! })).toMatchObject({
      ok: true,
      session: { acr: "mfa", amr: ["otp", "mfa"] },
    });
  });
});
