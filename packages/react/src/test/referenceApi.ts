import {
  type FactorSummary,
  MfaHeaders,
  type MfaProblem,
  type MfaProblemName,
  mfaPath,
  PROBLEM_CONTENT_TYPE,
  problem,
  type VerifyRequest,
} from "@mfa-kit/protocol";
import { formatRateLimit, formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { HttpResponse, http, type JsonBodyType } from "msw";

/** Where the API lives in the tests: jsdom's page origin, which the client defaults to. */
export const ORIGIN = "http://localhost:3000";

export const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
export const OTPAUTH_URI = `otpauth://totp/mfa-kit:alice%40example.com?secret=${TOTP_SECRET}&issuer=mfa-kit&algorithm=SHA1&digits=6&period=30`;

/** Options of {@link referenceApi}: the user's factors and the API's rules. */
export interface ReferenceApiOptions {
  factors?: FactorSummary[];
  /** The only code verify accepts. */
  code?: string;
  backupCodes?: string[];
  /** The WebAuthn credential id verify accepts. */
  credentialId?: string;
  /** Failed answers before a lock. */
  maxAttempts?: number;
  /** Seconds a lock lasts. */
  lockSeconds?: number;
  /** The server's clock minus the real one, in milliseconds. */
  serverSkewMs?: number;
  /** Seconds a session counts as fresh for the sensitive routes. */
  sensitiveMaxAge?: number;
}

export const totpFactor: FactorSummary = {
  id: "f-totp",
  type: "totp",
  status: "active",
  label: "Authenticator app",
  createdAt: 1_700_000_000_000,
};
export const smsFactor: FactorSummary = {
  id: "f-sms",
  type: "sms",
  status: "active",
  hint: "+1 ••• ••• 4567",
  createdAt: 1_700_000_000_000,
};
export const keyFactor: FactorSummary = {
  id: "f-key",
  type: "webauthn",
  status: "active",
  label: "YubiKey",
  createdAt: 1_700_000_000_000,
};

/**
 * The reference API's wire behaviour, as msw handlers over an in-memory user: a guarded
 * `GET /api/data`, step-up with RFC 9470 challenges and problem+json, verify with attempts and a
 * lock, enrollment, factors, backup codes and WebAuthn challenges. `calls` counts requests per
 * route so tests can assert how often the client called.
 */
export function referenceApi(options: ReferenceApiOptions = {}) {
  const {
    code = "123456",
    credentialId = "cred-1",
    maxAttempts = 3,
    lockSeconds = 30,
    serverSkewMs = 0,
    sensitiveMaxAge = 300,
  } = options;
  const state = {
    factors: (options.factors ?? [totpFactor]).map((f) => ({ ...f })),
    backupCodes: new Set(options.backupCodes ?? ["aaaa-bbbb", "cccc-dddd"]),
    sessions: new Map<string, { authTime: number; expiresAt: number }>(),
    failures: 0,
    lockedUntil: 0,
    verifyBodies: [] as VerifyRequest[],
    pendingFactor: null as FactorSummary | null,
    challenges: 0,
  };
  const calls: Record<string, number> = {};
  const now = () => Date.now() + serverSkewMs;
  const headers = (extra: Record<string, string> = {}) => ({
    Date: new Date(now()).toUTCString(),
    ...extra,
  });
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  const fail = (name: MfaProblemName, extra: Partial<MfaProblem> = {}, more = {}) => {
    const body = problem(name, extra);
    return HttpResponse.json(body, {
      status: body.status,
      headers: headers({ "Content-Type": PROBLEM_CONTENT_TYPE, ...more }),
    });
  };
  const ok = (body: JsonBodyType, status = 200) =>
    status === 204
      ? new HttpResponse(null, { status, headers: headers() })
      : HttpResponse.json(body, { status, headers: headers() });

  // The session guard of a protected route; `maxAge` for sensitive ones.
  const guard = (request: Request, maxAge?: number): Response | null => {
    const token = request.headers.get(MfaHeaders.sessionToken);
    const session = token ? state.sessions.get(token) : undefined;
    const factors = state.factors.filter((f) => f.status === "active");
    const extra = { factors, backupCodes: state.backupCodes.size > 0 };
    const challenge = (seconds?: number) => ({
      [MfaHeaders.wwwAuthenticate]: formatStepUpChallenge({ acrValues: ["mfa"], maxAge: seconds }),
    });
    if (!token) return fail("mfa_required", extra, challenge());
    if (!session || session.expiresAt <= now()) return fail("invalid_session", extra, challenge());
    if (maxAge !== undefined && now() - session.authTime > maxAge * 1000) {
      return fail("step_up_required", { ...extra, maxAge }, challenge(maxAge));
    }
    return null;
  };

  const base = (route: Parameters<typeof mfaPath>[0], factorId = ":factorId") =>
    ORIGIN + mfaPath(route, { factorId }).replace("%3AfactorId", ":factorId");

  const handlers = [
    http.get(`${ORIGIN}/api/data`, ({ request }) => {
      count("data");
      return guard(request) ?? ok({ data: "secret" });
    }),
    http.post(base("verify"), async ({ request }) => {
      count("verify");
      const body = (await request.json()) as VerifyRequest;
      state.verifyBodies.push(body);
      if (state.lockedUntil > now()) {
        const retryAfter = Math.ceil((state.lockedUntil - now()) / 1000);
        return fail(
          "locked",
          { retryAfter },
          {
            "Retry-After": String(retryAfter),
            RateLimit: formatRateLimit("verify", 0, retryAfter),
            "RateLimit-Policy": `"verify";q=${maxAttempts};w=300`,
          },
        );
      }
      const valid =
        (body.code !== undefined && body.code === code) ||
        (body.backupCode !== undefined && state.backupCodes.delete(body.backupCode)) ||
        (body.webauthn !== undefined && body.webauthn.id === credentialId);
      if (!valid) {
        state.failures++;
        if (state.failures >= maxAttempts) {
          state.failures = 0;
          state.lockedUntil = now() + lockSeconds * 1000;
          return fail(
            "locked",
            { retryAfter: lockSeconds },
            {
              "Retry-After": String(lockSeconds),
              RateLimit: formatRateLimit("verify", 0, lockSeconds),
              "RateLimit-Policy": `"verify";q=${maxAttempts};w=300`,
            },
          );
        }
        return fail("invalid_code", { attemptsLeft: maxAttempts - state.failures });
      }
      state.failures = 0;
      // The factor that answered is marked used, as the server kit does.
      const used =
        state.factors.find((f) => f.id === body.factorId) ??
        (body.code !== undefined ? state.factors.find((f) => f.type === "totp") : undefined);
      if (used) used.lastUsedAt = now();
      const token = `s${state.sessions.size + 1}`;
      const session = { authTime: now(), expiresAt: now() + 15 * 60_000 };
      state.sessions.set(token, session);
      const amr = body.webauthn ? ["hwk"] : body.backupCode ? ["otp"] : ["otp"];
      return ok({ token, ...session, acr: "mfa", amr });
    }),
    http.post(base("refreshSession"), ({ request }) => {
      count("refreshSession");
      const token = request.headers.get(MfaHeaders.sessionToken) ?? "";
      const session = state.sessions.get(token);
      if (!session) return guard(new Request(ORIGIN)) ?? fail("invalid_session");
      session.expiresAt = now() + 15 * 60_000;
      return ok({ token, ...session, acr: "mfa", amr: ["otp"] });
    }),
    http.get(base("listFactors"), () => {
      count("listFactors");
      return ok({ factors: state.factors, backupCodesRemaining: state.backupCodes.size });
    }),
    http.delete(base("removeFactor"), ({ request, params }) => {
      count("removeFactor");
      const denied = guard(request, sensitiveMaxAge);
      if (denied) return denied;
      const before = state.factors.length;
      state.factors = state.factors.filter((f) => f.id !== params.factorId);
      return state.factors.length < before ? ok(null, 204) : fail("factor_not_found");
    }),
    http.patch(base("renameFactor"), async ({ request, params }) => {
      count("renameFactor");
      const denied = guard(request);
      if (denied) return denied;
      const { label } = (await request.json()) as { label?: string };
      const factor = state.factors.find((f) => f.id === params.factorId);
      if (!factor) return fail("factor_not_found");
      if (typeof label !== "string" || !label.trim()) return fail("invalid_request");
      factor.label = label.trim();
      return ok({ factor });
    }),
    http.post(base("regenerateBackupCodes"), ({ request }) => {
      count("regenerateBackupCodes");
      const denied = guard(request, sensitiveMaxAge);
      if (denied) return denied;
      const codes = ["new1-new1", "new2-new2", "new3-new3"];
      state.backupCodes = new Set(codes);
      return ok({ backupCodes: codes });
    }),
    http.post(base("enrollTotp"), () => {
      count("enrollTotp");
      state.pendingFactor = {
        id: "f-new",
        type: "totp",
        status: "pending",
        createdAt: now(),
      };
      return ok({ factorId: "f-new", secret: TOTP_SECRET, otpauthUri: OTPAUTH_URI });
    }),
    http.post(base("enrollContact"), async ({ request }) => {
      count("enrollContact");
      const body = (await request.json()) as { channel?: string; to?: string };
      if ((body.channel !== "sms" && body.channel !== "email") || !body.to) {
        return fail("invalid_request", { detail: "channel must be sms or email, with to" });
      }
      state.pendingFactor = {
        id: `f-${body.channel}-new`,
        type: body.channel,
        status: "pending",
        hint: "•••",
        createdAt: now(),
      };
      return ok({ factorId: state.pendingFactor.id, challengeId: `ch${++state.challenges}` });
    }),
    http.post(base("activateFactor"), async ({ request, params }) => {
      count("activateFactor");
      const body = (await request.json()) as { code?: string };
      const pending = state.pendingFactor;
      if (!pending || pending.id !== params.factorId) return fail("factor_not_found");
      if (body.code !== code) return fail("invalid_code", { attemptsLeft: 2 });
      const factor: FactorSummary = { ...pending, status: "active" };
      const first = state.factors.length === 0;
      state.factors.push(factor);
      state.pendingFactor = null;
      const backupCodes = first
        ? Array.from({ length: 10 }, (_, i) => `code-${String(i).padStart(4, "0")}`)
        : undefined;
      if (backupCodes) state.backupCodes = new Set(backupCodes);
      return ok({ factor, backupCodes });
    }),
    http.post(base("challenge"), async ({ request }) => {
      count("challenge");
      const { factorId } = (await request.json()) as { factorId: string };
      // A pending SMS / e-mail factor gets a new activation code the same way.
      const factor = [...state.factors, state.pendingFactor].find((f) => f?.id === factorId);
      if (!factor) return fail("factor_not_found");
      const challengeId = `ch${++state.challenges}`;
      const expiresAt = now() + 5 * 60_000;
      if (factor.type !== "webauthn") return ok({ challengeId, expiresAt });
      return ok({
        challengeId,
        expiresAt,
        webauthnOptions: {
          challenge: "dGVzdC1jaGFsbGVuZ2U",
          rpId: "localhost",
          timeout: 60_000,
          userVerification: "preferred",
          allowCredentials: [{ id: credentialId, type: "public-key" }],
        },
      });
    }),
    http.post(base("webauthnRegistrationOptions"), () => {
      count("webauthnRegistrationOptions");
      return ok({
        challenge: "cmVnaXN0cmF0aW9u",
        rp: { id: "localhost", name: "mfa-kit" },
        user: { id: "dXNlci0x", name: "alice", displayName: "Alice" },
        pubKeyCredParams: [{ type: "public-key", alg: -7 }],
        excludeCredentials: [],
        timeout: 60_000,
      });
    }),
    http.post(base("webauthnRegistrationVerify"), async ({ request }) => {
      count("webauthnRegistrationVerify");
      const body = (await request.json()) as { response?: { id?: string }; label?: string };
      if (!body.response?.id) return fail("invalid_request");
      const factor: FactorSummary = {
        id: `f-${body.response.id}`,
        type: "webauthn",
        status: "active",
        label: body.label,
        createdAt: now(),
      };
      state.factors.push(factor);
      return ok({ factor });
    }),
    http.post(base("signOut"), ({ request }) => {
      count("signOut");
      state.sessions.delete(request.headers.get(MfaHeaders.sessionToken) ?? "");
      return ok(null, 204);
    }),
  ];

  return { state, calls, handlers };
}
