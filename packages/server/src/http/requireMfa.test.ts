import { MfaProblemTypes, parseStepUpChallenge } from "@mfa-kit/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memoryStore } from "../stores/memory";
import { StoreUnavailableError } from "../stores/storeUnavailable";
import { testKit, totpCode, userWithTotp, wrong } from "../testing/fixtures";
import { headerCharCodes } from "../testing/http";
import { requireMfa } from "./requireMfa";

const authenticate = (req: Request) =>
  /^Bearer token-(\w+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? null;

const request = (headers: Record<string, string>) =>
  new Request("https://api.example.com/transfers", { method: "POST", headers });

async function setup() {
  const kit = testKit();
  const { secret } = await userWithTotp(kit);
  const code = () => totpCode(secret, kit.clock.now);
  const verified = await kit.mfa.verify({ userId: "alice", code: code() });
  kit.tick(30_000);
  const token = verified.ok ? verified.session.token : "";
  return { kit, code, token };
}

describe("requireMfa", () => {
  it("lets a request with a live session through with its claims", async () => {
    const { kit, token } = await setup();
    const guard = requireMfa(kit.mfa);
    const result = await guard(request({ "X-Session-Token": token }));
    expect(result).toMatchObject({ ok: true, claims: { userId: "alice", acr: "mfa" } });
  });

  it("answers a request without a session with 401 mfa_required and the user's factors", async () => {
    const { kit } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({ Authorization: "Bearer token-alice" }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(401);
    expect(parseStepUpChallenge(result.response.headers)).toEqual({ acrValues: ["mfa"] });
    expect(await result.response.json()).toMatchObject({
      type: MfaProblemTypes.mfa_required,
      factors: [{ type: "totp" }],
      backupCodes: true,
    });
  });

  it("asks for a step-up with max_age when the session is older than maxAgeMs", async () => {
    const { kit, token } = await setup();
    kit.tick(300_000);
    const result = await requireMfa(kit.mfa, { maxAgeMs: 300_000 })(
      request({ "X-Session-Token": token }),
    );
    if (result.ok) throw new Error("expected a step-up");
    expect(result.response.status).toBe(401);
    expect(parseStepUpChallenge(result.response.headers)).toEqual({
      acrValues: ["mfa"],
      maxAge: 300,
    });
    expect(await result.response.json()).toMatchObject({
      type: MfaProblemTypes.step_up_required,
      maxAge: 300,
    });
  });

  it("answers a revoked session with 401 invalid_session", async () => {
    const { kit, token } = await setup();
    await kit.mfa.revokeSessions("alice");
    const result = await requireMfa(kit.mfa)(request({ "X-Session-Token": token }));
    expect(!result.ok && (await result.response.json()).type).toBe(MfaProblemTypes.invalid_session);
  });

  it("refuses a session of another user when authenticate is given", async () => {
    const { kit, token } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({ "X-Session-Token": token, Authorization: "Bearer token-mallory" }),
    );
    expect(!result.ok && result.response.status).toBe(401);
  });

  it("accepts a one-shot code in X-MFA-Token once, without issuing a session", async () => {
    const { kit, code } = await setup();
    const guard = requireMfa(kit.mfa, { authenticate, maxAgeMs: 60_000 });
    const headers = { Authorization: "Bearer token-alice", "X-MFA-Token": code() };
    const sessions = Object.keys(kit.store.dump().sessions).length;
    const first = await guard(request(headers));
    expect(first).toMatchObject({ ok: true, claims: { userId: "alice", authTime: kit.clock.now } });
    expect(Object.keys(kit.store.dump().sessions)).toHaveLength(sessions);
    const replay = await guard(request(headers));
    expect(!replay.ok && replay.response.status).toBe(400);
    expect(!replay.ok && (await replay.response.json()).type).toBe(MfaProblemTypes.code_reused);
  });

  it("answers a wrong one-shot code with 400 invalid_code and counts it", async () => {
    const { kit, code } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({ Authorization: "Bearer token-alice", "X-MFA-Token": wrong(code()) }),
    );
    expect(!result.ok && (await result.response.json())).toMatchObject({
      type: MfaProblemTypes.invalid_code,
      attemptsLeft: 2,
    });
  });

  it("never throws and never answers 5xx for arbitrary header values", async () => {
    const { kit } = await setup();
    const guard = requireMfa(kit.mfa, { authenticate, maxAgeMs: 1000 });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom("X-Session-Token", "X-MFA-Token", "Authorization"),
          headerCharCodes(60),
        ),
        async (headers) => {
          let req: Request;
          try {
            req = request(headers);
          } catch {
            return;
          }
          const result = await guard(req);
          if (!result.ok) expect(result.response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("answers 400 for a control character in an MFA header, before anything else", async () => {
    const { kit, token } = await setup();
    const guard = requireMfa(kit.mfa, { authenticate });
    for (const header of ["X-Session-Token", "X-MFA-Token"]) {
      const result = await guard(request({ [header]: `${token}\u00e9` }));
      if (result.ok) throw new Error("expected a refusal");
      expect(result.response.status).toBe(400);
      expect(await result.response.json()).toMatchObject({
        type: MfaProblemTypes.invalid_request,
        detail: "An MFA header holds characters a header value cannot.",
      });
    }
  });

  it("answers 401 Bearer without primary authentication, invalid_token when it was rejected or threw", async () => {
    const { kit, token } = await setup();
    const cases = [
      [authenticate, {}, "Bearer"],
      [authenticate, { Authorization: "Bearer nope!" }, 'Bearer error="invalid_token"'],
      [() => "", { Authorization: "Bearer token-alice" }, 'Bearer error="invalid_token"'],
      [
        () => {
          throw new Error("auth down");
        },
        { Authorization: "Bearer token-alice" },
        'Bearer error="invalid_token"',
      ],
      [async () => 42 as never, {}, "Bearer"],
    ] as const;
    for (const [auth, headers, challenge] of cases) {
      const result = await requireMfa(kit.mfa, { authenticate: auth })(
        request({ ...headers, "X-Session-Token": token }),
      );
      if (result.ok) throw new Error("expected a refusal");
      expect(result.response.status).toBe(401);
      expect(result.response.headers.get("www-authenticate")).toBe(challenge);
      expect(await result.response.json()).toMatchObject({
        type: MfaProblemTypes.invalid_request,
        title: "Authentication required",
        status: 401,
      });
    }
  });

  it("answers a session of another user with invalid_session and the guard's challenge", async () => {
    const { kit, token } = await setup();
    const result = await requireMfa(kit.mfa, { authenticate, maxAgeMs: 90_500 })(
      request({ "X-Session-Token": token, Authorization: "Bearer token-mallory" }),
    );
    if (result.ok) throw new Error("expected a refusal");
    expect(parseStepUpChallenge(result.response.headers)).toEqual({
      acrValues: ["mfa"],
      maxAge: 90,
    });
    expect(await result.response.json()).toMatchObject({
      type: MfaProblemTypes.invalid_session,
      maxAge: 90,
      acrValues: ["mfa"],
      factors: [],
      backupCodes: false,
    });
  });

  it("demands the acr asked for: a session or one-shot code of mfa does not pass for phr", async () => {
    const { kit, token, code } = await setup();
    const guard = requireMfa(kit.mfa, { authenticate, acrValues: ["phr"] });
    const bySession = await guard(
      request({ "X-Session-Token": token, Authorization: "Bearer token-alice" }),
    );
    if (bySession.ok) throw new Error("expected a step-up");
    expect(bySession.response.status).toBe(401);
    expect(parseStepUpChallenge(bySession.response.headers)).toEqual({ acrValues: ["phr"] });
    const byCode = await guard(
      request({ "X-MFA-Token": code(), Authorization: "Bearer token-alice" }),
    );
    if (byCode.ok) throw new Error("expected a step-up");
    expect(byCode.response.status).toBe(401);
    expect(await byCode.response.json()).toMatchObject({
      type: MfaProblemTypes.step_up_required,
      acrValues: ["phr"],
      factors: [{ type: "totp", label: "alice@acme.test" }],
    });
    // mfa is asked for: the one-shot code passes
    kit.tick(30_000);
    const mfaGuard = requireMfa(kit.mfa, { authenticate, acrValues: ["mfa"] });
    expect(
      await mfaGuard(request({ "X-MFA-Token": code(), Authorization: "Bearer token-alice" })),
    ).toMatchObject({ ok: true, claims: { acr: "mfa" } });
    // an empty list asks for any MFA
    const anyGuard = requireMfa(kit.mfa, { acrValues: [] });
    const none = await anyGuard(request({}));
    if (none.ok) throw new Error("expected mfa_required");
    expect(parseStepUpChallenge(none.response.headers)).toEqual({ acrValues: ["mfa"] });
  });

  it("gives one-shot claims that end now, with the factor, and falls back to the code when the session fails", async () => {
    const { kit, code } = await setup();
    const factorId = (await kit.mfa.listFactors("alice")).factors[0]!.id;
    const result = await requireMfa(kit.mfa, { authenticate })(
      request({
        Authorization: "Bearer token-alice",
        "X-Session-Token": "not-a-session",
        "X-MFA-Token": code(),
      }),
    );
    expect(result).toEqual({
      ok: true,
      claims: {
        userId: "alice",
        acr: "mfa",
        amr: ["otp", "mfa"],
        authTime: kit.clock.now,
        expiresAt: kit.clock.now,
        factorId,
      },
    });
  });

  it("takes no one-shot code without authenticate: nobody to check it for", async () => {
    const { kit, code } = await setup();
    const result = await requireMfa(kit.mfa)(request({ "X-MFA-Token": code() }));
    if (result.ok) throw new Error("expected mfa_required");
    expect(result.response.status).toBe(401);
    const body = await result.response.json();
    expect(body.type).toBe(MfaProblemTypes.mfa_required);
    expect(body).not.toHaveProperty("factors");
  });

  it("hands the request's context to a one-shot verification: the User-Agent, or the context option", async () => {
    const { kit, code } = await setup();
    const headers = { Authorization: "Bearer token-alice", "X-MFA-Token": wrong(code()) };
    await requireMfa(kit.mfa, { authenticate })(request({ ...headers, "User-Agent": "ua/1" }));
    await requireMfa(kit.mfa, { authenticate })(request(headers));
    await requireMfa(kit.mfa, { authenticate, context: () => ({ ip: "203.0.113.9" }) })(
      request({ ...headers, "User-Agent": "ua/2" }),
    );
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.failed").map((e) => e.context)).toEqual([
      { userAgent: "ua/1" },
      {},
      { ip: "203.0.113.9" },
    ]);
  });

  it("fails closed: 503 with Retry-After when the store is down, 500 otherwise, telling onError", async () => {
    const { kit, token } = await setup();
    const store = memoryStore();
    const down = testKit({
      store: Object.assign(Object.create(store), {
        checkSessions: () => Promise.reject(new StoreUnavailableError("down")),
        checkSession: () => Promise.reject(new StoreUnavailableError("down")),
        getSession: () => Promise.reject(new StoreUnavailableError("down")),
      }),
    });
    const errors: unknown[] = [];
    const outage = await requireMfa(down.mfa, { onError: (e) => errors.push(e) })(
      request({ "X-Session-Token": token }),
    );
    if (outage.ok) throw new Error("expected a refusal");
    expect(outage.response.status).toBe(503);
    expect(outage.response.headers.get("retry-after")).toBe("1");
    expect(errors).toHaveLength(1);
    expect(StoreUnavailableError.is(errors[0])).toBe(true);
    const broken = await requireMfa(kit.mfa, {
      authenticate,
      context: () => {
        throw new Error("bug");
      },
    })(request({ Authorization: "Bearer token-alice", "X-MFA-Token": "123456" }));
    if (broken.ok) throw new Error("expected a refusal");
    expect(broken.response.status).toBe(500);
  });

  it("with cors: answers a preflight, and gives denials and acceptances the origin's headers", async () => {
    const { kit, token } = await setup();
    const guard = requireMfa(kit.mfa, { cors: { origins: ["https://app.example.com"] } });
    const origin = { Origin: "https://app.example.com" };
    const preflight = await guard(
      new Request("https://api.example.com/transfers", {
        method: "OPTIONS",
        headers: { ...origin, "Access-Control-Request-Method": "POST" },
      }),
    );
    if (preflight.ok) throw new Error("a preflight is answered by the guard");
    expect(preflight.response.status).toBe(204);
    expect(preflight.response.headers.get("access-control-allow-methods")).toBe("POST");
    const denied = await guard(request(origin));
    if (denied.ok) throw new Error("expected mfa_required");
    expect(denied.response.status).toBe(401);
    expect(denied.response.headers.get("access-control-allow-origin")).toBe(origin.Origin);
    const accepted = await guard(request({ ...origin, "X-Session-Token": token }));
    if (!accepted.ok) throw new Error("expected acceptance");
    expect(accepted.headers?.get("access-control-allow-origin")).toBe(origin.Origin);
    expect(accepted.headers?.get("vary")).toBe("Origin");
  });

  it("lets a phishing-resistant one-shot proof pass where mfa is asked for, not another acr", async () => {
    const { kit } = await setup();
    const proofOf = (acr: string) =>
      ({
        ...kit.mfa,
        verifyOnce: async () => ({
          ok: true as const,
          userId: "alice",
          acr,
          amr: ["hwk", "mfa"],
          factorId: "f_key",
        }),
      }) as typeof kit.mfa;
    const headers = { Authorization: "Bearer token-alice", "X-MFA-Token": "123456" };
    expect(
      await requireMfa(proofOf("phr"), { authenticate, acrValues: ["mfa"] })(request(headers)),
    ).toMatchObject({ ok: true, claims: { acr: "phr", factorId: "f_key" } });
    const other = await requireMfa(proofOf("aal1"), { authenticate, acrValues: ["mfa"] })(
      request(headers),
    );
    expect(!other.ok && other.response.status).toBe(401);
    const phrOnly = await requireMfa(proofOf("mfa"), { authenticate, acrValues: ["phr"] })(
      request(headers),
    );
    expect(!phrOnly.ok && (await phrOnly.response.json()).type).toBe(
      MfaProblemTypes.step_up_required,
    );
  });
});
