import { describe, expect, it } from "vitest";
import { BoundedMap } from "../boundedMap";
import type { KitContext } from "../context";
import { memoryStore } from "../stores/memory";
import type { CredentialCheck, UserFactors } from "../stores/types";
import { countingStore, type TestKit, testKit, totpCode, userWithTotp } from "../testing/fixtures";
import { softAuthenticator } from "../testing/softAuthenticator";
import { cachedFactors, forgetFactors, loadFactors, updateCachedFactors } from "./factorCache";

/** Two kits (two server instances) on one store, on one clock. */
function twoInstances() {
  const store = memoryStore();
  const a = testKit({ store });
  const b = testKit({ store, now: () => a.clock.now });
  return { a, b };
}

const countCalls = async (calls: string[], work: () => Promise<unknown>) => {
  const from = calls.length;
  await work();
  return calls.slice(from);
};

describe("verifications from the instance's snapshot of the user's factors", () => {
  it("take one store call once the instance has read the user's factors", async () => {
    const { store, calls } = countingStore();
    const kit = testKit({ store });
    const { secret, factorId, backupCodes } = await userWithTotp(kit);
    await kit.mfa.listFactors("alice");
    const code = totpCode(secret, kit.clock.now);
    expect(
      await countCalls(calls, () => kit.mfa.verify({ userId: "alice", factorId, code })),
    ).toEqual(["verifyAttempt"]);
    expect(
      await countCalls(calls, () =>
        kit.mfa.verify({ userId: "alice", backupCode: backupCodes[0]! }),
      ),
    ).toEqual(["verifyAttempt"]);
    // A failure too: the lock, the count and the answer come from the same call.
    expect(
      await countCalls(calls, () => kit.mfa.verify({ userId: "alice", code: "000000" })),
    ).toEqual(["verifyAttempt"]);
  });

  it("serve from the snapshot for five minutes after the read, then read again", async () => {
    const { store, calls } = countingStore();
    const kit = testKit({ store, limits: { maxFailures: 100 } });
    await userWithTotp(kit);
    await kit.mfa.listFactors("alice");
    kit.tick(299_999);
    expect(
      await countCalls(calls, () => kit.mfa.verify({ userId: "alice", code: "000000" })),
    ).toEqual(["verifyAttempt"]);
    kit.tick(1);
    expect(
      await countCalls(calls, () => kit.mfa.verify({ userId: "alice", code: "000000" })),
    ).toEqual(["loadFactors", "verifyAttempt"]);
  });

  it("read the factors again after this instance regenerated the backup codes", async () => {
    const { store, calls } = countingStore();
    const kit = testKit({ store });
    await userWithTotp(kit);
    await kit.mfa.listFactors("alice");
    const { backupCodes } = await kit.mfa.regenerateBackupCodes("alice");
    expect(
      await countCalls(calls, () =>
        kit.mfa.verify({ userId: "alice", backupCode: backupCodes[0]! }),
      ),
    ).toEqual(["loadFactors", "verifyAttempt"]);
  });

  it("take one store call for a security key after its challenge was started", async () => {
    const { store, calls } = countingStore();
    const kit = testKit({ store });
    const key = await softAuthenticator("example.com", "https://example.com", { counter: 5 });
    const options = (await kit.mfa.webauthnRegistrationOptions("alice")) as { challenge: string };
    const registered = await kit.mfa.verifyWebauthnRegistration(
      "alice",
      await key.register(options),
    );
    if (!registered.ok) throw new Error(registered.reason);
    const started = await kit.mfa.startChallenge("alice", registered.factor.id);
    if (!started.ok) throw new Error(started.reason);
    const assertion = await key.authenticate(started.webauthnOptions as { challenge: string });
    const verified = await countCalls(calls, async () => {
      const result = await kit.mfa.verify({ userId: "alice", webauthn: assertion });
      expect(result).toMatchObject({ ok: true, session: { acr: "phr" } });
    });
    expect(verified).toEqual(["verifyAttempt"]);
  });

  it("read the factors first on an instance that has no snapshot", async () => {
    const { store, calls } = countingStore();
    const { secret, factorId } = await userWithTotp(testKit({ store }));
    const fresh = testKit({ store });
    fresh.clock.now += 30_000;
    const code = totpCode(secret, fresh.clock.now);
    expect(
      await countCalls(calls, () => fresh.mfa.verify({ userId: "alice", factorId, code })),
    ).toEqual(["loadFactors", "verifyAttempt"]);
  });

  it("accept a code of a factor another instance enrolled since the snapshot", async () => {
    const { a, b } = twoInstances();
    const { sessionToken } = await userWithTotp(a);
    await a.mfa.listFactors("alice");
    const { factorId, secret } = await b.mfa.enrollTotp("alice");
    const code = totpCode(secret, a.clock.now);
    expect((await b.mfa.activateFactor("alice", factorId, code, { sessionToken })).ok).toBe(true);
    a.tick(30_000);
    expect((await a.mfa.verify({ userId: "alice", code: totpCode(secret, a.clock.now) })).ok).toBe(
      true,
    );
  });

  it("refuse a factor another instance removed, without counting a failure", async () => {
    const { a, b } = twoInstances();
    const { factorId, secret } = await userWithTotp(a);
    await a.mfa.listFactors("alice");
    await b.mfa.enrollContact("alice", { channel: "email", to: "alice@acme.test" });
    expect(await b.mfa.removeFactor("alice", factorId)).toEqual({ ok: true });
    const code = totpCode(secret, a.clock.now);
    expect(await a.mfa.verify({ userId: "alice", factorId, code })).toEqual({
      ok: false,
      reason: "factor_not_found",
    });
    expect(await a.mfa.verify({ userId: "alice", code: "000000" })).toMatchObject({
      reason: "factor_not_found",
    });
    await a.mfa.flushEvents();
    expect(a.eventsOf("mfa.failed")).toHaveLength(0);
  });

  it("follow backup codes another instance regenerated", async () => {
    const { a, b } = twoInstances();
    const { backupCodes: old } = await userWithTotp(a);
    await a.mfa.listFactors("alice");
    const { backupCodes: fresh } = await b.mfa.regenerateBackupCodes("alice");
    expect(await a.mfa.verify({ userId: "alice", backupCode: old[0]! })).toMatchObject({
      reason: "invalid_code",
    });
    expect((await a.mfa.verify({ userId: "alice", backupCode: fresh[0]! })).ok).toBe(true);
  });

  it("follow the drift and the last step another instance remembered", async () => {
    const { a, b } = twoInstances();
    const { secret, factorId } = await userWithTotp(a);
    await a.mfa.listFactors("alice");
    // B accepts the next step's code: the factor now remembers a drift of +1 and that step.
    const ahead = totpCode(secret, a.clock.now + 30_000);
    expect((await b.mfa.verify({ userId: "alice", factorId, code: ahead })).ok).toBe(true);
    // A's snapshot predates both: the code is refused as used, not as wrong, and not twice.
    expect(await a.mfa.verify({ userId: "alice", factorId, code: ahead })).toMatchObject({
      reason: "code_reused",
    });
    a.tick(60_000);
    const next = totpCode(secret, a.clock.now + 30_000);
    expect((await a.mfa.verify({ userId: "alice", factorId, code: next })).ok).toBe(true);
  });

  const lockedKit = async (): Promise<TestKit> => {
    const kit = testKit();
    await userWithTotp(kit);
    for (let i = 0; i < 3; i++) await kit.mfa.verify({ userId: "alice", code: "000000" });
    return kit;
  };

  it("refuse a locked user at once, and try again when the lock is over", async () => {
    const kit = await lockedKit();
    expect(await kit.mfa.verify({ userId: "alice", code: "000000" })).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMs: 30_000,
    });
    kit.tick(30_000);
    expect(await kit.mfa.verify({ userId: "alice", code: "000000" })).toMatchObject({
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });
});

describe("the snapshot functions", () => {
  /** The parts of a kit's context the snapshot reads: a store with one user, a clock, the map. */
  function snapshotContext() {
    const clock = { now: 1_000 };
    const reads: string[] = [];
    const user = (): UserFactors => ({
      rev: "r1",
      factors: {
        f_1: { type: "hotp", status: "active", counter: "4", lastUsedAt: "10" },
        f_2: { type: "totp", status: "active", lastStep: "7" },
      },
      backupCodes: { salt: "salt", remaining: 10 },
    });
    const ctx = {
      now: () => clock.now,
      factors: new BoundedMap<string, { value: UserFactors; until: number }>(10),
      store: {
        loadFactors: async (userId: string) => {
          reads.push(userId);
          return user();
        },
      },
    } as unknown as KitContext;
    return { ctx, clock, reads };
  }

  const counter = (
    factorId: string | undefined,
    field: string,
    value: number,
    patch?: Record<string, string>,
  ): CredentialCheck =>
    ({
      ...(factorId === undefined ? {} : { factorId }),
      acr: "mfa",
      amr: ["otp"],
      kind: "counter",
      field,
      value,
      ...(patch ? { patch } : {}),
    }) as CredentialCheck;

  it("serve a read for five minutes, then read again", async () => {
    const { ctx, clock, reads } = snapshotContext();
    const first = await loadFactors(ctx, "alice");
    clock.now += 299_999;
    expect(await cachedFactors(ctx, "alice")).toEqual({ value: first, cached: true });
    expect((await cachedFactors(ctx, "alice")).value).toBe(first);
    clock.now += 1;
    const again = await cachedFactors(ctx, "alice");
    expect(again.cached).toBe(false);
    expect(again.value).not.toBe(first);
    expect(reads).toEqual(["alice", "alice"]);
    forgetFactors(ctx, "alice");
    expect((await cachedFactors(ctx, "alice")).cached).toBe(false);
  });

  it("write a passing check's counter and patch into the snapshot", async () => {
    const { ctx } = snapshotContext();
    const user = await loadFactors(ctx, "alice");
    updateCachedFactors(
      ctx,
      "alice",
      user,
      counter("f_1", "counter", 6, { lastUsedAt: "99" }),
      undefined,
    );
    expect(user.factors.f_1).toEqual({
      type: "hotp",
      status: "active",
      counter: "6",
      lastUsedAt: "99",
    });
    expect(user.factors.f_2).toEqual({ type: "totp", status: "active", lastStep: "7" });
    expect(user.backupCodes).toEqual({ salt: "salt", remaining: 10 });
    expect((await cachedFactors(ctx, "alice")).value).toBe(user);
  });

  it("write a patch without a counter, and nothing for a check of no known factor", async () => {
    const { ctx } = snapshotContext();
    const user = await loadFactors(ctx, "alice");
    const match = {
      factorId: "f_2",
      acr: "phr",
      amr: ["hwk"],
      kind: "match",
      patch: { lastUsedAt: "50" },
    } as CredentialCheck;
    updateCachedFactors(ctx, "alice", user, match, undefined);
    expect(user.factors.f_2).toEqual({
      type: "totp",
      status: "active",
      lastStep: "7",
      lastUsedAt: "50",
    });
    const before = structuredClone(user.factors);
    updateCachedFactors(ctx, "alice", user, counter(undefined, "counter", 9), undefined);
    updateCachedFactors(ctx, "alice", user, counter("f_9", "counter", 9), undefined);
    expect(user.factors).toEqual(before);
  });

  it("count a used backup code in the snapshot, keeping the salt", async () => {
    const { ctx } = snapshotContext();
    const user = await loadFactors(ctx, "alice");
    const used = { acr: "mfa", amr: ["otp"], kind: "backupCode", hash: "h" } as CredentialCheck;
    updateCachedFactors(ctx, "alice", user, used, 9);
    expect(user.backupCodes).toEqual({ salt: "salt", remaining: 9 });
    const none: UserFactors = { rev: "r2", factors: {}, backupCodes: null };
    ctx.factors.set("bob", { value: none, until: 5_000 });
    updateCachedFactors(ctx, "bob", none, used, 3);
    expect(none.backupCodes).toBeNull();
  });

  it("leave a snapshot alone that is no longer the user's", async () => {
    const { ctx } = snapshotContext();
    const old = await loadFactors(ctx, "alice");
    const current = await loadFactors(ctx, "alice");
    updateCachedFactors(ctx, "alice", old, counter("f_1", "counter", 6), 2);
    expect(old.factors.f_1!.counter).toBe("4");
    expect(old.backupCodes).toEqual({ salt: "salt", remaining: 10 });
    expect(current.factors.f_1!.counter).toBe("4");
    forgetFactors(ctx, "alice");
    updateCachedFactors(ctx, "alice", current, counter("f_1", "counter", 6), 2);
    expect(current.factors.f_1!.counter).toBe("4");
  });
});
