import { describe, expect, it, vi } from "vitest";
import { SingleFlight } from "./singleFlight";

describe("SingleFlight", () => {
  it("runs a task once for concurrent callers and again after it settles", async () => {
    const flight = new SingleFlight<number>();
    let n = 0;
    const task = vi.fn(async () => ++n);
    const [a, b] = await Promise.all([flight.run(task), flight.run(task)]);
    expect([a, b]).toEqual([1, 1]);
    await Promise.resolve();
    expect(await flight.run(task)).toBe(2);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it("shares a failure and lets the next call try again", async () => {
    const flight = new SingleFlight<number>();
    const failing = flight.run(async () => Promise.reject(new Error("no")));
    await expect(Promise.all([failing, flight.run(async () => 1)])).rejects.toThrow("no");
    await Promise.resolve();
    expect(flight.current).toBeNull();
    expect(await flight.run(async () => 2)).toBe(2);
  });
});
