import { describe, expect, it } from "vitest";
import { nodeCrypto } from "../crypto/node";
import { KEYS, testKit, totpCode, userWithTotp } from "../testing/fixtures";

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

describe("factor secrets sealed under an old key", () => {
  /** Alice's TOTP factor sealed under k2, and a kit on the same store and clock whose current key is k1. */
  async function sealedUnderK2(keys: Record<string, string> = KEYS) {
    const old = testKit({ encryptionKeys: { current: "k2", keys: KEYS } });
    const alice = await userWithTotp(old);
    const kit = testKit({
      store: old.store,
      now: () => old.clock.now,
      encryptionKeys: { current: "k1", keys },
    });
    return { old, kit, alice };
  }
  const keyIdOf = (sealed: string | undefined) => sealed?.split(".")[1];

  it("are opened, then sealed again under the current key", async () => {
    const { old, kit, alice } = await sealedUnderK2();
    const before = old.store.dump().factors.alice![alice.factorId]!.secret;
    expect(keyIdOf(before)).toBe("k2");
    const code = totpCode(alice.secret, old.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(true);
    const after = old.store.dump().factors.alice![alice.factorId]!.secret;
    expect(keyIdOf(after)).toBe("k1");
    // and the new sealed value opens for the next code
    old.tick(30_000);
    const next = totpCode(alice.secret, old.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code: next })).ok).toBe(true);
    expect(old.store.dump().factors.alice![alice.factorId]!.secret).toBe(after);
  });

  it("refuse the code, without an error, when no key of the ring opens them", async () => {
    const { old, kit, alice } = await sealedUnderK2({ k1: KEYS.k1 });
    const code = totpCode(alice.secret, old.clock.now);
    expect(await kit.mfa.verify({ userId: "alice", code })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
    expect(old.store.dump().factors.alice![alice.factorId]!.secret).toMatch(/\.k2\./);
  });
});

/** The kit's node crypto, counting the secrets it opens. */
function countingOpens() {
  let opens = 0;
  const crypto = {
    ...nodeCrypto,
    open: (key: Uint8Array, sealed: Uint8Array, aad: Uint8Array) => {
      opens += 1;
      return nodeCrypto.open(key, sealed, aad);
    },
  };
  return { crypto, opens: () => opens };
}

describe("the opened-secret cache, by the numbers", () => {
  it("opens a secret once, then serves it from memory", async () => {
    const { crypto, opens } = countingOpens();
    const kit = testKit({ crypto });
    const alice = await userWithTotp(kit);
    const from = opens();
    for (let i = 0; i < 3; i++) {
      const code = totpCode(alice.secret, kit.clock.now);
      expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(true);
      kit.tick(30_000);
    }
    // the activation opened it
    expect(opens() - from).toBe(0);
  });

  it("after sealing a secret again, serves the new sealed value from memory", async () => {
    const { crypto, opens } = countingOpens();
    const old = testKit({ encryptionKeys: { current: "k2", keys: KEYS } });
    const alice = await userWithTotp(old);
    const kit = testKit({
      store: old.store,
      now: () => old.clock.now,
      encryptionKeys: { current: "k1", keys: KEYS },
      crypto,
    });
    const code = totpCode(alice.secret, old.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code })).ok).toBe(true);
    // the old sealed value, then (the attempt retried from a fresh read) the new one
    expect(opens()).toBe(2);
    old.tick(30_000);
    const next = totpCode(alice.secret, old.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code: next })).ok).toBe(true);
    expect(opens()).toBe(2);
    old.tick(30_000);
    const third = totpCode(alice.secret, old.clock.now);
    expect((await kit.mfa.verify({ userId: "alice", code: third })).ok).toBe(true);
    expect(opens()).toBe(2);
  });
});
