import { describe, expect, test } from "vitest";
import { createFaultInjector } from "./faultInjector";

describe("fault injector", () => {
  test("fails exactly the next N requests, then none", () => {
    const faults = createFaultInjector();
    faults.arm({ status: 503, retryAfterSeconds: 2 }, 2);
    expect(faults.armed).toEqual({ status: 503, retryAfterSeconds: 2, remaining: 2 });
    expect(faults.take()).toEqual({ status: 503, retryAfterSeconds: 2 });
    expect(faults.take()).toEqual({ status: 503, retryAfterSeconds: 2 });
    expect(faults.take()).toBeNull();
    expect(faults.armed).toBeNull();
  });

  test("refuses statuses, counts and delays outside the demo's range", () => {
    const faults = createFaultInjector();
    expect(() => faults.arm({ status: 500 as 503, retryAfterSeconds: 1 }, 1)).toThrow(/429 or 503/);
    expect(() => faults.arm({ status: 429, retryAfterSeconds: 1 }, 0)).toThrow(/1 to 20/);
    expect(() => faults.arm({ status: 429, retryAfterSeconds: -1 }, 1)).toThrow(/0 to 120/);
    expect(() => faults.arm({ status: 429, retryAfterSeconds: 1.5 }, 1)).toThrow(/0 to 120/);
    expect(faults.armed).toBeNull();
  });
});
