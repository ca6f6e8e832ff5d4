import { describe, expect, it } from "vitest";
import { testKit, totpCode, userWithTotp } from "../testing/fixtures";

describe("the opened-secret cache", () => {
  // Regression guard: the cache is keyed by the sealed value, so it must also check the value was
  // sealed for this user and factor, or a sealed secret copied into another account would open
  // there from the cache while AES-GCM would refuse it.
  it("opens a sealed secret only for the user and factor it was sealed for, cached or not", async () => {
    const kit = testKit();
    const alice = await userWithTotp(kit);
    const code = () => totpCode(alice.secret, kit.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code: code() })).ok).toBe(true);
    kit.tick(30_000);
    // Alice's sealed record copied into Mallory's account, under the same factor id.
    const record = kit.store.dump().factors.alice![alice.factorId]!;
    await kit.store.createFactor("mallory", alice.factorId, { ...record });
    const taken = await kit.mfa.verify({ userId: "mallory", code: code() });
    expect(taken.ok).toBe(false);
    // Alice's own next code still opens from the cache.
    expect((await kit.mfa.verify({ userId: "alice", code: code() })).ok).toBe(true);
  });
});
