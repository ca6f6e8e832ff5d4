import {
  type ListFactorsResponse,
  MfaProblemTypes,
  mfaPath,
  parseRateLimit,
  parseRetryAfter,
  parseStepUpChallenge,
  parseWwwAuthenticate,
} from "@mfa-kit/protocol";
import { MfaOptionError } from "@mfa-kit/protocol/vocabulary";
import { describe, expect, it } from "vitest";
import { memoryStore } from "../stores/memory";
import { StoreUnavailableError } from "../stores/storeUnavailable";
import type { MfaStore } from "../stores/types";
import { testKit, totpCode, wrong } from "../testing/fixtures";
import { testHandler } from "../testing/http";
import { softAuthenticator } from "../testing/softAuthenticator";
import { createMfaHandler } from "./handler";

const p = (route: Parameters<typeof mfaPath>[0], factorId?: string) =>
  mfaPath(route, factorId ? { factorId } : {});

/** A user enrolled and activated over HTTP; returns the secret and backup codes. */
async function enrolledOverHttp() {
  const kit = testKit();
  const { call, handler } = testHandler(kit);
  const enrolled = await call("POST", p("enrollTotp"), { body: { label: "alice@acme.test" } });
  const { factorId, secret } = enrolled.body as { factorId: string; secret: string };
  const activated = await call("POST", p("activateFactor", factorId), {
    body: { code: totpCode(secret, kit.clock.now) },
  });
  kit.tick(30_000);
  const code = () => totpCode(secret, kit.clock.now);
  const signIn = async () => {
    const r = await call("POST", p("verify"), { body: { code: code() } });
    kit.tick(30_000);
    return (r.body as { token: string }).token;
  };
  return { kit, call, handler, factorId, secret, code, signIn, enrolled, activated };
}

describe("createMfaHandler: routing", () => {
  it("returns null for paths outside the base path", async () => {
    const { handler } = testHandler(testKit());
    for (const path of ["/", "/api/transfers", "/mfax", "/mfa-verify"]) {
      expect(await handler(new Request(`https://x${path}`))).toBeNull();
    }
  });

  it("answers an unknown MFA route with 404 and a wrong method with 405", async () => {
    const { call } = testHandler(testKit());
    const unknown = await call("GET", "/mfa/nope");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("content-type")).toBe("application/problem+json");
    expect(unknown.body.type).toBe(MfaProblemTypes.invalid_request);
    const wrongMethod = await call("GET", p("verify"));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
  });

  it("serves under a custom base path", async () => {
    const { call } = testHandler(testKit(), { basePath: "/auth/2fa/" });
    expect((await call("GET", "/auth/2fa/factors")).status).toBe(200);
    expect((await call("GET", p("listFactors"))).status).toBe(0);
  });

  it("types JSON answers as application/json and sends no type with an empty one", async () => {
    const { call } = testHandler(testKit());
    const listed = await call("GET", p("listFactors"));
    expect(listed.status).toBe(200);
    expect(listed.headers.get("content-type")).toBe("application/json");
    const signedOut = await call("POST", p("signOut"));
    expect(signedOut.status).toBe(204);
    expect(signedOut.headers.get("content-type")).toBeNull();
    expect(signedOut.headers.get("cache-control")).toBe("no-store");
  });

  it("dates every answer with the kit's clock and forbids caching", async () => {
    const kit = testKit();
    const { call } = testHandler(kit);
    for (const r of [
      await call("GET", p("listFactors")),
      await call("GET", "/mfa/x", { user: null }),
    ]) {
      expect(r.headers.get("date")).toBe(new Date(kit.clock.now).toUTCString());
      expect(r.headers.get("cache-control")).toBe("no-store");
    }
  });
});

describe("createMfaHandler: primary authentication", () => {
  it("answers 401 with a plain Bearer challenge when no credentials were sent", async () => {
    const { call } = testHandler(testKit());
    const r = await call("GET", p("listFactors"), { user: null });
    expect(r.status).toBe(401);
    expect(r.headers.get("www-authenticate")).toBe("Bearer");
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body).toEqual({
      type: MfaProblemTypes.invalid_request,
      title: "Authentication required",
      status: 401,
      detail: "Sign in first: this call needs the app's access token.",
    });
  });

  it('answers 401 with error="invalid_token" when the access token was rejected', async () => {
    const { call } = testHandler(testKit());
    const r = await call("GET", p("listFactors"), {
      user: null,
      headers: { Authorization: "Bearer expired" },
    });
    expect(r.status).toBe(401);
    expect(parseWwwAuthenticate(r.headers.get("www-authenticate")!)).toEqual([
      { scheme: "Bearer", params: { error: "invalid_token" } },
    ]);
    expect(r.body).toMatchObject({
      title: "Authentication required",
      detail: "The access token is invalid or expired.",
    });
  });

  it("treats an authenticate() that throws as no user", async () => {
    const kit = testKit();
    const handler = createMfaHandler(kit.mfa, {
      authenticate: () => {
        throw new Error("jwt malformed");
      },
    });
    const res = await handler(new Request("https://x/mfa/factors"));
    expect(res?.status).toBe(401);
  });
});

describe("createMfaHandler: enrollment and verification", () => {
  it("enrolls and activates TOTP, then lists the factor and the backup codes left", async () => {
    const { enrolled, activated, call, factorId } = await enrolledOverHttp();
    expect(enrolled.status).toBe(200);
    expect(enrolled.body).toMatchObject({
      factorId,
      otpauthUri: expect.stringMatching(/^otpauth:/),
    });
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({
      factor: { id: factorId, type: "totp", status: "active" },
    });
    expect(activated.body.backupCodes).toHaveLength(10);
    const list = await call("GET", p("listFactors"));
    expect(list.body).toMatchObject({ factors: [{ id: factorId }], backupCodesRemaining: 10 });
  });

  it("verifies a code into an MfaSessionResponse", async () => {
    const { call, code, kit } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), { body: { code: code() } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      token: expect.any(String),
      expiresAt: kit.clock.now + 900_000,
      acr: "mfa",
      amr: ["otp", "mfa"],
      authTime: kit.clock.now,
    });
  });

  it("answers a wrong code with 400 invalid_code, attemptsLeft and RateLimit fields", async () => {
    const { call, code } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), { body: { code: wrong(code()) } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ type: MfaProblemTypes.invalid_code, attemptsLeft: 2 });
    expect(parseRateLimit(r.headers)).toEqual({
      limits: [{ policy: "mfa", remaining: 2, resetSeconds: 300 }],
      policies: [{ policy: "mfa", quota: 3, windowSeconds: 300 }],
    });
  });

  it("carries the hint of a wrong code in the problem: a late clock, other settings", async () => {
    const { call, secret, kit } = await enrolledOverHttp();
    kit.tick(600_000);
    const late = await call("POST", p("verify"), {
      body: { code: totpCode(secret, kit.clock.now - 150_000) },
    });
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({
      type: MfaProblemTypes.invalid_code,
      attemptsLeft: 2,
      hint: "authenticator_clock_behind",
      behindS: 150,
    });
    const sha256 = await call("POST", p("verify"), {
      body: { code: totpCode(secret, kit.clock.now, { algorithm: "sha256" }) },
    });
    expect(sha256.body).toMatchObject({ attemptsLeft: 1, hint: "algorithm_mismatch" });
    expect(sha256.body).not.toHaveProperty("behindS");
    // The lock it leads to says nothing more.
    const locked = await call("POST", p("verify"), {
      body: { code: totpCode(secret, kit.clock.now, { digits: 8 }) },
    });
    expect(locked.status).toBe(429);
    expect(locked.body).not.toHaveProperty("hint");
  });

  it("answers a malformed code like a wrong one", async () => {
    const { call } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), { body: { code: "not a code" } });
    expect(r.body).toMatchObject({ type: MfaProblemTypes.invalid_code, attemptsLeft: 2 });
  });

  it("answers the third failure with 429 locked, Retry-After and RateLimit fields", async () => {
    const { call, code, kit } = await enrolledOverHttp();
    await call("POST", p("verify"), { body: { code: wrong(code()) } });
    await call("POST", p("verify"), { body: { code: wrong(code()) } });
    const r = await call("POST", p("verify"), { body: { code: wrong(code()) } });
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({ type: MfaProblemTypes.locked, status: 429, retryAfter: 30 });
    expect(parseRetryAfter(r.headers.get("retry-after")!, kit.clock.now)).toBe(30_000);
    expect(parseRateLimit(r.headers).limits).toEqual([
      { policy: "mfa", remaining: 0, resetSeconds: 30 },
    ]);
    expect(r.headers.get("ratelimit-policy")).toBe('"mfa";q=3;w=300');
  });

  it("answers a replayed code with 400 code_reused", async () => {
    const { call, code } = await enrolledOverHttp();
    const c = code();
    expect((await call("POST", p("verify"), { body: { code: c } })).status).toBe(200);
    const r = await call("POST", p("verify"), { body: { code: c } });
    expect(r.status).toBe(400);
    expect(r.body.type).toBe(MfaProblemTypes.code_reused);
  });

  it("answers an unknown factor with 404 factor_not_found", async () => {
    const { call, code } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), { body: { factorId: "f_missing", code: code() } });
    expect(r.status).toBe(404);
    expect(r.body.type).toBe(MfaProblemTypes.factor_not_found);
  });

  it("answers an expired SMS code with 400 code_expired", async () => {
    // A pending factor outlives its first code here, so the code's own expiry shows.
    const kit = testKit({ enrollment: { pendingTtlMs: 1_200_000 } });
    const { call } = testHandler(kit);
    const enrolled = await call("POST", p("enrollContact"), {
      body: { channel: "sms", to: "+15551234567" },
    });
    expect(enrolled.status).toBe(200);
    const { factorId, challengeId } = enrolled.body as { factorId: string; challengeId: string };
    expect(challengeId).toMatch(new RegExp(`^${factorId}\\.`));
    kit.tick(600_000);
    const r = await call("POST", p("activateFactor", factorId), {
      body: { code: kit.sent[0]!.code },
    });
    expect(r.status).toBe(400);
    expect(r.body.type).toBe(MfaProblemTypes.code_expired);
  });

  it("answers a second code request within 60 s with 429 rate_limited", async () => {
    const kit = testKit();
    const { call } = testHandler(kit);
    const enrolled = await call("POST", p("enrollContact"), {
      body: { channel: "email", to: "a@acme.test" },
    });
    const r = await call("POST", p("challenge"), { body: { factorId: enrolled.body.factorId } });
    expect(r.status).toBe(429);
    expect(r.body).toMatchObject({
      type: MfaProblemTypes.rate_limited,
      retryAfter: 60,
      detail: "Codes were sent moments ago: wait before asking for another.",
    });
    expect(r.headers.get("retry-after")).toBe("60");
    expect(parseRateLimit(r.headers).limits).toEqual([
      { policy: "mfa", remaining: 0, resetSeconds: 60 },
    ]);
  });

  // Regression: a failed delivery answered 503 `rate_limited`, which clients show as a lock.
  it("answers a failed delivery with 502 delivery_failed and Retry-After, naming the pending factor", async () => {
    const kit = testKit({
      otp: {
        send: () => {
          throw new Error("provider down");
        },
      },
    });
    const { call } = testHandler(kit);
    const r = await call("POST", p("enrollContact"), {
      body: { channel: "sms", to: "+15551234567" },
    });
    expect(r.status).toBe(502);
    expect(r.headers.get("retry-after")).toBe("60");
    expect(r.body).toMatchObject({
      type: MfaProblemTypes.delivery_failed,
      factorId: expect.stringMatching(/^f_/),
      retryAfter: 60,
      detail: "The code could not be delivered: ask for a new one shortly.",
    });
    expect(r.headers.get("ratelimit")).toBeNull();
    expect(JSON.stringify(r.body)).not.toContain("provider down");
  });

  it("starts a challenge for an authenticator app without sending anything", async () => {
    const { call, factorId, kit } = await enrolledOverHttp();
    const r = await call("POST", p("challenge"), { body: { factorId } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      challengeId: expect.stringMatching(/\./),
      expiresAt: kit.clock.now + 30_000,
    });
    expect(kit.sent).toHaveLength(0);
  });

  it("registers and verifies a WebAuthn credential", async () => {
    const kit = testKit();
    const { call } = testHandler(kit);
    const key = await softAuthenticator("example.com", "https://example.com");
    const options = await call("POST", p("webauthnRegistrationOptions"));
    expect(options.status).toBe(200);
    const registered = await call("POST", p("webauthnRegistrationVerify"), {
      body: { response: await key.register(options.body as { challenge: string }), label: "Key" },
    });
    expect(registered.status).toBe(200);
    const factorId = (registered.body.factor as { id: string }).id;
    const started = await call("POST", p("challenge"), { body: { factorId } });
    const webauthn = await key.authenticate(started.body.webauthnOptions as { challenge: string });
    const verified = await call("POST", p("verify"), {
      body: { challengeId: started.body.challengeId, webauthn },
    });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ acr: "phr" });
  });

  it("answers a verification from a new country with 401 mfa_required naming the other factors", async () => {
    const kit = testKit();
    const country = { value: "DE" };
    const { call } = testHandler(kit, { context: () => ({ country: country.value }) });
    const enrolled = await call("POST", p("enrollTotp"), { body: {} });
    const { factorId, secret } = enrolled.body as { factorId: string; secret: string };
    await call("POST", p("activateFactor", factorId), {
      body: { code: totpCode(secret, kit.clock.now) },
    });
    kit.tick(30_000);
    await call("POST", p("verify"), { body: { code: totpCode(secret, kit.clock.now) } });
    kit.tick(30_000);
    country.value = "FR";
    const r = await call("POST", p("verify"), { body: { code: totpCode(secret, kit.clock.now) } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({
      type: MfaProblemTypes.mfa_required,
      additionalFactor: true,
      factors: [],
      backupCodes: true,
    });
    expect(parseStepUpChallenge(r.headers)).toMatchObject({ acrValues: ["mfa"] });
  });
});

describe("createMfaHandler: MFA sessions and step-up", () => {
  it("asks for MFA before adding a second factor: 401 mfa_required with factors and backupCodes", async () => {
    const { call, factorId } = await enrolledOverHttp();
    const r = await call("POST", p("enrollTotp"), { body: {} });
    expect(r.status).toBe(401);
    expect(parseStepUpChallenge(r.headers)).toEqual({ acrValues: ["mfa"] });
    expect(r.headers.get("www-authenticate")).toContain('error="insufficient_user_authentication"');
    expect(r.body).toMatchObject({
      type: MfaProblemTypes.mfa_required,
      status: 401,
      factors: [{ id: factorId, type: "totp", status: "active" }],
      backupCodes: true,
    });
  });

  it("adds a second factor with a fresh session", async () => {
    const { call, signIn } = await enrolledOverHttp();
    const token = await signIn();
    const r = await call("POST", p("enrollTotp"), {
      body: {},
      headers: { "X-Session-Token": token },
    });
    expect(r.status).toBe(200);
  });

  it("answers an unknown session with 401 invalid_session and the same challenge", async () => {
    const { call } = await enrolledOverHttp();
    const r = await call("POST", p("regenerateBackupCodes"), {
      headers: { "X-Session-Token": "A".repeat(43) },
    });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ type: MfaProblemTypes.invalid_session, backupCodes: true });
    expect(parseStepUpChallenge(r.headers)).toEqual({ acrValues: ["mfa"] });
  });

  it("refuses another user's session", async () => {
    const { call, signIn } = await enrolledOverHttp();
    const token = await signIn();
    const r = await call("POST", p("refreshSession"), {
      user: "mallory",
      headers: { "X-Session-Token": token },
    });
    expect(r.status).toBe(401);
    expect(r.body.type).toBe(MfaProblemTypes.invalid_session);
  });

  it("refreshes a session: same authTime, later expiresAt", async () => {
    const { call, signIn, kit } = await enrolledOverHttp();
    const token = await signIn();
    const authTime = kit.clock.now - 30_000;
    kit.tick(60_000);
    const r = await call("POST", p("refreshSession"), { headers: { "X-Session-Token": token } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token, authTime, expiresAt: kit.clock.now + 900_000 });
  });

  it("needs a verification at most 5 minutes old to remove a factor: 401 step_up_required", async () => {
    const { call, signIn, kit, factorId, code } = await enrolledOverHttp();
    const token = await signIn();
    kit.tick(300_000);
    const stale = await call("DELETE", p("removeFactor", factorId), {
      headers: { "X-Session-Token": token },
    });
    expect(stale.status).toBe(401);
    expect(parseStepUpChallenge(stale.headers)).toEqual({ acrValues: ["mfa"], maxAge: 300 });
    expect(stale.body).toMatchObject({
      type: MfaProblemTypes.step_up_required,
      maxAge: 300,
      factors: [{ id: factorId }],
      backupCodes: true,
    });
    const fresh = await call("POST", p("verify"), { body: { code: code() } });
    const removed = await call("DELETE", p("removeFactor", factorId), {
      headers: { "X-Session-Token": (fresh.body as { token: string }).token },
    });
    expect(removed.status).toBe(204);
    expect(removed.headers.get("date")).toBeTruthy();
  });

  it("takes stepUpMaxAgeMs for the freshness it asks for, in whole seconds", async () => {
    const kit = testKit();
    const { call } = testHandler(kit, { stepUpMaxAgeMs: 90_500 });
    const enrolled = await call("POST", p("enrollTotp"), { body: { label: "a@acme.test" } });
    const { factorId, secret } = enrolled.body as { factorId: string; secret: string };
    const activated = await call("POST", p("activateFactor", factorId), {
      body: { code: totpCode(secret, kit.clock.now) },
    });
    const token = (activated.body.session as { token: string }).token;
    kit.tick(90_000);
    const fresh = await call("POST", p("regenerateBackupCodes"), {
      headers: { "X-Session-Token": token },
    });
    expect(fresh.status).toBe(200);
    kit.tick(1_000);
    const stale = await call("POST", p("regenerateBackupCodes"), {
      headers: { "X-Session-Token": token },
    });
    expect(stale.status).toBe(401);
    expect(parseStepUpChallenge(stale.headers)).toEqual({ acrValues: ["mfa"], maxAge: 90 });
    const missing = await call("DELETE", p("removeFactor", "f_nope"), {
      headers: { "X-Session-Token": token },
    });
    expect(missing.status).toBe(401);
  });

  it("answers a removal of an unknown factor with 404, and a refresh of a revoked session with 401", async () => {
    const { call, signIn } = await enrolledOverHttp();
    const token = await signIn();
    const missing = await call("DELETE", p("removeFactor", "f_nope"), {
      headers: { "X-Session-Token": token },
    });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      type: MfaProblemTypes.factor_not_found,
      detail: "No such factor for this user.",
    });
    expect(
      (await call("POST", p("signOut"), { headers: { "X-Session-Token": token } })).status,
    ).toBe(204);
    const refreshed = await call("POST", p("refreshSession"), {
      headers: { "X-Session-Token": token },
    });
    expect(refreshed.status).toBe(401);
    expect(refreshed.body.type).toBe(MfaProblemTypes.invalid_session);
    const malformed = await call("POST", p("signOut"), {
      headers: { "X-Session-Token": "caf\u00e9" },
    });
    expect(malformed.status).toBe(400);
  });

  it("renames a factor with an MFA session, and lists the new name and the last use", async () => {
    const { call, signIn, factorId } = await enrolledOverHttp();
    const without = await call("PATCH", p("renameFactor", factorId), { body: { label: "Phone" } });
    expect(without.status).toBe(401);
    expect(without.body.type).toBe(MfaProblemTypes.mfa_required);
    const token = await signIn();
    const r = await call("PATCH", p("renameFactor", factorId), {
      body: { label: "  Work phone  " },
      headers: { "X-Session-Token": token },
    });
    expect(r.status).toBe(200);
    expect(r.body.factor).toMatchObject({ id: factorId, label: "Work phone" });
    const { factors } = (await call("GET", p("listFactors")))
      .body as unknown as ListFactorsResponse;
    expect(factors[0]).toMatchObject({ label: "Work phone" });
    expect(factors[0]?.lastUsedAt).toEqual(expect.any(Number));
  });

  it("refuses a rename that is empty, too long, has control characters or names no factor", async () => {
    const { call, signIn, factorId } = await enrolledOverHttp();
    const token = await signIn();
    const rename = (id: string, body: unknown, user?: string) =>
      call("PATCH", p("renameFactor", id), {
        body,
        headers: { "X-Session-Token": token },
        ...(user ? { user } : {}),
      });
    for (const body of [
      {},
      { label: "" },
      { label: "   " },
      { label: "x".repeat(65) },
      { label: "a\u0007b" },
      { label: 5 },
    ]) {
      const r = await rename(factorId, body);
      expect(r.status).toBe(400);
      expect(r.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await rename("f_nope", { label: "Key" })).status).toBe(404);
    // Another user's session renames nothing, and does not learn whether the factor exists.
    expect((await rename(factorId, { label: "Pwned" }, "mallory")).status).toBe(401);
    const { factors } = (await call("GET", p("listFactors")))
      .body as unknown as ListFactorsResponse;
    expect(factors[0]?.label).toBe("alice@acme.test");
  });

  it("regenerates backup codes with a fresh session", async () => {
    const { call, signIn } = await enrolledOverHttp();
    const token = await signIn();
    const r = await call("POST", p("regenerateBackupCodes"), {
      headers: { "X-Session-Token": token },
    });
    expect(r.status).toBe(200);
    expect(r.body.backupCodes).toHaveLength(10);
  });

  it("signs out: the session stops working", async () => {
    const { call, signIn } = await enrolledOverHttp();
    const token = await signIn();
    expect(
      (await call("POST", p("signOut"), { headers: { "X-Session-Token": token } })).status,
    ).toBe(204);
    const r = await call("POST", p("refreshSession"), { headers: { "X-Session-Token": token } });
    expect(r.status).toBe(401);
  });
});

describe("createMfaHandler: bad input", () => {
  it.each([
    ["malformed JSON", "{nope", 400],
    ["a JSON array", "[1,2]", 400],
    ["a JSON string", '"code"', 400],
  ])("answers %s with a 4xx problem", async (_label, body, status) => {
    const { call } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), { body });
    expect(r.status).toBe(status);
    expect(r.headers.get("content-type")).toBe("application/problem+json");
    expect(r.body.type).toBe(MfaProblemTypes.invalid_request);
  });

  it("answers wrong field types with 400 naming the field", async () => {
    const { call } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), { body: { code: 123456 } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain("code");
    const both = await call("POST", p("verify"), { body: { code: "123456", backupCode: "x" } });
    expect(both.status).toBe(400);
    const none = await call("POST", p("verify"), { body: {} });
    expect(none.status).toBe(400);
  });

  it("answers a body over 64 KB with 413, whether or not Content-Length says so", async () => {
    const { call, handler } = await enrolledOverHttp();
    const big = JSON.stringify({ code: "1".repeat(70_000) });
    expect((await call("POST", p("verify"), { body: big })).status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(8 * 1024).fill(32));
        controller.close();
      },
    });
    const res = await handler(
      new Request("https://x/mfa/verify", {
        method: "POST",
        headers: { Authorization: "Bearer token-alice", "Content-Type": "application/json" },
        body: stream,
        duplex: "half",
      } as RequestInit),
    );
    expect(res?.status).toBe(413);
  });

  it("answers a body that is not declared as JSON with 415", async () => {
    const { call } = await enrolledOverHttp();
    const r = await call("POST", p("verify"), {
      body: "code=123456",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(r.status).toBe(415);
  });

  it("answers control characters or CRLF in a header it reads with 400", async () => {
    const { call, handler } = await enrolledOverHttp();
    const r = await call("GET", p("listFactors"), {
      headers: { "X-Session-Token": "abc\u0001def" },
    });
    expect(r.status).toBe(400);
    // A Request cannot carry CR or LF; an adapter handing over raw header values could.
    const raw = {
      url: "https://x/mfa/factors",
      method: "GET",
      body: null,
      headers: {
        get: (name: string) =>
          name.toLowerCase() === "x-session-token" ? "abc\r\nSet-Cookie: x=1" : null,
        has: () => false,
      },
    } as unknown as Request;
    const res = await handler(raw);
    expect(res?.status).toBe(400);
    expect(res?.headers.get("content-type")).toBe("application/problem+json");
  });

  it("answers a malformed percent-encoded factor id with 400", async () => {
    const { call, signIn } = await enrolledOverHttp();
    const token = await signIn();
    const r = await call("DELETE", "/mfa/factors/%E0%A4%A", {
      headers: { "X-Session-Token": token },
    });
    expect(r.status).toBe(400);
  });

  // Regression: a store outage and an unexpected error both answered 503 `rate_limited`, which
  // clients show as a lock that does not exist.
  it("answers a store outage with 503 service_unavailable and Retry-After, and tells onError", async () => {
    const kit = testKit();
    const outage = new StoreUnavailableError("ECONNREFUSED at redis.connect (/srv/app.js:1:1)", {
      retryAfterSeconds: 3,
    });
    const broken = new Proxy(memoryStore(), {
      get: () => () => Promise.reject(outage),
    }) as MfaStore;
    const seen: [unknown, string][] = [];
    const { call } = testHandler(
      { ...kit, mfa: testKit({ store: broken }).mfa },
      { onError: (error, { request }) => void seen.push([error, request.url]) },
    );
    const r = await call("GET", p("listFactors"));
    expect(r.status).toBe(503);
    expect(r.headers.get("retry-after")).toBe("3");
    expect(r.body).toMatchObject({ type: MfaProblemTypes.service_unavailable, retryAfter: 3 });
    expect(JSON.stringify(r.body)).not.toMatch(/ECONNREFUSED|app\.js/);
    expect(seen).toEqual([[outage, `https://api.example.com${p("listFactors")}`]]);
  });

  it("answers an unexpected error with 500 internal_error, no stack trace, even when onError throws", async () => {
    const kit = testKit();
    const bug = new TypeError("Cannot read properties of undefined (reading 'x') at /srv/app.js:9");
    const broken = new Proxy(memoryStore(), {
      get: () => () => Promise.reject(bug),
    }) as MfaStore;
    const seen: unknown[] = [];
    const { call } = testHandler(
      { ...kit, mfa: testKit({ store: broken }).mfa },
      {
        onError: (error) => {
          seen.push(error);
          throw new Error("logger down");
        },
      },
    );
    const r = await call("POST", p("verify"), { body: { code: "123456" } });
    expect(r.status).toBe(500);
    expect(r.headers.get("retry-after")).toBeNull();
    expect(r.body).toMatchObject({ type: MfaProblemTypes.internal_error, status: 500 });
    expect(JSON.stringify(r.body)).not.toMatch(/Cannot read|app\.js|logger/);
    expect(seen).toEqual([bug]);
  });
});

describe("createMfaHandler: each refusal's status and detail", () => {
  const refusal = async (
    r: { status: number; body: Record<string, unknown> },
    status: number,
    detail: string,
  ) => {
    expect({ status: r.status, type: r.body.type, detail: r.body.detail }).toEqual({
      status,
      type: MfaProblemTypes.invalid_request,
      detail,
    });
  };

  it("names the route's methods, or that there is no such route", async () => {
    const { call } = testHandler(testKit());
    await refusal(await call("GET", "/mfa/nope"), 404, "No such MFA route.");
    await refusal(await call("GET", "/mfa"), 404, "No such MFA route.");
    const both = await call("GET", p("removeFactor", "f_1"));
    await refusal(both, 405, "Use DELETE or PATCH on this route.");
    expect(both.headers.get("allow")).toBe("DELETE, PATCH");
    await refusal(await call("PUT", p("verify")), 405, "Use POST on this route.");
    // the route and method match before the user is known
    const anonymous = await call("GET", p("verify"), { user: null });
    expect(anonymous.status).toBe(405);
  });

  it("checks the headers it reads before authenticating", async () => {
    const { call } = testHandler(testKit());
    for (const name of ["Authorization", "X-Session-Token", "X-MFA-Token"]) {
      await refusal(
        await call("POST", p("verify"), { body: {}, headers: { [name]: "caf\u00e9" } }),
        400,
        `The ${name} header holds characters a header value cannot.`,
      );
    }
  });

  it("names the field each route needs", async () => {
    const { call } = await enrolledOverHttp();
    const cases: [string, string, unknown, string][] = [
      [
        "POST",
        p("enrollTotp"),
        { label: "x".repeat(129) },
        "`label` is longer than 128 characters.",
      ],
      [
        "POST",
        p("enrollContact"),
        { channel: "fax", to: "+15551234567" },
        '`channel` must be "sms" or "email" and `to` a phone number or e-mail address.',
      ],
      [
        "POST",
        p("enrollContact"),
        { channel: "sms", to: "" },
        '`channel` must be "sms" or "email" and `to` a phone number or e-mail address.',
      ],
      [
        "POST",
        p("enrollContact"),
        { channel: "email", to: `${"a".repeat(250)}@x.io` },
        '`channel` must be "sms" or "email" and `to` a phone number or e-mail address.',
      ],
      ["POST", p("activateFactor", "f_1"), {}, "`code` (a string) is required."],
      ["POST", p("activateFactor", "f_1"), { code: 5 }, "`code` (a string) is required."],
      [
        "POST",
        p("webauthnRegistrationVerify"),
        { response: "x" },
        "`response` (the RegistrationResponseJSON) is required; `label` is a string.",
      ],
      [
        "POST",
        p("webauthnRegistrationVerify"),
        { response: {}, label: 5 },
        "`response` (the RegistrationResponseJSON) is required; `label` is a string.",
      ],
      ["PATCH", p("renameFactor", "f_1"), { label: "" }, "`label` (a string) is required."],
      [
        "PATCH",
        p("renameFactor", "f_1"),
        { label: "x".repeat(257) },
        "`label` (a string) is required.",
      ],
      ["POST", p("challenge"), {}, "`factorId` (a string) is required."],
      ["POST", p("challenge"), { factorId: "f".repeat(129) }, "`factorId` (a string) is required."],
      [
        "POST",
        p("verify"),
        { challengeId: "c".repeat(513) },
        "`challengeId` is longer than 512 characters.",
      ],
      ["POST", p("verify"), { code: "1".repeat(65) }, "`code` is longer than 64 characters."],
      ["POST", p("verify"), { backupCode: 5 }, "`backupCode` must be a string."],
      ["POST", p("verify"), { webauthn: [] }, "`webauthn` must be a JSON object."],
    ];
    for (const [method, path, body, detail] of cases) {
      await refusal(await call(method, path, { body }), 400, detail);
    }
  });

  it("says which channels and factors the server does not offer", async () => {
    const kit = testKit({ otp: {}, webauthn: undefined });
    const { call } = testHandler(kit);
    await refusal(
      await call("POST", p("enrollContact"), { body: { channel: "sms", to: "+15551234567" } }),
      400,
      "This server does not send SMS codes.",
    );
    await refusal(
      await call("POST", p("enrollContact"), { body: { channel: "email", to: "a@b.co" } }),
      400,
      "This server does not send e-mail codes.",
    );
    for (const route of ["webauthnRegistrationOptions", "webauthnRegistrationVerify"] as const) {
      await refusal(
        await call("POST", p(route), { body: { response: {} } }),
        400,
        "WebAuthn is not enabled on this server.",
      );
    }
  });

  it("explains an address that is no phone number or e-mail address", async () => {
    const { call } = testHandler(testKit());
    await refusal(
      await call("POST", p("enrollContact"), { body: { channel: "sms", to: "12345" } }),
      400,
      "`to` must be a phone number in international format, e.g. +15551234567.",
    );
    await refusal(
      await call("POST", p("enrollContact"), { body: { channel: "email", to: "nobody" } }),
      400,
      "`to` must be an e-mail address.",
    );
  });

  it("answers malformed JSON on every route that reads a body", async () => {
    const { call } = await enrolledOverHttp();
    for (const [method, path] of [
      ["POST", p("enrollTotp")],
      ["POST", p("enrollContact")],
      ["POST", p("activateFactor", "f_1")],
      ["POST", p("webauthnRegistrationOptions")],
      ["POST", p("webauthnRegistrationVerify")],
      ["PATCH", p("renameFactor", "f_1")],
      ["POST", p("challenge")],
      ["POST", p("verify")],
    ] as const) {
      await refusal(
        await call(method, path, { body: "{nope" }),
        400,
        "The body is not valid JSON.",
      );
    }
  });
});

describe("createMfaHandler: set-up and callers", () => {
  it("needs authenticate", () => {
    expect(() => createMfaHandler(testKit().mfa, {} as never)).toThrow(
      new MfaOptionError(
        "authenticate",
        "createMfaHandler: `authenticate(req)` (your primary authentication) is required.",
      ),
    );
    expect(() => createMfaHandler(testKit().mfa, undefined as never)).toThrow(TypeError);
  });

  it("takes an empty user id as no user", async () => {
    const { call } = testHandler(testKit(), { authenticate: () => "" });
    expect((await call("GET", p("listFactors"))).status).toBe(401);
  });

  it("serves under a base path given with trailing slashes", async () => {
    const { call } = testHandler(testKit(), { basePath: "/auth/2fa//" });
    expect((await call("GET", "/auth/2fa/factors")).status).toBe(200);
  });

  it("asks a user with a factor for a session before adding another of any kind", async () => {
    const { call } = await enrolledOverHttp();
    for (const [path, body] of [
      [p("enrollTotp"), { label: "second" }],
      [p("enrollContact"), { channel: "sms", to: "+15551234567" }],
      [p("webauthnRegistrationOptions"), {}],
      [p("webauthnRegistrationVerify"), { response: {} }],
    ] as const) {
      const r = await call("POST", path, { body });
      expect(r.status).toBe(401);
      expect(r.body.type).toBe(MfaProblemTypes.mfa_required);
    }
  });

  it("hands the User-Agent to the verification as its context", async () => {
    const { call, code, kit } = await enrolledOverHttp();
    await call("POST", p("verify"), { body: { code: code() }, headers: { "User-Agent": "ua/7" } });
    await kit.mfa.flushEvents();
    expect(kit.eventsOf("mfa.verified").at(-1)?.context).toEqual({ userAgent: "ua/7" });
  });

  it("answers the first activation with the factor, the backup codes and a session", async () => {
    const { activated, factorId } = await enrolledOverHttp();
    expect(activated.status).toBe(200);
    expect(activated.body).toMatchObject({
      factor: { id: factorId, type: "totp", status: "active", label: "alice@acme.test" },
      backupCodes: expect.arrayContaining([expect.any(String)]),
      session: { token: expect.any(String), acr: "mfa" },
    });
  });
});
