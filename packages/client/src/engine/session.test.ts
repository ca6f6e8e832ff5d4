import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toSession } from "./session";

describe("toSession", () => {
  it("keeps a verify answer and fills in missing acr and amr", () => {
    expect(toSession({ token: "s", expiresAt: 2, authTime: 1, acr: "mfa", amr: ["otp"] })).toEqual({
      token: "s",
      expiresAt: 2,
      authTime: 1,
      acr: "mfa",
      amr: ["otp"],
    });
    expect(toSession({ token: "s", expiresAt: 2, authTime: 1 })).toMatchObject({
      acr: "",
      amr: [],
    });
  });

  it("turns anything else into null without throwing", () => {
    fc.assert(
      fc.property(fc.anything(), (body) => {
        const s = toSession(body);
        if (s !== null) {
          expect(typeof s.token).toBe("string");
          expect(Number.isFinite(s.expiresAt)).toBe(true);
        }
      }),
    );
    expect(toSession({ token: "", expiresAt: 2, authTime: 1 })).toBeNull();
    expect(toSession({ token: "s", expiresAt: "2", authTime: 1 })).toBeNull();
  });
});
