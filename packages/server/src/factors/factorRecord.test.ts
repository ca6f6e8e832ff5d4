import { describe, expect, it } from "vitest";
import type { KitContext } from "../context";
import type { FactorRecord } from "../stores/types";
import { countingStore, T0, testKit, totpCode } from "../testing/fixtures";
import {
  factorType,
  isActive,
  isLive,
  isLivePending,
  sealContext,
  toSummary,
} from "./factorRecord";

/** The parts of a kit's context that `toSummary` reads. */
const context = (now: number, webauthn: { reRegisterAfterMs: number } | undefined) =>
  ({ now: () => now, options: { webauthn } }) as unknown as KitContext;

describe("stored factor records", () => {
  it("know the five factor types the kit writes, and nothing else", () => {
    for (const type of ["totp", "hotp", "sms", "email", "webauthn"]) {
      expect(factorType({ type })).toBe(type);
    }
    for (const type of [undefined, "", "password", "TOTP"]) {
      expect(factorType({ ...(type === undefined ? {} : { type }) })).toBeNull();
    }
  });

  it("are active with the active status and a known type only", () => {
    expect(isActive({ type: "totp", status: "active" })).toBe(true);
    expect(isActive({ type: "totp", status: "pending" })).toBe(false);
    expect(isActive({ type: "password", status: "active" })).toBe(false);
    expect(isActive({ status: "active" })).toBe(false);
    expect(isActive(null)).toBe(false);
    expect(isActive(undefined)).toBe(false);
  });

  it("are live pending until pendingUntil, not at it, and never without one", () => {
    const pending: FactorRecord = { type: "sms", status: "pending", pendingUntil: "1000" };
    expect(isLivePending(pending, 999)).toBe(true);
    expect(isLivePending(pending, 1000)).toBe(false);
    expect(isLivePending({ ...pending, status: "active" }, 0)).toBe(false);
    expect(isLivePending({ ...pending, type: "password" }, 0)).toBe(false);
    expect(isLivePending({ type: "sms", status: "pending" }, 0)).toBe(false);
    expect(isLivePending({ type: "sms", status: "pending" }, -1)).toBe(false);
    expect(isLivePending({ ...pending, pendingUntil: "soon" }, 0)).toBe(false);
    expect(isLivePending({ ...pending, pendingUntil: "Infinity" }, 0)).toBe(false);
    expect(isLivePending(null, 0)).toBe(false);
  });

  it("are live when active, or pending and not expired", () => {
    const pending: FactorRecord = { type: "sms", status: "pending", pendingUntil: "1000" };
    expect(isLive({ type: "hotp", status: "active" }, 5000)).toBe(true);
    expect(isLive(pending, 999)).toBe(true);
    expect(isLive(pending, 1000)).toBe(false);
    expect(isLive({ type: "hotp", status: "disabled" }, 0)).toBe(false);
  });

  it("bind sealed values to the user and the factor", () => {
    expect(sealContext("alice", "f_1")).toBe("factor\nalice\nf_1");
  });
});

describe("the public view of a factor", () => {
  it("shows the id, type, status, creation time and what is set of label, hint and last use", () => {
    const ctx = context(T0, { reRegisterAfterMs: 1000 });
    expect(
      toSummary(ctx, "f_1", {
        type: "sms",
        status: "active",
        createdAt: "1700",
        label: "Phone",
        hint: "+1 ••• ••• 4567",
        lastUsedAt: "1800",
        to: "sealed",
        secret: "sealed",
      }),
    ).toEqual({
      id: "f_1",
      type: "sms",
      status: "active",
      createdAt: 1700,
      label: "Phone",
      hint: "+1 ••• ••• 4567",
      lastUsedAt: 1800,
    });
    const bare = toSummary(ctx, "f_2", { type: "email", status: "pending" });
    expect(bare).toEqual({ id: "f_2", type: "email", status: "pending", createdAt: 0 });
    for (const absent of ["label", "hint", "lastUsedAt"]) expect(bare).not.toHaveProperty(absent);
    expect(
      toSummary(ctx, "f_3", { status: "odd", createdAt: "later", label: "", lastUsedAt: "" }),
    ).toEqual({ id: "f_3", type: "totp", status: "pending", createdAt: 0 });
  });

  it("advises re-registering a single-device security key once webauthn.reRegisterAfterMs has passed", () => {
    const key: FactorRecord = {
      type: "webauthn",
      status: "active",
      createdAt: "1000",
      deviceType: "singleDevice",
    };
    expect(toSummary(context(1499, { reRegisterAfterMs: 500 }), "f_1", key)).toMatchObject({
      reRegisterAt: 1500,
      reRegister: false,
    });
    expect(toSummary(context(1500, { reRegisterAfterMs: 500 }), "f_1", key)).toMatchObject({
      reRegisterAt: 1500,
      reRegister: true,
    });
    // not for a synced passkey, another type, or without WebAuthn configured
    for (const [record, webauthn] of [
      [{ ...key, deviceType: "multiDevice" }, { reRegisterAfterMs: 500 }],
      [{ ...key, type: "totp" }, { reRegisterAfterMs: 500 }],
      [key, undefined],
    ] as const) {
      const summary = toSummary(context(5000, webauthn), "f_1", record);
      expect(summary).not.toHaveProperty("reRegisterAt");
      expect(summary).not.toHaveProperty("reRegister");
    }
  });
});

describe("new pending factors", () => {
  it("get ids of f_ and 96 random bits", async () => {
    const kit = testKit();
    const { factorId } = await kit.mfa.enrollTotp("alice");
    expect(factorId).toMatch(/^f_[\w-]{16}$/);
  });

  it("keep at most enrollment.maxPending per user, dropping the oldest", async () => {
    const kit = testKit({ enrollment: { maxPending: 2 } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await kit.mfa.enrollTotp("alice")).factorId);
      kit.tick(1);
    }
    expect(Object.keys(kit.store.dump().factors.alice!).sort()).toEqual(ids.slice(1).sort());
  });

  it("drop the instance's snapshot, so the next verification reads them", async () => {
    const { store, calls } = countingStore();
    const kit = testKit({ store });
    await kit.mfa.listFactors("alice");
    const { factorId, secret } = await kit.mfa.enrollTotp("alice");
    expect((await kit.mfa.listFactors("alice")).factors.map((f) => f.id)).toEqual([factorId]);
    const activated = await kit.mfa.activateFactor(
      "alice",
      factorId,
      totpCode(secret, kit.clock.now),
    );
    expect(activated.ok).toBe(true);
    // A verification after an enrollment reads the factors first: the snapshot was dropped.
    await kit.mfa.listFactors("alice");
    const { factorId: second } = await kit.mfa.enrollTotp("alice");
    calls.length = 0;
    await kit.mfa.verify({ userId: "alice", code: "000000" });
    expect(calls.slice(0, 2)).toEqual(["loadFactors", "verifyAttempt"]);
    expect(second).not.toBe(factorId);
  });
});
