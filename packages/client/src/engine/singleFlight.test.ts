import { describe, expect, it, vi } from "vitest";
import { singleFlight } from "./singleFlight";

describe("singleFlight", () => {
  it("runs a task once for concurrent callers and again after it settles", async () => {
    let n = 0;
    const task = vi.fn(async (step: number) => (n += step));
    const flight = singleFlight(task);
    const [a, b] = await Promise.all([flight(1), flight(10)]);
    expect([a, b]).toEqual([1, 1]);
    expect(task).toHaveBeenCalledWith(1);
    expect(flight.current()).toBeNull();
    expect(await flight(1)).toBe(2);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it("shares a failure and lets the next call try again", async () => {
    let fail = true;
    const flight = singleFlight(async () => {
      if (fail) throw new Error("no");
      return 2;
    });
    const failing = flight(undefined);
    expect(flight.current()).toBe(failing);
    await expect(Promise.all([failing, flight(undefined)])).rejects.toThrow("no");
    expect(flight.current()).toBeNull();
    fail = false;
    expect(await flight(undefined)).toBe(2);
  });
});
