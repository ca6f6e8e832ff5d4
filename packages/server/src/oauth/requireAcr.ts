import { MfaHeaders, MfaProblemTypes, PROBLEM_CONTENT_TYPE } from "@mfa-kit/protocol";
import { formatStepUpChallenge } from "@mfa-kit/protocol/format";
import { OAuthProblemTypes } from "@mfa-kit/protocol/oauth";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { type CorsOptions, createCors } from "../http/cors";
import { withCors } from "../http/requireMfa";

/** Options of {@link requireAcr}. */
export interface RequireAcrOptions {
  /** The authorization server's issuer identifier; `iss` must equal it. Required. */
  issuer: string;
  /** This resource server's identifier(s); `aud` must contain one. Required. */
  audience: string | string[];
  /**
   * The issuer's keys: its `jwks_uri` (fetched when first needed and on an unknown `kid`, cached
   * for `jwksCacheMaxAgeMs`), or a JSON Web Key Set. Required.
   */
  jwks: URL | JSONWebKeySet;
  /** The `acr` values that are enough for this resource, in order of preference. Required. */
  acrValues: string[];
  /**
   * The authentication must be at most this old (`auth_time`), for sensitive actions; a token
   * without `auth_time` then fails too. Defaults to no limit.
   */
  maxAgeMs?: number;
  /**
   * The `acr` values from weakest to strongest (`["pwd", "mfa", "phr"]`): a token whose `acr` ranks
   * at or above the weakest of `acrValues` is accepted. Defaults to exact matches only.
   */
  acrOrder?: string[];
  /** The signature algorithms accepted (asymmetric only). Defaults to `RS256, PS256, ES256, EdDSA` and their longer variants. */
  algorithms?: string[];
  /** Leeway for `exp`, `nbf` and `auth_time`, in seconds. Defaults to `5`. */
  clockToleranceS?: number;
  /** How long fetched keys are trusted before being fetched again, in ms. Defaults to `600_000`. */
  jwksCacheMaxAgeMs?: number;
  /** The current time in epoch milliseconds. Defaults to `Date.now`. */
  now?: () => number;
  /** Cross-origin access, as on `requireMfa`. Defaults to none. */
  cors?: CorsOptions;
}

/** What a {@link requireAcr} guard lets through: the access token's authentication claims. */
export interface AcrClaims {
  /** `sub`: the user. */
  userId: string;
  /** `acr`: the authentication context class the token was issued for. */
  acr: string;
  /** `amr`: the authentication methods (`["pwd", "otp"]`), `[]` when absent. */
  amr: string[];
  /** `auth_time` in epoch milliseconds, when the token has one. */
  authTime?: number;
  /** `exp` in epoch milliseconds. */
  expiresAt: number;
  /** Every claim of the verified token (`scope`, `client_id`, ...). */
  payload: JWTPayload;
}

/** The answer of a {@link requireAcr} guard: the shape of `requireMfa`'s. */
export type AcrGuardResult =
  | { ok: true; claims: AcrClaims; headers?: Headers }
  | { ok: false; response: Response };

const DEFAULT_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519",
];
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Guards a resource server's routes with the JWT access tokens of an OpenID Provider, the RFC 9470
 * way. The token's signature (keys from `jwks`, algorithms from an allow-list: `alg: none`, HS/RS
 * confusion and an unknown `kid` all fail), `iss`, `aud`, `exp` and `nbf` are checked first
 * (401 `invalid_token`); then its `acr` must be one of `acrValues` (or rank at or above one by
 * `acrOrder`) and, with `maxAgeMs`, its `auth_time` recent, present and not in the future — or the
 * answer is a 401 `insufficient_user_authentication` challenge with `acr_values` and `max_age`,
 * which sends the client back to the authorization server. Every denial has a problem+json body;
 * keys that cannot be fetched give 503 with `Retry-After` (fail closed).
 *
 * @example
 * const guard = requireAcr({ issuer, audience: "https://api.example.com", jwks: new URL(jwksUri),
 *   acrValues: ["mfa"], maxAgeMs: 300_000, acrOrder: ["pwd", "mfa", "phr"] });
 * const result = await guard(req);
 * if (!result.ok) return result.response;
 */
export function requireAcr(options: RequireAcrOptions): (req: Request) => Promise<AcrGuardResult> {
  const o = options ?? ({} as RequireAcrOptions);
  if (typeof o.issuer !== "string" || o.issuer === "") {
    throw new TypeError("requireAcr: `issuer` (the authorization server's issuer) is required.");
  }
  const audiences = typeof o.audience === "string" ? [o.audience] : o.audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => !a)) {
    throw new TypeError("requireAcr: `audience` (this API's identifier) is required.");
  }
  if (!Array.isArray(o.acrValues) || o.acrValues.length === 0 || o.acrValues.some((a) => !a)) {
    throw new TypeError('requireAcr: `acrValues` (e.g. ["mfa"]) is required.');
  }
  if (o.acrValues.some((a) => /[\s"\\]/.test(a))) {
    throw new TypeError("requireAcr: an `acrValues` entry holds a space, quote or backslash.");
  }
  if (o.maxAgeMs !== undefined && !(Number.isFinite(o.maxAgeMs) && o.maxAgeMs >= 0)) {
    throw new TypeError("requireAcr: `maxAgeMs` is a number of milliseconds, 0 or more.");
  }
  const algorithms = o.algorithms ?? DEFAULT_ALGORITHMS;
  for (const alg of algorithms) {
    if (!DEFAULT_ALGORITHMS.includes(alg)) {
      throw new TypeError(
        `requireAcr: algorithm ${JSON.stringify(alg)} is not accepted: use asymmetric ones (${DEFAULT_ALGORITHMS.join(", ")}).`,
      );
    }
  }
  let keys: JWTVerifyGetKey;
  if (o.jwks instanceof URL) {
    const remote = createRemoteJWKSet(o.jwks, {
      cacheMaxAge: o.jwksCacheMaxAgeMs ?? 600_000,
      cooldownDuration: 30_000,
    });
    // A key that is not in the set is the token's fault (401); a set that cannot be fetched or
    // read is ours (503).
    keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (
          error instanceof errors.JWKSNoMatchingKey ||
          error instanceof errors.JWKSMultipleMatchingKeys
        ) {
          throw error;
        }
        throw new KeysUnavailable(error);
      }
    };
  } else if (o.jwks && Array.isArray((o.jwks as JSONWebKeySet).keys)) {
    keys = createLocalJWKSet(o.jwks as JSONWebKeySet);
  } else {
    throw new TypeError("requireAcr: `jwks` (a URL or a JSON Web Key Set) is required.");
  }
  const now = o.now ?? Date.now;
  const toleranceS = o.clockToleranceS ?? 5;
  const order = o.acrOrder ?? [];
  const floor = Math.min(...o.acrValues.map((a) => order.indexOf(a)).filter((i) => i >= 0));

  const acceptedAcr = (acr: unknown): acr is string =>
    typeof acr === "string" &&
    (o.acrValues.includes(acr) || (Number.isFinite(floor) && order.indexOf(acr) >= floor));

  const challenge = {
    acrValues: o.acrValues,
    ...(o.maxAgeMs !== undefined ? { maxAge: Math.floor(o.maxAgeMs / 1000) } : {}),
  };

  const answer = (status: number, body: Record<string, unknown>, headers: HeadersInit) => {
    const h = new Headers(headers);
    h.set("Content-Type", PROBLEM_CONTENT_TYPE);
    h.set("Cache-Control", "no-store");
    h.set("Date", new Date(now()).toUTCString());
    return new Response(JSON.stringify({ status, ...body }), { status, headers: h });
  };

  const invalidToken = (detail: string) =>
    answer(
      401,
      { type: OAuthProblemTypes.invalid_token, title: "Invalid token", detail },
      {
        [MfaHeaders.wwwAuthenticate]: `Bearer error="invalid_token", error_description="${detail.replace(/[^ !#-[\]-~]/g, "?")}"`,
      },
    );

  const stepUp = (detail: string) =>
    answer(
      401,
      {
        type: OAuthProblemTypes.insufficient_user_authentication,
        title: "Insufficient user authentication",
        detail,
        acrValues: challenge.acrValues,
        ...(challenge.maxAge !== undefined ? { maxAge: challenge.maxAge } : {}),
      },
      {
        [MfaHeaders.wwwAuthenticate]: formatStepUpChallenge({
          ...challenge,
          errorDescription: detail,
        }),
      },
    );

  const guard = async (req: Request): Promise<AcrGuardResult> => {
    const deny = (response: Response): AcrGuardResult => ({ ok: false, response });
    let authorization: string | null;
    try {
      authorization = req.headers.get("authorization");
    } catch {
      authorization = null;
    }
    if (!authorization) {
      return deny(
        answer(
          401,
          {
            type: OAuthProblemTypes.invalid_token,
            title: "Authentication required",
            detail: "Send the access token: Authorization: Bearer <token>.",
          },
          { [MfaHeaders.wwwAuthenticate]: "Bearer" },
        ),
      );
    }
    const token = BEARER.exec(authorization)?.[1];
    if (!token) return deny(invalidToken("The Authorization header is not a Bearer token."));

    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: o.issuer,
        audience: audiences,
        algorithms,
        clockTolerance: toleranceS,
        currentDate: new Date(now()),
        requiredClaims: ["exp", "sub"],
      }));
    } catch (error) {
      if (error instanceof KeysUnavailable || !(error instanceof errors.JOSEError)) {
        // The issuer's keys could not be fetched (or a fault): refuse, never let through.
        return deny(
          answer(
            503,
            {
              type: MfaProblemTypes.service_unavailable,
              title: "Service unavailable",
              retryAfter: 5,
              detail: "The token's keys cannot be fetched right now: try again shortly.",
            },
            { [MfaHeaders.retryAfter]: "5" },
          ),
        );
      }
      return deny(invalidToken(reasonOf(error)));
    }
    if (typeof payload.sub !== "string" || payload.sub === "") {
      return deny(invalidToken("The token has no subject."));
    }
    if (!acceptedAcr(payload.acr)) {
      return deny(
        stepUp(
          typeof payload.acr === "string"
            ? "A stronger authentication is required."
            : "The token does not say how the user authenticated.",
        ),
      );
    }
    const authTime = payload.auth_time;
    const authTimeMs =
      typeof authTime === "number" && Number.isFinite(authTime) ? authTime * 1000 : undefined;
    if (o.maxAgeMs !== undefined) {
      const t = now();
      if (authTimeMs === undefined) {
        return deny(stepUp("The token does not say when the user authenticated."));
      }
      if (authTimeMs > t + toleranceS * 1000) {
        return deny(stepUp("The token's authentication time is in the future."));
      }
      if (t - authTimeMs > o.maxAgeMs + toleranceS * 1000) {
        return deny(stepUp("A more recent authentication is required."));
      }
    }
    const amr = Array.isArray(payload.amr)
      ? payload.amr.filter((m): m is string => typeof m === "string")
      : [];
    return {
      ok: true,
      claims: {
        userId: payload.sub,
        acr: payload.acr,
        amr,
        ...(authTimeMs !== undefined ? { authTime: authTimeMs } : {}),
        expiresAt: (payload.exp as number) * 1000,
        payload,
      },
    };
  };

  return o.cors ? withCors(createCors(o.cors), guard) : guard;
}

/** The issuer's key set could not be fetched or read. */
class KeysUnavailable extends Error {
  constructor(cause: unknown) {
    super("The JSON Web Key Set cannot be fetched.", { cause });
    this.name = "KeysUnavailable";
  }
}

/** What went wrong with a token, in words safe to send back (no key material, no claims). */
function reasonOf(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "The token has expired.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `The token's "${error.claim}" claim is not valid here.`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "The token's algorithm is not accepted.";
  if (error instanceof errors.JWKSNoMatchingKey) return "The token was signed by an unknown key.";
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "The token's signature is not valid.";
  }
  return "The token is malformed.";
}
