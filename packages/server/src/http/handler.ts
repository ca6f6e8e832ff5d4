import {
  DEFAULT_BASE_PATH,
  type FactorSummary,
  MfaHeaders,
  type MfaProblem,
  type MfaRouteName,
} from "@mfa-kit/protocol";
import { MfaOptionError, type MfaRouteMethod, MfaRouteTable } from "@mfa-kit/protocol/vocabulary";
import type { VerifyContext } from "../events/types";
import { AccountLabelError } from "../factors/totp";
import type { MfaServer } from "../server";
import type { MfaSessionClaims } from "../sessions/sessions";
import { optionalObject, optionalString, readHeader, readJsonBody } from "./body";
import { type CorsOptions, createCors } from "./cors";
import {
  badRequest,
  errorResponse,
  type FactorHints,
  fail,
  json,
  noContent,
  type OnError,
  retryHeaders,
  stepUp,
  unauthenticated,
  verifyFailure,
} from "./responses";

/** Options of {@link createMfaHandler}. */
export interface MfaHandlerOptions {
  /**
   * The app's own authentication: the signed-in user's id for a request, or `null`. Called for
   * every MFA route; a throw counts as `null`. Required.
   */
  authenticate: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  /** Where the MFA routes live. Defaults to `"/mfa"`. */
  basePath?: string;
  /** How fresh the verification must be to remove a factor or regenerate backup codes. Defaults to `300_000` (5 minutes). */
  stepUpMaxAgeMs?: number;
  /** The verification context (IP, country, device) of a request. Defaults to the `User-Agent` only. */
  context?: (req: Request) => VerifyContext | Promise<VerifyContext>;
  /**
   * Told of every error the handler turned into a 503 (store unreachable) or 500 (anything
   * else), to log it: the answer never carries it. A throwing hook is ignored. Defaults to none.
   */
  onError?: OnError;
  /**
   * Cross-origin access for browser apps on other origins: preflights answered, the allowed
   * origin echoed (`Vary: Origin`), the headers the client reads exposed. Defaults to none
   * (same-origin only).
   */
  cors?: CorsOptions;
}

type Params = { factorId?: string };
type RouteHandler = (req: Request, userId: string, params: Params) => Promise<Response>;

interface Route {
  name: MfaRouteName;
  method: MfaRouteMethod;
  pattern: RegExp;
}

// The routes and their methods, as the protocol declares them.
const ROUTES: Route[] = (Object.keys(MfaRouteTable) as MfaRouteName[]).map((name) => ({
  name,
  method: MfaRouteTable[name].method,
  pattern: new RegExp(
    `^${MfaRouteTable[name].path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(":factorId", "([^/]+)")}$`,
  ),
}));

const toSummary = (f: FactorSummary): FactorSummary => {
  const out: FactorSummary = { id: f.id, type: f.type, status: f.status, createdAt: f.createdAt };
  if (f.label !== undefined) out.label = f.label;
  if (f.hint !== undefined) out.hint = f.hint;
  if (f.lastUsedAt !== undefined) out.lastUsedAt = f.lastUsedAt;
  return out;
};

/**
 * The reference API as a fetch handler: `(req) => Response`, or `null` when the request is not for
 * an MFA route (serve it yourself). Works anywhere `Request`/`Response` exist: Node 18+, Deno, Bun,
 * edge runtimes, service workers (MSW).
 *
 * Every answer carries `Date` and `Cache-Control: no-store`; every error is
 * `application/problem+json` of one of the protocol's types; bad input gets a 4xx, never a 5xx.
 * Adding, activating or challenging a pending factor needs an MFA session at most `stepUpMaxAgeMs`
 * old once the user has an active factor (the activation decides it atomically in the store);
 * so do removing a factor and regenerating backup codes, which also revoke the sessions the
 * factor or the old codes opened. A store outage answers 503 `service_unavailable`, a failed
 * delivery 502 `delivery_failed`, anything unexpected 500 `internal_error` (told to `onError`).
 */
export function createMfaHandler(
  mfa: MfaServer,
  options: MfaHandlerOptions,
): (req: Request) => Promise<Response | null> {
  if (typeof options?.authenticate !== "function") {
    throw new MfaOptionError(
      "authenticate",
      "createMfaHandler: `authenticate(req)` (your primary authentication) is required.",
    );
  }
  const base = (options.basePath ?? DEFAULT_BASE_PATH).replace(/\/+$/, "");
  const stepUpMaxAgeMs = options.stepUpMaxAgeMs ?? 300_000;
  const limits = mfa.limits;
  const cors = options.cors ? createCors(options.cors) : undefined;
  /** The methods of the routes at `path`, for preflight answers. */
  const methodsAt = (path: string) =>
    ROUTES.filter((r) => r.pattern.test(path)).map((r) => r.method);

  const contextOf = async (req: Request): Promise<VerifyContext> => {
    if (options.context) return options.context(req);
    const ua = readHeader(req, "user-agent");
    return ua ? { userAgent: ua } : {};
  };

  const hints = async (userId: string): Promise<FactorHints> => {
    const { factors, backupCodesRemaining } = await mfa.listFactors(userId);
    return {
      factors: factors.filter((f) => f.status === "active").map(toSummary),
      backupCodes: backupCodesRemaining > 0,
    };
  };

  /** The caller's MFA session, or the 401 to answer with. */
  const requireSession = async (
    req: Request,
    userId: string,
    maxAgeMs?: number,
  ): Promise<MfaSessionClaims | Response> => {
    const token = readHeader(req, MfaHeaders.sessionToken);
    if (token === null) return badRequest(mfa, `Malformed ${MfaHeaders.sessionToken} header.`);
    if (!token) return stepUp(mfa, "mfa_required", { acrValues: ["mfa"] }, await hints(userId));
    const check = await mfa.checkSession(token, maxAgeMs === undefined ? {} : { maxAgeMs });
    if (!check.ok) {
      return stepUp(mfa, check.reason, check.challenge, await hints(userId));
    }
    if (check.claims.userId !== userId) {
      return stepUp(mfa, "invalid_session", { acrValues: ["mfa"] }, await hints(userId));
    }
    return check.claims;
  };

  /** Adding a factor to an account that has one needs a fresh MFA session. */
  const requireSessionIfEnrolled = async (req: Request, userId: string) => {
    const { factors } = await mfa.listFactors(userId);
    if (!factors.some((f) => f.status === "active")) return undefined;
    const session = await requireSession(req, userId, stepUpMaxAgeMs);
    return session instanceof Response ? session : undefined;
  };

  /** The caller's session, for the steps that need a fresh one once the user has a factor. */
  const proofOf = (req: Request) => {
    const token = readHeader(req, MfaHeaders.sessionToken);
    return { ...(token ? { sessionToken: token } : {}), maxAgeMs: stepUpMaxAgeMs };
  };

  /** 401 asking for a fresh MFA session (a pending factor of a user who has an active one). */
  const needsStepUp = async (userId: string) =>
    stepUp(
      mfa,
      "step_up_required",
      { acrValues: ["mfa"], maxAge: Math.floor(stepUpMaxAgeMs / 1000) },
      await hints(userId),
    );

  const body = async (req: Request) => {
    const parsed = await readJsonBody(req);
    return parsed.ok ? parsed.value : badRequest(mfa, parsed.detail, parsed.status);
  };

  const handlers: Record<MfaRouteName, RouteHandler> = {
    async enrollTotp(req, userId) {
      const b = await body(req);
      if (b instanceof Response) return b;
      const label = optionalString(b, "label", 128);
      if (!label.ok) return badRequest(mfa, label.detail);
      const denied = await requireSessionIfEnrolled(req, userId);
      if (denied) return denied;
      // No label and no `accountName` option, or a colon in it: the user's request, a 400.
      const enrolled = await mfa
        .enrollTotp(userId, label.value ? { label: label.value } : {})
        .catch((error: unknown) =>
          error instanceof AccountLabelError ? error : Promise.reject(error),
        );
      if (enrolled instanceof AccountLabelError) return badRequest(mfa, enrolled.message);
      return json(mfa, enrolled);
    },

    async enrollContact(req, userId) {
      const b = await body(req);
      if (b instanceof Response) return b;
      const channel = b.channel;
      const to = optionalString(b, "to", 254);
      if ((channel !== "sms" && channel !== "email") || !to.ok || !to.value) {
        return badRequest(
          mfa,
          '`channel` must be "sms" or "email" and `to` a phone number or e-mail address.',
        );
      }
      if (!mfa.supports(channel)) {
        return badRequest(
          mfa,
          `This server does not send ${channel === "sms" ? "SMS" : "e-mail"} codes.`,
        );
      }
      const denied = await requireSessionIfEnrolled(req, userId);
      if (denied) return denied;
      const result = await mfa.enrollContact(userId, { channel, to: to.value });
      if (result.ok)
        return json(mfa, { factorId: result.factorId, challengeId: result.challengeId });
      if (result.reason === "invalid_request") {
        return badRequest(
          mfa,
          channel === "sms"
            ? "`to` must be a phone number in international format, e.g. +15551234567."
            : "`to` must be an e-mail address.",
        );
      }
      // The pending factor exists: the client can ask for a code again with /challenge.
      return sendFailure(result.reason, result.retryAfterMs ?? 60_000, {
        ...(result.factorId !== undefined ? { factorId: result.factorId } : {}),
      });
    },

    async activateFactor(req, userId, { factorId }) {
      const b = await body(req);
      if (b instanceof Response) return b;
      const code = optionalString(b, "code", 64);
      if (!code.ok || code.value === undefined)
        return badRequest(mfa, "`code` (a string) is required.");
      const result = await mfa.activateFactor(userId, factorId!, code.value, proofOf(req));
      if (!result.ok) {
        return result.reason === "mfa_required"
          ? needsStepUp(userId)
          : verifyFailure(mfa, result, limits);
      }
      return json(mfa, {
        factor: toSummary(result.factor),
        ...(result.backupCodes ? { backupCodes: result.backupCodes } : {}),
        ...(result.session ? { session: result.session } : {}),
      });
    },

    async webauthnRegistrationOptions(req, userId) {
      const b = await body(req);
      if (b instanceof Response) return b;
      if (!mfa.supports("webauthn"))
        return badRequest(mfa, "WebAuthn is not enabled on this server.");
      const denied = await requireSessionIfEnrolled(req, userId);
      if (denied) return denied;
      return json(mfa, await mfa.webauthnRegistrationOptions(userId));
    },

    async webauthnRegistrationVerify(req, userId) {
      const b = await body(req);
      if (b instanceof Response) return b;
      if (!mfa.supports("webauthn"))
        return badRequest(mfa, "WebAuthn is not enabled on this server.");
      const response = optionalObject(b, "response");
      const label = optionalString(b, "label", 128);
      if (!response.ok || !response.value || !label.ok) {
        return badRequest(
          mfa,
          "`response` (the RegistrationResponseJSON) is required; `label` is a string.",
        );
      }
      const denied = await requireSessionIfEnrolled(req, userId);
      if (denied) return denied;
      const result = await mfa.verifyWebauthnRegistration(userId, response.value, {
        ...(label.value ? { label: label.value } : {}),
        ...proofOf(req),
      });
      if (!result.ok) {
        return result.reason === "mfa_required"
          ? needsStepUp(userId)
          : verifyFailure(mfa, result, limits);
      }
      return json(mfa, {
        factor: toSummary(result.factor),
        ...(result.backupCodes ? { backupCodes: result.backupCodes } : {}),
      });
    },

    async listFactors(_req, userId) {
      const { factors, backupCodesRemaining } = await mfa.listFactors(userId);
      return json(mfa, { factors, backupCodesRemaining });
    },

    async removeFactor(req, userId, { factorId }) {
      const session = await requireSession(req, userId, stepUpMaxAgeMs);
      if (session instanceof Response) return session;
      // The caller's own session stays unless the removed factor opened it.
      const except = readHeader(req, MfaHeaders.sessionToken) ?? undefined;
      const result = await mfa.removeFactor(userId, factorId!, except ? { except } : {});
      return result.ok
        ? noContent(mfa)
        : fail(mfa, "factor_not_found", { detail: "No such factor for this user." });
    },

    async renameFactor(req, userId, { factorId }) {
      const b = await body(req);
      if (b instanceof Response) return b;
      const label = optionalString(b, "label", 256);
      if (!label.ok || !label.value) return badRequest(mfa, "`label` (a string) is required.");
      const session = await requireSession(req, userId);
      if (session instanceof Response) return session;
      const result = await mfa.renameFactor(userId, factorId!, label.value);
      if (result.ok) return json(mfa, { factor: toSummary(result.factor) });
      return result.reason === "invalid_label"
        ? badRequest(mfa, "`label` must be 1 to 64 characters, without control characters.")
        : fail(mfa, "factor_not_found", { detail: "No such factor for this user." });
    },

    async challenge(req, userId) {
      const b = await body(req);
      if (b instanceof Response) return b;
      const factorId = optionalString(b, "factorId", 128);
      if (!factorId.ok || !factorId.value)
        return badRequest(mfa, "`factorId` (a string) is required.");
      const result = await mfa.startChallenge(userId, factorId.value, proofOf(req));
      if (result.ok) {
        const { ok: _ok, ...response } = result;
        return json(mfa, response);
      }
      if (result.reason === "factor_not_found") {
        return fail(mfa, "factor_not_found", { detail: "No such factor for this user." });
      }
      if (result.reason === "mfa_required") return needsStepUp(userId);
      if (result.reason === "locked") {
        return verifyFailure(
          mfa,
          { ok: false, reason: "locked", retryAfterMs: result.retryAfterMs ?? 1000 },
          limits,
        );
      }
      return sendFailure(result.reason, result.retryAfterMs ?? 60_000);
    },

    async verify(req, userId) {
      const b = await body(req);
      if (b instanceof Response) return b;
      const fields = {
        factorId: optionalString(b, "factorId", 128),
        challengeId: optionalString(b, "challengeId", 512),
        code: optionalString(b, "code", 64),
        backupCode: optionalString(b, "backupCode", 64),
        webauthn: optionalObject(b, "webauthn"),
      };
      for (const f of Object.values(fields)) if (!f.ok) return badRequest(mfa, f.detail);
      const value = <T>(f: { ok: boolean; value?: T }) => (f.ok ? f.value : undefined);
      const input = {
        userId,
        context: await contextOf(req),
        ...(value(fields.factorId) !== undefined ? { factorId: value(fields.factorId)! } : {}),
        ...(value(fields.challengeId) !== undefined
          ? { challengeId: value(fields.challengeId)! }
          : {}),
        ...(value(fields.code) !== undefined ? { code: value(fields.code)! } : {}),
        ...(value(fields.backupCode) !== undefined
          ? { backupCode: value(fields.backupCode)! }
          : {}),
        ...(value(fields.webauthn) !== undefined ? { webauthn: value(fields.webauthn)! } : {}),
      };
      const result = await mfa.verify(input);
      return result.ok ? json(mfa, result.session) : verifyFailure(mfa, result, limits);
    },

    async refreshSession(req, userId) {
      const session = await requireSession(req, userId);
      if (session instanceof Response) return session;
      const token = readHeader(req, MfaHeaders.sessionToken)!;
      const result = await mfa.refreshSession(token);
      if (!result.ok) {
        return stepUp(mfa, "invalid_session", { acrValues: ["mfa"] }, await hints(userId));
      }
      return json(mfa, result.session);
    },

    async regenerateBackupCodes(req, userId) {
      const session = await requireSession(req, userId, stepUpMaxAgeMs);
      if (session instanceof Response) return session;
      return json(mfa, await mfa.regenerateBackupCodes(userId));
    },

    async signOut(req) {
      const token = readHeader(req, MfaHeaders.sessionToken);
      if (token === null) return badRequest(mfa, `Malformed ${MfaHeaders.sessionToken} header.`);
      if (token) await mfa.revokeSession(token);
      return noContent(mfa);
    },
  };

  const sendFailure = (
    reason: "rate_limited" | "delivery_failed",
    retryAfterMs: number,
    extra: Partial<MfaProblem> = {},
  ) => {
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return reason === "rate_limited"
      ? fail(
          mfa,
          "rate_limited",
          {
            retryAfter,
            detail: "Codes were sent moments ago: wait before asking for another.",
            ...extra,
          },
          retryHeaders(retryAfterMs, limits),
        )
      : fail(
          mfa,
          "delivery_failed",
          {
            retryAfter,
            detail: "The code could not be delivered: ask for a new one shortly.",
            ...extra,
          },
          { [MfaHeaders.retryAfter]: String(retryAfter) },
        );
  };

  const dispatch = async (req: Request, path: string): Promise<Response> => {
    let matched: Route | undefined;
    let params: Params = {};
    const allowed: string[] = [];
    for (const route of ROUTES) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      allowed.push(route.method);
      if (route.method !== req.method) continue;
      matched = route;
      if (m[1] !== undefined) {
        try {
          params = { factorId: decodeURIComponent(m[1]) };
        } catch {
          return badRequest(mfa, "The factor id in the path is not valid percent-encoding.");
        }
      }
      break;
    }
    if (!matched) {
      return allowed.length > 0
        ? badRequest(mfa, `Use ${allowed.join(" or ")} on this route.`, 405, {
            Allow: allowed.join(", "),
          })
        : badRequest(mfa, "No such MFA route.", 404);
    }
    for (const name of [MfaHeaders.authorization, MfaHeaders.sessionToken, MfaHeaders.mfaToken]) {
      if (readHeader(req, name) === null) {
        return badRequest(mfa, `The ${name} header holds characters a header value cannot.`);
      }
    }
    let userId: string | null | undefined;
    try {
      userId = await options.authenticate(req);
    } catch {
      userId = null;
    }
    if (typeof userId !== "string" || userId === "") {
      return unauthenticated(mfa, req.headers.has(MfaHeaders.authorization));
    }
    return handlers[matched.name](req, userId, params);
  };

  return async (req: Request): Promise<Response | null> => {
    let path: string;
    try {
      path = new URL(req.url).pathname;
    } catch {
      return null;
    }
    if (path !== base && !path.startsWith(`${base}/`)) return null;
    const route = path.slice(base.length) || "/";
    if (req.method === "OPTIONS") return cors?.preflight(req, methodsAt(route)) ?? null;
    let response: Response;
    try {
      response = await dispatch(req, route);
    } catch (error) {
      // A store outage (503) or a bug (500): the app's onError hears of it, the client never.
      response = errorResponse(mfa, error, req, options.onError);
    }
    return cors ? cors.apply(req, response) : response;
  };
}
