import { MfaHeaders } from "@mfa-kit/protocol";
import type { VerifyContext } from "../events/types";
import type { MfaServer } from "../server";
import { type MfaSessionClaims, sessionChecker } from "../sessions/sessions";
import { readHeader } from "./body";
import { type Cors, type CorsOptions, createCors } from "./cors";
import {
  badRequest,
  errorResponse,
  type FactorHints,
  fail,
  type OnError,
  stepUp,
  verifyFailure,
} from "./responses";

/** Options of {@link requireMfa}. */
export interface RequireMfaOptions {
  /** The last verification must be at most this old (step-up for sensitive actions). Defaults to no limit. */
  maxAgeMs?: number;
  /** Acceptable `acr` values (`phr` satisfies `mfa`). Defaults to any MFA session. */
  acrValues?: string[];
  /**
   * The app's primary authentication. When given, the session must belong to this user, the 401
   * lists the user's factors, and one-shot `X-MFA-Token` codes are accepted. Defaults to none.
   */
  authenticate?: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  /** The verification context of a request, for one-shot codes. Defaults to the `User-Agent` only. */
  context?: (req: Request) => VerifyContext | Promise<VerifyContext>;
  /**
   * Told of every error the guard turned into a 503 (store unreachable) or 500 (anything else),
   * to log it; the request is refused either way. A throwing hook is ignored. Defaults to none.
   */
  onError?: OnError;
  /**
   * Cross-origin access (see `createMfaHandler`): a preflight is answered as a denial (send
   * `response`; the route does not run), every denial carries the CORS headers, and an accepted
   * request gets them in `headers` for the route's own answer. Defaults to none.
   */
  cors?: CorsOptions;
}

/** The answer of a {@link requireMfa} guard. */
export type MfaGuardResult =
  | {
      ok: true;
      claims: MfaSessionClaims;
      /** With `cors`: the headers to set on the route's answer (`Access-Control-Allow-Origin`, ...). */
      headers?: Headers;
    }
  | { ok: false; response: Response };

/**
 * Guards the app's own routes: reads `X-Session-Token` (one store lookup), or a one-shot code in
 * `X-MFA-Token` (verified like `verify`, counted by the limiter, no session issued). On failure,
 * `response` is the reference API's answer: a 401 with the RFC 9470 challenge (`mfa_required`,
 * `invalid_session`, `step_up_required`), or the code's 400 / 429.
 *
 * @example
 * const guard = requireMfa(mfa, { maxAgeMs: 300_000, authenticate });
 * const result = await guard(req);
 * if (!result.ok) return result.response;
 */
export function requireMfa(
  mfa: MfaServer,
  options: RequireMfaOptions = {},
): (req: Request) => Promise<MfaGuardResult> {
  const requirements = {
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
    ...(options.acrValues !== undefined ? { acrValues: options.acrValues } : {}),
  };
  const base = {
    acrValues: options.acrValues && options.acrValues.length > 0 ? options.acrValues : ["mfa"],
    ...(options.maxAgeMs !== undefined ? { maxAge: Math.floor(options.maxAgeMs / 1000) } : {}),
  };

  const checkSession = sessionChecker(mfa);
  const hints = async (userId: string | undefined): Promise<FactorHints | undefined> => {
    if (userId === undefined) return undefined;
    const { factors, backupCodesRemaining } = await mfa.listFactors(userId);
    return {
      factors: factors
        .filter((f) => f.status === "active")
        .map(({ id, type, status, createdAt, label, hint, lastUsedAt }) => ({
          id,
          type,
          status,
          createdAt,
          ...(label !== undefined ? { label } : {}),
          ...(hint !== undefined ? { hint } : {}),
          ...(lastUsedAt !== undefined ? { lastUsedAt } : {}),
        })),
      backupCodes: backupCodesRemaining > 0,
    };
  };

  const guard = async (req: Request): Promise<MfaGuardResult> => {
    const deny = (response: Response): MfaGuardResult => ({ ok: false, response });
    const session = readHeader(req, MfaHeaders.sessionToken);
    const oneShot = readHeader(req, MfaHeaders.mfaToken);
    if (session === null || oneShot === null) {
      return deny(badRequest(mfa, "An MFA header holds characters a header value cannot."));
    }
    let userId: string | undefined;
    if (options.authenticate) {
      let id: string | null | undefined;
      try {
        id = await options.authenticate(req);
      } catch {
        id = null;
      }
      if (typeof id !== "string" || id === "") {
        const had = req.headers.has(MfaHeaders.authorization);
        return deny(
          fail(
            mfa,
            "invalid_request",
            { status: 401, title: "Authentication required" },
            { [MfaHeaders.wwwAuthenticate]: had ? 'Bearer error="invalid_token"' : "Bearer" },
          ),
        );
      }
      userId = id;
    }

    if (session) {
      const check = await checkSession(session, requirements);
      if (check.ok && (userId === undefined || check.claims.userId === userId)) {
        return { ok: true, claims: check.claims };
      }
      if (!oneShot) {
        const reason = check.ok ? "invalid_session" : check.reason;
        return deny(stepUp(mfa, reason, check.ok ? base : check.challenge, await hints(userId)));
      }
    }

    if (oneShot && userId !== undefined) {
      const context = options.context
        ? await options.context(req)
        : (() => {
            const ua = readHeader(req, "user-agent");
            return ua ? { userAgent: ua } : {};
          })();
      const proof = await mfa.verifyOnce({ userId, code: oneShot, context });
      if (!proof.ok) return deny(verifyFailure(mfa, proof, mfa.limits));
      if (
        options.acrValues?.length &&
        !options.acrValues.includes(proof.acr) &&
        !(proof.acr === "phr" && options.acrValues.includes("mfa"))
      ) {
        return deny(stepUp(mfa, "step_up_required", base, await hints(userId)));
      }
      const now = mfa.now();
      return {
        ok: true,
        claims: {
          userId,
          acr: proof.acr,
          amr: proof.amr,
          authTime: now,
          expiresAt: now,
          ...(proof.factorId !== undefined ? { factorId: proof.factorId } : {}),
        },
      };
    }
    return deny(stepUp(mfa, "mfa_required", base, await hints(userId)));
  };

  // Fail closed: when the store cannot answer (Redis down), refuse with 503 and `Retry-After`,
  // and with 500 on anything else (the same answers as the handler's); never let the request
  // through or reject the route.
  const guarded = (req: Request) =>
    guard(req).catch(
      (error: unknown): MfaGuardResult => ({
        ok: false,
        response: errorResponse(mfa, error, req, options.onError),
      }),
    );
  return options.cors ? withCors(createCors(options.cors), guarded) : guarded;
}

/**
 * A guard with CORS: preflights answered before it runs, its denials and acceptances given the
 * CORS headers of the request's origin. Shared by `requireMfa` and `requireAcr`.
 */
export function withCors<
  R extends { ok: true; headers?: Headers } | { ok: false; response: Response },
>(cors: Cors, guard: (req: Request) => Promise<R>): (req: Request) => Promise<R> {
  return async (req) => {
    const preflight = cors.preflight(req, null);
    if (preflight) return { ok: false, response: preflight } as R;
    const result = await guard(req);
    if (!result.ok) return { ...result, response: cors.apply(req, result.response) };
    return { ...result, headers: new Headers(cors.headersFor(req.headers.get("origin"))) };
  };
}
