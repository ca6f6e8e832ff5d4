import {
  type FactorSummary,
  type MfaSessionResponse,
  PROBLEM_CONTENT_TYPE,
  problem,
  type VerifyRequest,
} from "@mfa-kit/protocol";
import { formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { HttpResponse, http } from "msw";
import type { SetupServer } from "msw/node";

/** The API the tests call. */
export const ORIGIN = "https://api.example.com";
/** Somewhere credentials must never go. */
export const OTHER = "https://other.example.org";

export const TOTP_FACTOR: FactorSummary = {
  id: "f-totp",
  type: "totp",
  status: "active",
  createdAt: 0,
};

/**
 * A small reference-like API for the behaviour suite: primary tokens, MFA sessions, step-up,
 * verify with a lock, session refresh, factors. Every answer carries a `Date` header from the
 * server's clock (`skewMs` ahead of the local one).
 */
export class FakeApi {
  skewMs = 0;
  /** Access tokens the API accepts. */
  tokens = new Set(["t1"]);
  /** The code `POST /mfa/verify` accepts. */
  code = "123456";
  /** Failed answers before a lock, and its length. */
  attemptsBeforeLock = 3;
  lockSeconds = 30;
  sessionTtlMs = 15 * 60_000;
  /**
   * Factors of which one more must be verified after the next right answer, as after a sign-in
   * from another country: that answer gets a 401 `mfa_required` with `additionalFactor`.
   */
  additionalFactors: FactorSummary[] | null = null;
  /** The factors the next answer must name (set by an additional-factor answer). */
  private expected: FactorSummary[] | null = null;
  /** What the guarded routes demand: `GET /data/mfa/*` a session, `/data/sensitive/*` a fresh one. */
  sensitiveMaxAge = 300;
  sessions = new Map<string, MfaSessionResponse>();
  verifyBodies: VerifyRequest[] = [];
  sessionRefreshes = 0;
  factorLists = 0;
  failures = 0;
  private seq = 0;
  /** Every request the API saw: method, URL and headers. */
  seen: { method: string; url: string; headers: Headers }[] = [];

  constructor(server: SetupServer) {
    server.use(
      http.post(`${ORIGIN}/mfa/verify`, async ({ request }) => this.verify(request)),
      http.post(`${ORIGIN}/mfa/session/refresh`, ({ request }) => this.refresh(request)),
      http.get(`${ORIGIN}/mfa/factors`, ({ request }) => {
        this.factorLists++;
        return (
          this.primary(request) ?? this.json({ factors: [TOTP_FACTOR], backupCodesRemaining: 5 })
        );
      }),
      http.all(`${ORIGIN}/data/*`, ({ request }) => this.data(request)),
    );
  }

  now(): number {
    return Date.now() + this.skewMs;
  }

  json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
    return HttpResponse.json(body as never, {
      status,
      headers: {
        date: new Date(this.now()).toUTCString(),
        ...(status >= 400 && { "content-type": PROBLEM_CONTENT_TYPE }),
        ...headers,
      },
    });
  }

  /** A session as `POST /mfa/verify` would issue it. */
  issue(authTime = this.now()): MfaSessionResponse {
    const session = {
      token: `s${++this.seq}`,
      expiresAt: this.now() + this.sessionTtlMs,
      acr: "mfa",
      amr: ["otp"],
      authTime,
    };
    this.sessions.set(session.token, session);
    return session;
  }

  private log(request: Request) {
    this.seen.push({ method: request.method, url: request.url, headers: request.headers });
  }

  /** The 401 for a missing or bad access token, or `undefined` when it is fine. */
  primary(request: Request): Response | undefined {
    this.log(request);
    const auth = request.headers.get("authorization");
    if (auth && this.tokens.has(auth.replace(/^Bearer /, ""))) return undefined;
    return this.json(problem("invalid_request", { status: 401, title: "Unauthorized" }), 401, {
      "www-authenticate": auth ? 'Bearer error="invalid_token"' : "Bearer",
    });
  }

  challenge(
    name: "mfa_required" | "invalid_session" | "step_up_required",
    maxAge?: number,
  ): Response {
    return this.json(
      problem(name, { status: 401, factors: [TOTP_FACTOR], backupCodes: true, maxAge }),
      401,
      { "www-authenticate": formatStepUpChallenge({ acrValues: ["mfa"], maxAge }) },
    );
  }

  private data(request: Request): Response {
    const denied = this.primary(request);
    if (denied) return denied;
    const path = new URL(request.url).pathname;
    if (path.startsWith("/data/mfa/") || path.startsWith("/data/sensitive/")) {
      const token = request.headers.get("x-session-token");
      const session = token ? this.sessions.get(token) : undefined;
      if (!token) return this.challenge("mfa_required");
      if (!session || session.expiresAt <= this.now()) return this.challenge("invalid_session");
      if (
        path.startsWith("/data/sensitive/") &&
        this.now() - session.authTime > this.sensitiveMaxAge * 1000
      ) {
        return this.challenge("step_up_required", this.sensitiveMaxAge);
      }
    }
    return this.json({ ok: true, path, method: request.method });
  }

  private async verify(request: Request): Promise<Response> {
    const denied = this.primary(request);
    if (denied) return denied;
    const body = (await request.json()) as VerifyRequest;
    this.verifyBodies.push(body);
    if (this.failures >= this.attemptsBeforeLock) {
      return this.json(problem("locked", { retryAfter: this.lockSeconds }), 429, {
        "retry-after": String(this.lockSeconds),
      });
    }
    const wrongFactor = this.expected && !this.expected.some((f) => f.id === body.factorId);
    if ((body.code !== this.code && body.backupCode !== "backup-1") || wrongFactor) {
      this.failures++;
      return this.json(
        problem("invalid_code", { attemptsLeft: this.attemptsBeforeLock - this.failures }),
        400,
      );
    }
    this.failures = 0;
    if (this.additionalFactors) {
      this.expected = this.additionalFactors;
      this.additionalFactors = null;
      return this.json(
        problem("mfa_required", {
          status: 401,
          additionalFactor: true,
          factors: this.expected,
          backupCodes: false,
          detail: "Verify one more factor.",
        }),
        401,
        {
          "www-authenticate": formatStepUpChallenge({
            acrValues: ["mfa"],
            errorDescription: "additional factor required",
          }),
        },
      );
    }
    this.expected = null;
    return this.json(this.issue());
  }

  private refresh(request: Request): Response {
    const denied = this.primary(request);
    if (denied) return denied;
    this.sessionRefreshes++;
    const old = this.sessions.get(request.headers.get("x-session-token") ?? "");
    if (!old || old.expiresAt <= this.now()) return this.challenge("invalid_session");
    this.sessions.delete(old.token);
    const next = { ...this.issue(old.authTime) };
    return this.json(next);
  }
}
