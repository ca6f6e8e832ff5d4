import { describe, expect, it } from "vitest";
import { DEFAULT_BASE_PATH, MfaRoutes, mfaPath } from "./routes";

describe("mfaPath", () => {
  it("puts a route under the default base path", () => {
    expect(DEFAULT_BASE_PATH).toBe("/mfa");
    expect(mfaPath("verify")).toBe("/mfa/verify");
    expect(mfaPath("listFactors")).toBe("/mfa/factors");
  });

  it("fills in the factor id, URI-encoded", () => {
    expect(mfaPath("activateFactor", { factorId: "f1" })).toBe("/mfa/factors/f1/activate");
    expect(mfaPath("removeFactor", { factorId: "a/b c?" })).toBe("/mfa/factors/a%2Fb%20c%3F");
  });

  it("uses a configured base path, with or without a trailing slash", () => {
    expect(mfaPath("verify", {}, "/api/mfa/")).toBe("/api/mfa/verify");
    expect(mfaPath("verify", {}, "https://api.example.com/auth//")).toBe(
      "https://api.example.com/auth/verify",
    );
    expect(mfaPath("verify", {}, "")).toBe("/verify");
  });

  it("has one distinct path per route, each starting with a slash", () => {
    // Renaming and removing act on the same resource (PATCH and DELETE of one factor).
    expect(MfaRoutes.renameFactor).toBe(MfaRoutes.removeFactor);
    const paths = Object.entries(MfaRoutes)
      .filter(([name]) => name !== "renameFactor")
      .map(([, path]) => path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const path of paths) expect(path).toMatch(/^\/[a-z/:-]+[a-z]$/i);
  });
});
