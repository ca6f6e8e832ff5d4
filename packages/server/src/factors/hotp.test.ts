import { describe, expect, it } from "vitest";
import { memoryStore } from "../stores/memory";
import { hotpCode, testKit } from "../testing/fixtures";
import { codesEqual, normalizeCode } from "./hotp";

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

  // Defaults: hotp.lookAhead 10, hotp.resyncWindow 100; the activation used counter 0, so the
  // factor's counter is 1.
  it("accepts a code up to lookAhead counters ahead, and asks for a resync just past it", async () => {
    const { kit, secret, factorId } = await userWithHotp();
    kit.tick(5_000);
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 11) })).ok).toBe(true);
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("12");
    expect((await kit.mfa.listFactors("alice")).factors[0]?.lastUsedAt).toBe(kit.clock.now);
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 23) })).toMatchObject({
      ok: false,
      reason: "resync_required",
    });
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("12");
  });

  it("resynchronises from the last counter of the resync window, not from one past it", async () => {
    const edge = await userWithHotp();
    expect(
      await edge.kit.mfa.verify({ userId: "alice", code: hotpCode(edge.secret, 101) }),
    ).toMatchObject({ ok: false, reason: "resync_required" });
    expect(
      (await edge.kit.mfa.verify({ userId: "alice", code: hotpCode(edge.secret, 102) })).ok,
    ).toBe(true);
    expect(edge.kit.store.dump().factors.alice![edge.factorId]!.counter).toBe("103");

    const past = await userWithHotp();
    expect(
      await past.kit.mfa.verify({ userId: "alice", code: hotpCode(past.secret, 102) }),
    ).toMatchObject({ ok: false, reason: "invalid_code" });
    expect(
      (await past.kit.mfa.verify({ userId: "alice", code: hotpCode(past.secret, 103) })).ok,
    ).toBe(false);
    expect(past.kit.store.dump().factors.alice![past.factorId]!.counter).toBe("1");
  });

  it("forgets a pending resync after five minutes", async () => {
    const { kit, secret, factorId } = await userWithHotp();
    await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 50) });
    kit.tick(300_001);
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 51) })).toMatchObject({
      ok: false,
      reason: "resync_required",
    });
    expect(kit.store.dump().factors.alice![factorId]!.counter).toBe("1");
    // the second try became the pending one: its successor resynchronises
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 52) })).ok).toBe(true);
  });

  it("calls the three codes just behind the counter reused, and an older one wrong", async () => {
    const kit = testKit({ limits: { maxFailures: 100 } });
    const { factorId, secret } = await kit.mfa.enrollHotp("alice");
    await kit.mfa.activateFactor("alice", factorId, hotpCode(secret, 0));
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 4) })).ok).toBe(true);
    // the counter is now 5: 4, 3 and 2 are just behind it, 1 is not
    for (const counter of [4, 3, 2]) {
      expect(
        await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, counter) }),
      ).toMatchObject({ ok: false, reason: "code_reused" });
    }
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 1) })).toMatchObject({
      ok: false,
      reason: "invalid_code",
    });
  });
});

describe("HOTP checks", () => {
  it("count a malformed code as a wrong one", async () => {
    const { kit } = await userWithHotp();
    expect(await kit.mfa.verify({ userId: "alice", code: "12a456" })).toEqual({
      ok: false,
      reason: "invalid_code",
      attemptsLeft: 2,
    });
  });

  it("keep a pending resync per factor: another token's next code does not complete it", async () => {
    const kit = testKit({ limits: { maxFailures: 100 } });
    const tokens = [];
    for (const label of ["a", "b"]) {
      const { factorId, secret } = await kit.mfa.enrollHotp("alice", { label });
      const proof = tokens.length === 0 ? {} : { sessionToken: tokens[0]!.session };
      const activated = await kit.mfa.activateFactor("alice", factorId, hotpCode(secret, 0), proof);
      if (!activated.ok) throw new Error(activated.reason);
      tokens.push({ factorId, secret, session: activated.session?.token });
    }
    const [a, b] = tokens as [(typeof tokens)[0], (typeof tokens)[0]];
    expect(
      await kit.mfa.verify({ userId: "alice", factorId: a.factorId, code: hotpCode(a.secret, 50) }),
    ).toMatchObject({ ok: false, reason: "resync_required" });
    expect(
      await kit.mfa.verify({ userId: "alice", factorId: b.factorId, code: hotpCode(b.secret, 51) }),
    ).toMatchObject({ ok: false, reason: "resync_required" });
    expect(kit.store.dump().factors.alice![b.factorId]!.counter).toBe("1");
    // a's own next code completes a's resync
    expect(
      (
        await kit.mfa.verify({
          userId: "alice",
          factorId: a.factorId,
          code: hotpCode(a.secret, 51),
        })
      ).ok,
    ).toBe(true);
  });

  it("read again on an instance whose snapshot is older: a replay is refused, a near code taken", async () => {
    const store = memoryStore();
    const a = testKit({ store });
    const b = testKit({ store, now: () => a.clock.now });
    const { factorId, secret } = await a.mfa.enrollHotp("alice");
    await a.mfa.activateFactor("alice", factorId, hotpCode(secret, 0));
    await a.mfa.listFactors("alice"); // a's snapshot: counter 1
    expect((await b.mfa.verify({ userId: "alice", code: hotpCode(secret, 1) })).ok).toBe(true);
    expect(await a.mfa.verify({ userId: "alice", code: hotpCode(secret, 1) })).toMatchObject({
      ok: false,
      reason: "code_reused",
    });
    expect(store.dump().factors.alice![factorId]!.counter).toBe("2");
    // b moves the counter on to 32; from a's snapshot, 40 would be far ahead: a reads again
    for (const counter of [11, 21, 31]) {
      expect((await b.mfa.verify({ userId: "alice", code: hotpCode(secret, counter) })).ok).toBe(
        true,
      );
    }
    expect((await a.mfa.verify({ userId: "alice", code: hotpCode(secret, 40) })).ok).toBe(true);
    expect(store.dump().factors.alice![factorId]!.counter).toBe("41");
  });
});

describe("HOTP without look-ahead", () => {
  it("asks for a resync on the very next counter's successor, and calls the last code reused", async () => {
    const kit = testKit({ hotp: { lookAhead: 0 }, limits: { maxFailures: 100 } });
    const { factorId, secret } = await kit.mfa.enrollHotp("alice");
    await kit.mfa.activateFactor("alice", factorId, hotpCode(secret, 0));
    // the counter is 1: 2 is past a look-ahead of 0
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 2) })).toMatchObject({
      ok: false,
      reason: "resync_required",
    });
    expect(await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 0) })).toMatchObject({
      ok: false,
      reason: "code_reused",
    });
    expect((await kit.mfa.verify({ userId: "alice", code: hotpCode(secret, 1) })).ok).toBe(true);
  });
});

describe("normalizeCode and codesEqual", () => {
  it("read a code of exactly the factor's digits, spaces and hyphens dropped, of at most 64 characters", () => {
    expect(normalizeCode(" 123-456 ", 6)).toBe("123456");
    expect(normalizeCode("12345", 6)).toBeNull();
    expect(normalizeCode("1234567", 6)).toBeNull();
    expect(normalizeCode("12345678", 8)).toBe("12345678");
    expect(normalizeCode("12a456", 6)).toBeNull();
    expect(normalizeCode("１２３４５６", 6)).toBeNull();
    expect(normalizeCode(123456, 6)).toBeNull();
    const padded = (length: number) => `123${" ".repeat(length - 6)}456`;
    expect(normalizeCode(padded(64), 6)).toBe("123456");
    expect(normalizeCode(padded(65), 6)).toBeNull();
  });

  it("compare every digit and the length", () => {
    expect(codesEqual("123456", "123456")).toBe(true);
    expect(codesEqual("123456", "123457")).toBe(false);
    expect(codesEqual("923456", "123456")).toBe(false);
    expect(codesEqual("12345", "123456")).toBe(false);
    expect(codesEqual("123456", "12345")).toBe(false);
  });
});
