import { describe, expect, it } from "vitest";
import { MfaError } from "./mfaError";

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
