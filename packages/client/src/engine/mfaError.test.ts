import { describe, expect, it, vi } from "vitest";
import { MfaError, noResponse } from "./mfaError";
import { abortable, abortError, sleep } from "./wait";

describe("MfaError", () => {
  it("carries its code, status, problem and cause", () => {
    const cause = new Error("root");
    const e = new MfaError("LOCKED", "Locked.", { status: 429, retryAfterMs: 30_000, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({
      name: "MfaError",
      code: "LOCKED",
      status: 429,
      retryAfterMs: 30_000,
      cause,
    });
    expect(e.message).toBe("Locked.");
  });

  it("names the kit's problem it carries, and no other", () => {
    const expired = {
      type: "urn:mfa-kit:problem:code-expired",
      title: "Code expired",
      status: 400,
    };
    expect(new MfaError("INVALID_CODE", "x", { problem: expired }).problemName).toBe(
      "code_expired",
    );
    const foreign = { type: "https://example.com/probs/out-of-credit", title: "x", status: 400 };
    expect(new MfaError("INVALID_CODE", "x", { problem: foreign }).problemName).toBeUndefined();
    expect(new MfaError("NETWORK", "x").problemName).toBeUndefined();
  });

  it("is recognised by instanceof across two copies of the module (ESM and CJS builds)", async () => {
    const copy = (await import("./mfaError?copy" as string)) as typeof import("./mfaError");
    expect(copy.MfaError).not.toBe(MfaError);
    const foreign = new copy.MfaError("NETWORK", "x");
    expect(foreign).toBeInstanceOf(MfaError);
    expect(new MfaError("NETWORK", "x")).toBeInstanceOf(copy.MfaError);
  });

  it("is not fooled by look-alikes", () => {
    expect({ code: "NETWORK", name: "MfaError" }).not.toBeInstanceOf(MfaError);
    expect(new Error("x")).not.toBeInstanceOf(MfaError);
    expect(null).not.toBeInstanceOf(MfaError);
  });
});

describe("noResponse", () => {
  it("names why there was no response", () => {
    const cause = new Error("socket hang up");
    expect(noResponse("abort", cause)).toMatchObject({
      code: "ABORTED",
      message: "No response (abort).",
      cause,
    });
    expect(noResponse("timeout", cause)).toMatchObject({
      code: "TIMEOUT",
      message: "No response (timeout).",
    });
    expect(noResponse("network", cause)).toMatchObject({
      code: "NETWORK",
      message: "No response (network).",
    });
    expect(noResponse(undefined, cause)).toMatchObject({
      code: "NETWORK",
      message: "No response (network).",
    });
  });
});

describe("abortable and sleep", () => {
  it("reject with ABORTED and the signal's reason as soon as it aborts, or at once when it has", async () => {
    const controller = new AbortController();
    const pending = abortable(new Promise(() => {}), controller.signal);
    controller.abort("user left");
    await expect(pending).rejects.toMatchObject({ code: "ABORTED", cause: "user left" });
    await expect(abortable(Promise.resolve(1), controller.signal)).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(abortError(undefined)).toMatchObject({ code: "ABORTED", message: "Aborted." });
  });

  it("settle as the promise does without a signal or before an abort", async () => {
    await expect(abortable(Promise.resolve(1), undefined)).resolves.toBe(1);
    const controller = new AbortController();
    await expect(abortable(Promise.reject(new Error("no")), controller.signal)).rejects.toThrow(
      "no",
    );
    await expect(abortable(Promise.resolve(2), controller.signal)).resolves.toBe(2);
  });

  it("sleep waits the time given, on fake timers", async () => {
    vi.useFakeTimers();
    try {
      let done = false;
      void sleep(1_000, undefined).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
      const controller = new AbortController();
      const aborted = sleep(60_000, controller.signal);
      controller.abort();
      await expect(aborted).rejects.toMatchObject({ code: "ABORTED" });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
