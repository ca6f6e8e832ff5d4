import { MfaProblemTypes, parseStepUpChallenge } from "@mfa-kit/protocol";
import { generateSync } from "otplib";
import { describe, expect, test } from "vitest";
import { createDemoApi } from "./createDemoApi";
import { DEMO_USER } from "./demoUser";

const ORIGIN = "http://demo.test";
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

function setup() {
  let real = T0;
  const api = createDemoApi({ realNow: () => real, passwordIterations: 1_000 });
  const call = async (
    method: string,
    path: string,
    init: {
      body?: unknown;
      token?: string;
      session?: string;
      headers?: Record<string, string>;
    } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.session) headers["X-Session-Token"] = init.session;
    const res = await api.handleRequest(
      new Request(`${ORIGIN}${path}`, {
        method,
        headers,
        ...(init.body !== undefined
          ? { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }
          : {}),
      }),
    );
    const text = await res.text();
    return { res, body: text ? JSON.parse(text) : null };
  };
  const signIn = async () => {
    const { body } = await call("POST", "/api/auth/signin", {
      body: { username: DEMO_USER.username, password: DEMO_USER.password },
    });
    return body.accessToken as string;
  };
  /** The code an authenticator shows `stepOffset` steps from now on the server's clock. */
  const codeFor = (secret: string, stepOffset = 0) =>
    generateSync({ secret, epoch: Math.floor(api.clock.now() / 1000) + stepOffset * 30 });
  const enroll = async (token: string) => {
    const { body } = await call("POST", "/mfa/totp/enroll", { token, body: {} });
    const activated = await call("POST", `/mfa/factors/${body.factorId}/activate`, {
      token,
      body: { code: codeFor(body.secret) },
    });
    expect(activated.res.status).toBe(200);
    return { factorId: body.factorId as string, secret: body.secret as string };
  };
  return {
    api,
    call,
    signIn,
    codeFor,
    enroll,
    advance: (ms: number) => {
      real += ms;
    },
  };
}

describe("the reference API", () => {
  test("signs the demo user in and refuses a wrong password with problem+json", async () => {
    const { call } = setup();
    const ok = await call("POST", "/api/auth/signin", {
      body: { username: "demo", password: "demo-password" },
    });
    expect(ok.res.status).toBe(200);
    expect(ok.body).toMatchObject({ expiresIn: 60, user: { username: "demo" } });
    const bad = await call("POST", "/api/auth/signin", {
      body: { username: "demo", password: "nope-nope" },
    });
    expect(bad.res.status).toBe(401);
    expect(bad.res.headers.get("content-type")).toBe("application/problem+json");
  });

  test("a protected call without an access token gets a bare Bearer challenge, an expired one invalid_token", async () => {
    const { call, signIn, advance } = setup();
    const anonymous = await call("GET", "/api/profile");
    expect(anonymous.res.status).toBe(401);
    expect(anonymous.res.headers.get("www-authenticate")).toBe("Bearer");
    const token = await signIn();
    advance(60_000);
    const expired = await call("GET", "/api/profile", { token });
    expect(expired.res.status).toBe(401);
    expect(expired.res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
  });

  test("a signed-in user without an MFA session is challenged with the factors to use", async () => {
    const { call, signIn, enroll } = setup();
    const token = await signIn();
    const { factorId } = await enroll(token);
    const { res, body } = await call("GET", "/api/profile", { token });
    expect(res.status).toBe(401);
    expect(parseStepUpChallenge(res.headers)).toEqual({ acrValues: ["mfa"] });
    expect(body.type).toBe(MfaProblemTypes.mfa_required);
    expect(body.factors.map((f: { id: string }) => f.id)).toEqual([factorId]);
    expect(body.backupCodes).toBe(true);
  });

  test("a verified session opens the profile; a transfer older than max_age needs step-up", async () => {
    const { call, signIn, enroll, codeFor, advance } = setup();
    const token = await signIn();
    const { factorId, secret } = await enroll(token);
    advance(30_000); // the next code: the activation's one is spent
    const verified = await call("POST", "/mfa/verify", {
      token,
      body: { factorId, code: codeFor(secret) },
    });
    expect(verified.res.status).toBe(200);
    const session = verified.body.token as string;

    const profile = await call("GET", "/api/profile", { token, session });
    expect(profile.res.status).toBe(200);
    expect(profile.body).toMatchObject({
      user: { username: "demo" },
      balance: { amount: 2500, currency: "EUR" },
      session: { acr: "mfa", authTime: verified.body.authTime },
    });

    const fresh = await call("POST", "/api/transfers", {
      token,
      session,
      body: { to: "Alex", amount: 25 },
    });
    expect(fresh.res.status).toBe(201);

    advance(301_000);
    const freshToken = await signIn();
    const stale = await call("POST", "/api/transfers", {
      token: freshToken,
      session,
      body: { to: "Alex", amount: 25 },
    });
    expect(stale.res.status).toBe(401);
    expect(parseStepUpChallenge(stale.res.headers)).toMatchObject({ maxAge: 300 });
    expect(stale.body).toMatchObject({ type: MfaProblemTypes.step_up_required, maxAge: 300 });
  });

  test("a password change ends every other sign-in and MFA session, and keeps the caller's", async () => {
    const { call, signIn, enroll, codeFor, advance } = setup();
    // The thief: signed in with the password, an MFA session of their own.
    const thief = await signIn();
    const { factorId, secret } = await enroll(thief);
    advance(30_000);
    const stolen = await call("POST", "/mfa/verify", {
      token: thief,
      body: { factorId, code: codeFor(secret) },
    });
    expect(stolen.res.status).toBe(200);
    // The user: another sign-in, a fresh MFA session, the password changed.
    const user = await signIn();
    advance(30_000);
    const mine = await call("POST", "/mfa/verify", {
      token: user,
      body: { factorId, code: codeFor(secret) },
    });
    expect(mine.res.status).toBe(200);
    const changed = await call("PUT", "/api/password", {
      token: user,
      session: mine.body.token,
      body: { newPassword: "a brand new password" },
    });
    expect(changed.res.status).toBe(200);
    expect(changed.body).toMatchObject({ user: { username: "demo" }, expiresIn: 60 });

    // The thief's access token, refresh token and MFA session are all void...
    const thiefProfile = await call("GET", "/api/profile", {
      token: thief,
      session: stolen.body.token,
    });
    expect(thiefProfile.res.status).toBe(401);
    const userWithThiefSession = await call("GET", "/api/profile", {
      token: changed.body.accessToken,
      session: stolen.body.token,
    });
    expect(userWithThiefSession.res.status).toBe(401);
    expect(userWithThiefSession.body.type).toBe(MfaProblemTypes.invalid_session);
    // ...and so is the caller's old access token; the new pair and the caller's session work.
    expect(
      (await call("GET", "/api/profile", { token: user, session: mine.body.token })).res.status,
    ).toBe(401);
    const profile = await call("GET", "/api/profile", {
      token: changed.body.accessToken,
      session: mine.body.token,
    });
    expect(profile.res.status).toBe(200);
    // The old password no longer signs in; the new one does.
    expect(await signIn()).toBeUndefined();
    const fresh = await call("POST", "/api/auth/signin", {
      body: { username: "demo", password: "a brand new password" },
    });
    expect(fresh.res.status).toBe(200);
  });

  test("the same Idempotency-Key replays a transfer instead of sending it twice", async () => {
    const { call, signIn, enroll, codeFor, advance } = setup();
    const token = await signIn();
    const { factorId, secret } = await enroll(token);
    advance(30_000);
    const session = (
      await call("POST", "/mfa/verify", { token, body: { factorId, code: codeFor(secret) } })
    ).body.token;
    const send = () =>
      call("POST", "/api/transfers", {
        token,
        session,
        body: { to: "Alex", amount: 10 },
        headers: { "Idempotency-Key": "k-1" },
      });
    const first = await send();
    const again = await send();
    expect(first.res.status).toBe(201);
    expect(again.res.status).toBe(200);
    expect(again.res.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.transfer.id).toBe(first.body.transfer.id);
    expect(again.body.balance).toBe(2490);
  });

  test("armed faults answer the next protected calls with 503 or 429 and Retry-After", async () => {
    const { api, call, signIn } = setup();
    const token = await signIn();
    api.faults.arm({ status: 429, retryAfterSeconds: 3 }, 1);
    const limited = await call("GET", "/api/profile", { token });
    expect(limited.res.status).toBe(429);
    expect(limited.res.headers.get("retry-after")).toBe("3");
    expect(limited.res.headers.get("ratelimit")).toBe('"default";r=0;t=3');
    expect(limited.body).toMatchObject({ type: MfaProblemTypes.rate_limited, retryAfter: 3 });
    const next = await call("GET", "/api/profile", { token });
    expect(next.res.status).toBe(401); // back to normal: MFA is needed
  });

  test("every answer carries a Date header on the server's skewed clock", async () => {
    const { call } = setup();
    await call("PUT", "/demo/clock", { body: { skewMs: 120_000 } });
    const { res, body } = await call("GET", "/demo/state");
    expect(body.skewMs).toBe(120_000);
    expect(Date.parse(res.headers.get("date")!)).toBe(T0 + 120_000);
    const missing = await call("GET", "/nowhere");
    expect(missing.res.status).toBe(404);
    expect(missing.res.headers.get("date")).not.toBeNull();
  });

  test("bad input gets a 4xx problem, never a 5xx", async () => {
    const { call, signIn } = setup();
    const token = await signIn();
    const cases = [
      await call("POST", "/api/auth/signin", { body: "{not json" }),
      await call("POST", "/api/auth/signin", { body: [1, 2] }),
      await call("POST", "/api/auth/signin", { body: { username: 5 } }),
      await call("POST", "/api/auth/refresh", { body: { refreshToken: "x".repeat(300) } }),
      await call("POST", "/api/auth/signup", { body: { username: "a", password: "b" } }),
      await call("PUT", "/demo/clock", { body: { skewMs: "soon" } }),
      await call("POST", "/demo/faults", { body: { status: 500, count: 1, retryAfterSeconds: 1 } }),
      await call("PUT", "/demo/device", { body: { device: "toaster" } }),
      await call("GET", "/demo/events?after=-1"),
      await call("DELETE", "/api/profile", { token }),
      await call("POST", "/mfa/verify", { token, body: "{" }),
      await call("POST", "/api/auth/signin", { body: "x".repeat(20_000) }),
    ];
    for (const { res } of cases) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  test("the event feed reports failed codes and the lock to the user they concern", async () => {
    const { api, call, signIn, enroll } = setup();
    const token = await signIn();
    const { factorId } = await enroll(token);
    for (let i = 0; i < 3; i++) {
      await call("POST", "/mfa/verify", { token, body: { factorId, code: "000000" } });
    }
    await api.flushEvents();
    const { body } = await call("GET", "/demo/events?after=0", { token });
    const types = body.events.map((e: { type: string }) => e.type);
    expect(types).toEqual(expect.arrayContaining(["mfa.failed", "mfa.locked"]));
    const anonymous = await call("GET", "/demo/events?after=0");
    expect(anonymous.body.events.map((e: { type: string }) => e.type)).not.toContain("mfa.locked");
  });

  test("the current-code helper computes the code an authenticator shows on the server's clock", async () => {
    const { call, signIn, codeFor } = setup();
    const token = await signIn();
    const { body } = await call("POST", "/mfa/totp/enroll", { token, body: {} });
    await call("PUT", "/demo/clock", { body: { skewMs: 600_000 } });
    // Ten minutes later on the server's clock the access token has expired: sign in again.
    const codes = await call("GET", "/demo/totp-codes", { token: await signIn() });
    expect(codes.body.codes).toEqual([
      { factorId: body.factorId, code: codeFor(body.secret), validForSeconds: 30 },
    ]);
    expect((await call("GET", "/demo/totp-codes")).res.status).toBe(401);
  });

  test("the feed reports a backup code used and a verification from a new device", async () => {
    const { api, call, signIn, codeFor, advance } = setup();
    const token = await signIn();
    const enrolled = await call("POST", "/mfa/totp/enroll", { token, body: {} });
    const { factorId, secret } = enrolled.body;
    const activated = await call("POST", `/mfa/factors/${factorId}/activate`, {
      token,
      body: { code: codeFor(secret) },
    });
    const backupCode = activated.body.backupCodes[0] as string;
    const headers = { "User-Agent": "Mozilla/5.0 Chrome/140.0" };
    advance(30_000);
    await call("POST", "/mfa/verify", {
      token,
      headers,
      body: { factorId, code: codeFor(secret) },
    });
    await api.flushEvents();
    const before = await call("GET", "/demo/events?after=0", { token });
    expect(before.body.events.map((e: { type: string }) => e.type)).not.toContain("device.new");
    await call("PUT", "/demo/device", { body: { device: "new-phone" } });
    const viaBackup = await call("POST", "/mfa/verify", { token, headers, body: { backupCode } });
    expect(viaBackup.res.status).toBe(200);
    await api.flushEvents();
    const { body } = await call("GET", "/demo/events?after=0", { token });
    const byType = new Map(body.events.map((e: { type: string }) => [e.type, e]));
    expect(byType.get("backup_code.used")).toMatchObject({
      severity: "warning",
      message: "A backup code was used (9 left): an administrator is notified.",
    });
    expect(byType.get("device.new")).toMatchObject({
      message: "Verified from a new device (Chrome/140.0): the user gets an e-mail.",
    });
  });
});
