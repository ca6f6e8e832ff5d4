import { mfaPath } from "@mfa-kit/protocol";
import { describe, expect, it, vi } from "vitest";
import { nodeCrypto } from "../crypto/node";
import type { MfaCrypto } from "../crypto/types";
import { memoryStore } from "../stores/memory";
import { testKit, totpCode, userWithTotp, wrong } from "../testing/fixtures";
import { testHandler } from "../testing/http";

const fail3 = async (kit: ReturnType<typeof testKit>, code = "000000") => {
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await kit.mfa.verify({ userId: "alice", code }));
  return results;
};

describe("the failure limiter", () => {
  it("locks the user for 30 s on the third failure within 5 minutes, and says so", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    const bad = wrong(totpCode(secret, kit.clock.now));
    expect(await fail3(kit, bad)).toEqual([
      { ok: false, reason: "invalid_code", attemptsLeft: 2 },
      { ok: false, reason: "invalid_code", attemptsLeft: 1 },
      { ok: false, reason: "locked", retryAfterMs: 30_000 },
    ]);
    // Even the right code is refused while locked.
    kit.tick(10_000);
    expect(
      await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) }),
    ).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 20_000,
    });
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.failed")).toHaveLength(3);
    expect(kit.eventsOf("mfa.locked")).toMatchObject([
      { userId: "alice", retryAfterMs: 30_000, level: 1 },
    ]);
  });

  it("escalates 30 s → 1 min → 2 min → 5 min, then stays at 5 min", async () => {
    const kit = testKit();
    await userWithTotp(kit);
    const locks: (number | undefined)[] = [];
    for (let round = 0; round < 5; round++) {
      const last = (await fail3(kit)).at(-1)!;
      locks.push(last.ok ? undefined : last.retryAfterMs);
      kit.tick(last.ok ? 0 : (last.retryAfterMs ?? 0));
    }
    expect(locks).toEqual([30_000, 60_000, 120_000, 300_000, 300_000]);
  });

  it("holds the lock across factors, challenges, backup codes and activations", async () => {
    const kit = testKit();
    const { backupCodes, sessionToken } = await userWithTotp(kit);
    await fail3(kit);
    const sms = await kit.mfa.enrollContact("alice", { channel: "sms", to: "+15551234567" });
    const smsId = sms.ok ? sms.factorId : (sms.factorId ?? "");
    expect(await kit.mfa.verify({ userId: "alice", backupCode: backupCodes[0]! })).toMatchObject({
      reason: "locked",
    });
    const proof = { sessionToken };
    expect(
      await kit.mfa.activateFactor("alice", smsId, kit.sent.at(-1)?.code ?? "", proof),
    ).toMatchObject({ reason: "locked" });
    expect(await kit.mfa.startChallenge("alice", smsId, proof)).toMatchObject({ reason: "locked" });
    expect(await kit.mfa.lockedFor("alice")).toBe(30_000);
    // Other users are not affected.
    const bob = await userWithTotp(kit, "bob");
    expect(
      (await kit.mfa.verify({ userId: "bob", code: totpCode(bob.secret, kit.clock.now) })).ok,
    ).toBe(true);
  });

  it("resets the count on a success", async () => {
    const kit = testKit();
    const { secret } = await userWithTotp(kit);
    await kit.mfa.verify({ userId: "alice", code: "000000" });
    await kit.mfa.verify({ userId: "alice", code: "000000" });
    expect(
      (await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) })).ok,
    ).toBe(true);
    expect(await kit.mfa.verify({ userId: "alice", code: "000000" })).toMatchObject({
      attemptsLeft: 2,
    });
  });

  it("forgets failures older than 5 minutes", async () => {
    const kit = testKit();
    await userWithTotp(kit);
    await kit.mfa.verify({ userId: "alice", code: "000000" });
    await kit.mfa.verify({ userId: "alice", code: "000000" });
    kit.tick(300_001);
    expect(await kit.mfa.verify({ userId: "alice", code: "000000" })).toMatchObject({
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("never checks more than 3 codes for 100 concurrent wrong guesses", async () => {
    // Each HMAC by algorithm and counter: the verification's are SHA-1 at the window's steps; the
    // rest are the hints' (other algorithms, past steps), bounded on their own below.
    const macs: { algorithm: string; step: number }[] = [];
    const counting: MfaCrypto = {
      ...nodeCrypto,
      hmac: (algorithm, key, data) => {
        const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
        macs.push({ algorithm, step: view.getUint32(0) * 2 ** 32 + view.getUint32(4) });
        return nodeCrypto.hmac(algorithm, key, data);
      },
    };
    const kit = testKit({ crypto: counting });
    const { secret } = await userWithTotp(kit);
    const bad = wrong(totpCode(secret, kit.clock.now));
    const current = Math.floor(kit.clock.now / 30_000);
    macs.length = 0;
    const results = await Promise.all(
      Array.from({ length: 100 }, () => kit.mfa.verify({ userId: "alice", code: bad })),
    );
    const checked = results.filter(
      (r) => !r.ok && (r.reason === "invalid_code" || r.attemptsLeft !== undefined),
    );
    const locked = results.filter((r) => !r.ok && r.reason === "locked");
    const busy = results.filter((r) => !r.ok && r.reason === "factors_changed");
    expect(checked.length + locked.length + busy.length).toBe(100);
    expect(results.some((r) => r.ok)).toBe(false);
    // Three codes checked, window ±1: at most 3 × 3 TOTP HMACs.
    const checks = macs.filter((m) => m.algorithm === "sha1" && Math.abs(m.step - current) <= 1);
    expect(checks.length).toBeLessThanOrEqual(9);
    // The hints: once per failure that did not lock (two), none for the locking one or the 97
    // refused during the lock, each within its own bound.
    const hints = macs.length - checks.length;
    expect(hints).toBeGreaterThan(0);
    expect(hints).toBeLessThanOrEqual(2 * (10 + 3 * 3));
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.failed")).toHaveLength(3);
    expect(kit.eventsOf("mfa.locked")).toHaveLength(1);
    expect(busy.every((r) => !r.ok && r.retryAfterMs === 1000)).toBe(true);
  });
});

describe("an attempt whose factors keep changing", () => {
  // A verification recomputes its checks from a fresh read when the store answers `stale`; when
  // the factors change under every try it gives up with a reason of its own (not `rate_limited`,
  // which means the user sent too much) and nothing is counted.
  it("answers factors_changed with a short wait after four tries, counting nothing", async () => {
    const store = memoryStore();
    const kit = testKit({ store });
    const { secret } = await userWithTotp(kit);
    const tries = vi
      .spyOn(store, "verifyAttempt")
      .mockResolvedValue({ ok: false, reason: "stale" });
    const result = await kit.mfa.verify({ userId: "alice", code: totpCode(secret, kit.clock.now) });
    expect(result).toEqual({ ok: false, reason: "factors_changed", retryAfterMs: 1000 });
    expect(tries).toHaveBeenCalledTimes(4);
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.failed")).toEqual([]);
    tries.mockRestore();
    // The next failure is the first one counted.
    expect((await kit.mfa.verify({ userId: "alice", code: "000000" })).ok).toBe(false);
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.failed")).toMatchObject([{ attemptsLeft: 2 }]);
  });

  it("is answered over HTTP with 503 and Retry-After, as a moment's unavailability", async () => {
    const store = memoryStore();
    const kit = testKit({ store });
    const { secret } = await userWithTotp(kit);
    vi.spyOn(store, "verifyAttempt").mockResolvedValue({ ok: false, reason: "stale" });
    const { call } = testHandler(kit);
    const r = await call("POST", mfaPath("verify", {}), {
      body: { code: totpCode(secret, kit.clock.now) },
    });
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("1");
    expect(r.body).toMatchObject({ status: 503, retryAfter: 1 });
    expect(String(r.body.detail)).toContain("factors changed");
  });
});

describe("the attempt queue across instances", () => {
  it("refuses from the store's lock another instance started, then from memory without asking", async () => {
    const store = memoryStore();
    const a = testKit({ store });
    const { secret } = await userWithTotp(a);
    const b = testKit({ store });
    b.clock.now = a.clock.now;
    await fail3(a, wrong(totpCode(secret, a.clock.now)));
    const tries = vi.spyOn(store, "verifyAttempt");
    const right = () => totpCode(secret, b.clock.now);
    expect(await b.mfa.verify({ userId: "alice", code: right() })).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 30_000,
    });
    expect(tries).toHaveBeenCalledTimes(1);
    b.tick(29_999);
    expect(await b.mfa.verify({ userId: "alice", code: right() })).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 1,
    });
    expect(tries).toHaveBeenCalledTimes(1);
    // The lock ends at its deadline exactly: the store is asked again, and the code passes.
    b.tick(1);
    expect((await b.mfa.verify({ userId: "alice", code: right() })).ok).toBe(true);
    expect(tries).toHaveBeenCalledTimes(2);
  });

  it("reads afresh when its snapshot names no factor, rather than answering factor_not_found", async () => {
    const store = memoryStore();
    const a = testKit({ store });
    const b = testKit({ store });
    // b caches alice without factors; she then enrolls her first one through a.
    await b.mfa.listFactors("alice");
    const { secret } = await userWithTotp(a);
    b.clock.now = a.clock.now;
    expect((await b.mfa.verify({ userId: "alice", code: totpCode(secret, b.clock.now) })).ok).toBe(
      true,
    );
    expect(await b.mfa.verify({ userId: "bob", code: "123456" })).toEqual({
      ok: false,
      reason: "factor_not_found",
    });
  });

  it("names the factor in mfa.failed when the attempt named one, and raises the lock level", async () => {
    const kit = testKit();
    const { secret, factorId } = await userWithTotp(kit);
    const bad = wrong(totpCode(secret, kit.clock.now));
    await kit.mfa.verify({ userId: "alice", factorId, code: bad });
    await kit.mfa.verify({ userId: "alice", code: bad });
    await kit.mfa.verify({ userId: "alice", code: bad });
    kit.tick(30_000);
    await fail3(kit, wrong(totpCode(secret, kit.clock.now)));
    await kit.mfa.flushEvents();
    const failed = kit.eventsOf("mfa.failed");
    expect(failed[0]).toMatchObject({ factorId });
    expect(failed[1]).not.toHaveProperty("factorId");
    expect(kit.eventsOf("mfa.locked").map((e) => e.level)).toEqual([1, 2]);
  });
});
