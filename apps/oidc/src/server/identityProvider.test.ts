import { describe, expect, it } from "vitest";
import { satisfies } from "./identityProvider";

describe("satisfies", () => {
  it("accepts a session at or above one of the requested classes", () => {
    expect(satisfies("mfa", "mfa")).toBe(true);
    expect(satisfies("phr", "mfa")).toBe(true);
    expect(satisfies("mfa", "phr mfa")).toBe(true);
    expect(satisfies("pwd", undefined)).toBe(true);
    expect(satisfies("pwd", "")).toBe(true);
  });

  it("refuses a weaker session, and a session of no known class when one is asked for", () => {
    expect(satisfies("pwd", "mfa")).toBe(false);
    expect(satisfies("mfa", "phr")).toBe(false);
    expect(satisfies(undefined, "mfa")).toBe(false);
    expect(satisfies("gold", "pwd")).toBe(false);
  });

  it("ignores requested classes it does not issue", () => {
    expect(satisfies("pwd", "urn:unknown")).toBe(true);
    expect(satisfies("pwd", "urn:unknown mfa")).toBe(false);
  });
});
