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
