import { describe, expect, it } from "vitest";
import { memoryStore } from "./memory";
import { describeStoreContract } from "./storeContract.testkit";

describeStoreContract("memoryStore", () => memoryStore());

describe("memoryStore", () => {
  it("sweeps expired entries so a long-running process does not grow without bound", async () => {
    const store = memoryStore();
    for (let i = 0; i < 1100; i++) await store.putChallenge(`u${i}`, "k", "v", 1000, i);
    // The sweep at write 1024 (now = 1023) dropped the 24 entries that had expired by then.
    expect(Object.keys(store.dump().challenges)).toHaveLength(1100 - 24);
    expect(store.dump().challenges["u0\nk"]).toBeUndefined();
  });

  it("drops a session read after its expiry", async () => {
    const store = memoryStore();
    const live = "A".repeat(43);
    const expired = `${"B".repeat(42)}A`;
    const session = { userId: "u", acr: "mfa", amr: ["otp"], authTime: 0, expiresAt: 10 };
    await store.createSession(live, { ...session, expiresAt: 100 }, 0);
    await store.createSession(expired, session, 0);
    expect(store.getSession(expired, 10)).toBeNull();
    expect(Object.keys(store.dump().sessions)).toEqual([live]);
    expect(store.getSession(`${"C".repeat(42)}A`, 10)).toBeNull();
  });

  it("forgets everything on clear", async () => {
    const store = memoryStore();
    await store.createFactor("u", "f", { type: "totp" });
    await store.createSession(
      "h",
      { userId: "u", acr: "mfa", amr: [], authTime: 0, expiresAt: 10 },
      0,
    );
    store.clear();
    expect((await store.loadFactors("u")).factors).toEqual({});
    expect(await store.getSession("h", 0)).toBeNull();
  });
});
