import { describe, expect, test } from "vitest";
import { createTransferBook, OPENING_BALANCE, readTransferOrder } from "./transferBook";

const book = () => {
  let n = 0;
  return createTransferBook({ now: () => 5, newId: () => `t${++n}` });
};

describe("transfers", () => {
  test("reads a valid order and names every invalid field", () => {
    expect(readTransferOrder({ to: " Alex ", amount: 12.5, memo: "lunch" })).toEqual({
      ok: true,
      order: { to: "Alex", amount: 12.5, memo: "lunch" },
    });
    const bad = readTransferOrder({ to: "", amount: 0.001, memo: 4 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(["amount", "memo", "to"]);
    for (const amount of [-1, 0, Number.NaN, 10_000.01, "5", null]) {
      expect(readTransferOrder({ to: "A", amount }).ok).toBe(false);
    }
  });

  test("debits the balance and refuses an amount above it", () => {
    const b = book();
    expect(b.execute("u", { to: "A", amount: 100 }, null)).toMatchObject({
      ok: true,
      balance: OPENING_BALANCE - 100,
    });
    expect(b.execute("u", { to: "A", amount: OPENING_BALANCE }, null)).toMatchObject({
      ok: false,
      reason: "insufficient_funds",
    });
    expect(b.list("u")).toHaveLength(1);
  });

  test("the same idempotency key with the same order executes once", () => {
    const b = book();
    const first = b.execute("u", { to: "A", amount: 10 }, "k1");
    const again = b.execute("u", { to: "A", amount: 10 }, "k1");
    expect(again).toMatchObject({ ok: true, replayed: true });
    if (first.ok && again.ok) expect(again.transfer.id).toBe(first.transfer.id);
    expect(b.balance("u")).toBe(OPENING_BALANCE - 10);
    expect(b.execute("u", { to: "B", amount: 10 }, "k1")).toMatchObject({
      ok: false,
      reason: "idempotency_mismatch",
    });
  });

  test("keys and balances are per user", () => {
    const b = book();
    b.execute("u", { to: "A", amount: 10 }, "k1");
    expect(b.execute("v", { to: "A", amount: 10 }, "k1")).toMatchObject({
      ok: true,
      replayed: false,
    });
    expect(b.balance("v")).toBe(OPENING_BALANCE - 10);
  });
});
