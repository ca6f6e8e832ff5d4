import { PROBLEM_CONTENT_TYPE } from "@mfa-kit/protocol";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createDemoApi } from "./createDemoApi";
import { DEMO_USER } from "./demoUser";

const ORIGIN = "http://demo.test";

const PATHS = [
  "/api/auth/signin",
  "/api/auth/signup",
  "/api/auth/refresh",
  "/api/auth/signout",
  "/api/profile",
  "/api/transfers",
  "/api/password",
  "/demo/state",
  "/demo/clock",
  "/demo/device",
  "/demo/totp-codes",
  "/demo/events",
  "/mfa/totp/enroll",
  "/mfa/factors",
  "/mfa/factors/f_x/activate",
  "/mfa/factors/%00",
  "/mfa/verify",
  "/mfa/challenge",
  "/mfa/session/refresh",
  "/mfa/backup-codes/regenerate",
  "/api/nothing",
];

describe("the reference API under arbitrary input", () => {
  test("never answers 5xx, and every error is problem+json", async () => {
    const api = createDemoApi({ passwordIterations: 1_000 });
    const signIn = await api.handleRequest(
      new Request(`${ORIGIN}/api/auth/signin`, {
        method: "POST",
        body: JSON.stringify({ username: DEMO_USER.username, password: DEMO_USER.password }),
      }),
    );
    const { accessToken } = (await signIn.json()) as { accessToken: string };

    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .record({
          username: fc.anything(),
          password: fc.anything(),
          to: fc.anything(),
          amount: fc.oneof(fc.double(), fc.integer(), fc.string()),
          code: fc.anything(),
          skewMs: fc.anything(),
          device: fc.anything(),
          refreshToken: fc.anything(),
          newPassword: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATHS),
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        body,
        fc.constantFrom("none", "valid", "garbage"),
        fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
        async (path, method, text, auth, session) => {
          const headers = new Headers({ "Content-Type": "application/json" });
          if (auth === "valid") headers.set("Authorization", `Bearer ${accessToken}`);
          if (auth === "garbage") headers.set("Authorization", "Bearer !!");
          if (session !== undefined && /^[\x21-\x7e]*$/.test(session)) {
            headers.set("X-Session-Token", session);
          }
          const res = await api.handleRequest(
            new Request(`${ORIGIN}${path}`, {
              method,
              headers,
              ...(method === "GET" ? {} : { body: text }),
            }),
          );
          expect(res.status).toBeLessThan(500);
          expect(res.headers.get("date")).not.toBeNull();
          if (res.status >= 400) {
            expect(res.headers.get("content-type")).toBe(PROBLEM_CONTENT_TYPE);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
