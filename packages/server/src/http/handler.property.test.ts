import { MfaRoutes, mfaPath } from "@mfa-kit/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { testKit, totpCode } from "../testing/fixtures";
import { headerCharCodes, testHandler } from "../testing/http";

const HEADER_NAMES = [
  "Authorization",
  "X-Session-Token",
  "X-MFA-Token",
  "Content-Type",
  "Content-Length",
  "Idempotency-Key",
  "User-Agent",
  "X-Anything",
];

// Header values a Request can carry: printable ASCII, tabs, a few controls and Latin-1.
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  headerCharCodes(40),
  fc.constantFrom(
    "Bearer token-alice",
    "application/json",
    "text/plain",
    "Bearer token-",
    "0",
    "-1",
  ),
);

const paths = fc.oneof(
  fc.constantFrom(...Object.keys(MfaRoutes).map((r) => mfaPath(r as never, { factorId: "f_x" }))),
  fc.constantFrom("/mfa", "/mfa/", "/mfa/factors/%", "/mfa/factors/a/b/c", "/mfa//verify"),
  fc.webPath().map((path) => `/mfa${path.startsWith("/") ? path : `/${path}`}`),
);

const jsonish = fc.oneof(
  fc.json(),
  fc
    .record(
      {
        code: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string())),
        factorId: fc.oneof(fc.string(), fc.integer(), fc.object()),
        challengeId: fc.oneof(fc.string(), fc.constant("f_x.y")),
        backupCode: fc.oneof(fc.string(), fc.boolean()),
        webauthn: fc.oneof(fc.object(), fc.string(), fc.array(fc.anything())),
        channel: fc.constantFrom("sms", "email", "fax", 7),
        to: fc.oneof(fc.emailAddress(), fc.string(), fc.constant("+15551234567")),
        label: fc.oneof(fc.string(), fc.integer()),
        response: fc.oneof(fc.object(), fc.constant(null)),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 300 }),
);

const requests = fc.record({
  method: fc.constantFrom("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD"),
  path: paths,
  headers: fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 5 }),
  body: fc.option(jsonish, { nil: undefined }),
  authed: fc.boolean(),
});

describe("createMfaHandler under arbitrary input (fast-check)", () => {
  it("never answers 5xx, and answers every error with problem+json", async () => {
    const kit = testKit();
    const { handler, call } = testHandler(kit);
    // A user with a factor, so guarded routes get past the first checks.
    const enrolled = await call("POST", mfaPath("enrollTotp"), { body: {} });
    const { factorId, secret } = enrolled.body as { factorId: string; secret: string };
    await call("POST", mfaPath("activateFactor", { factorId }), {
      body: { code: totpCode(secret, kit.clock.now) },
    });

    await fc.assert(
      fc.asyncProperty(requests, async ({ method, path, headers, body, authed }) => {
        let req: Request;
        try {
          const h = new Headers(headers);
          if (authed) h.set("Authorization", "Bearer token-alice");
          req = new Request(`https://api.example.com${path}`, {
            method,
            headers: h,
            ...(body !== undefined && method !== "GET" && method !== "HEAD" ? { body } : {}),
          });
        } catch {
          return; // not a request a client could send
        }
        const res = await handler(req);
        if (res === null) return;
        expect(res.status).toBeGreaterThanOrEqual(200);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get("date")).toBeTruthy();
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toBe("application/problem+json");
          const problem = (await res.json()) as { type: unknown; status: unknown; detail?: string };
          expect(typeof problem.type).toBe("string");
          expect(problem.status).toBe(res.status);
          expect(JSON.stringify(problem)).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/);
        }
      }),
      { numRuns: 400 },
    );
    // The user may have been locked by random codes; the factor itself is intact.
    expect((await kit.mfa.listFactors("alice")).factors).toHaveLength(1);
  });
});
