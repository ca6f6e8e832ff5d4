import {
  type MfaProblem,
  parseStepUpChallenge,
  problemName,
  type StepUpChallenge,
} from "@mfa-kit/protocol";
import { OAuthProblemTypes, parseClaimsChallenge } from "@mfa-kit/protocol/oauth";
import { MfaError } from "../engine/mfaError";
import type { FailureHandler } from "../engine/options";
import { abortable } from "../engine/wait";

/** What `reauthorize` is asked for: the RFC 9470 challenge or the claims challenge of the API. */
export interface ReauthorizeRequest {
  /** Acceptable authentication context classes, in order of preference (`[]` when the API named none). */
  acrValues: string[];
  /** Maximum seconds since the user's last authentication (`max_age`), when the API set one. */
  maxAge?: number;
  /** The decoded claims request of an `insufficient_claims` challenge (Microsoft Entra ID). */
  claims?: Record<string, unknown>;
  /** The same claims request as JSON text, as MSAL's `claims` takes it. */
  claimsJson?: string;
  /** Aborts when every request waiting for this re-authorization has gone. */
  signal: AbortSignal;
}

/** Goes back to the authorization server and resolves with the new access token. */
export type Reauthorize = (request: ReauthorizeRequest) => Promise<string>;

/** Which step-up answers a challenge. */
export type StepUpKind = "reauthorize" | "onChallenge";

/** Options of the re-authorization handler. */
export interface ReauthorizeOptions {
  /** Gets a new access token meeting `acrValues` / `maxAge` / `claims`. Defaults to none. */
  reauthorize?: Reauthorize;
  /**
   * Forces one kind of step-up for every challenge. Defaults to: the kit's own challenges (their
   * problem body is `mfa_required`, `step_up_required` or `invalid_session`) to `onChallenge`,
   * every other challenge to `reauthorize`.
   */
  stepUp?: StepUpKind;
}

/** The kit's own step-up problems, answered at its `/mfa/verify`. */
const KIT_STEP_UP = /^(mfa_required|step_up_required|invalid_session)$/;

/** A re-authorization in flight, and how many requests wait for it. */
interface Flight {
  promise: Promise<void>;
  ac: AbortController;
  waiting: number;
}

/**
 * The failure handler of RFC 9470 step-up through the authorization server: a 401
 * `insufficient_user_authentication` (read from `WWW-Authenticate`, or from the problem body when
 * a cross-origin API hides the header) or `insufficient_claims` runs `reauthorize` once for every
 * concurrent request asking the same thing; each of them replays with the new token, which later
 * calls send until `getAccessToken` gives a different one. A rejection of `reauthorize` is
 * `STEP_UP_CANCELLED` for every waiting call; a second challenge after the replay,
 * `STEP_UP_FAILED`.
 */
export function reauthorizer(options: ReauthorizeOptions): FailureHandler {
  const flights = new Map<string, Flight>();
  return async (engine, ctx, www, problem) => {
    const claims = parseClaimsChallenge(www);
    const challenge: StepUpChallenge | null =
      parseStepUpChallenge(www) ?? (claims ? { acrValues: [] } : fromBody(problem));
    if (!challenge) return undefined;
    const kind =
      options.stepUp ??
      (KIT_STEP_UP.test(problemName(problem) ?? "") ? "onChallenge" : "reauthorize");
    if (kind === "onChallenge") return undefined;
    const { reauthorize } = options;
    if (!reauthorize) {
      throw new MfaError("STEP_UP_REQUIRED", "Re-authorization required and no reauthorize set.", {
        status: 401,
        problem,
        challenge,
      });
    }
    // A token newer than the one this attempt carried exists (a re-authorization since): replay.
    if (ctx.gen !== engine.gen()) return true;
    if (ctx.stepped) {
      throw new MfaError("STEP_UP_FAILED", "The new access token was refused too.", {
        status: 401,
        problem,
        challenge,
      });
    }
    ctx.stepped = true;
    const key = JSON.stringify([challenge.acrValues, challenge.maxAge, claims?.claimsJson]);
    let flight = flights.get(key);
    if (!flight) {
      const ac = new AbortController();
      const stale = ctx.token;
      const request: ReauthorizeRequest = {
        acrValues: challenge.acrValues,
        ...(challenge.maxAge !== undefined ? { maxAge: challenge.maxAge } : {}),
        ...(claims ? { claims: claims.claims, claimsJson: claims.claimsJson } : {}),
        signal: ac.signal,
      };
      const { signal: _signal, claimsJson: _json, ...seen } = request;
      engine.emit("reauthorize.started", seen);
      const promise = abortable(
        Promise.resolve().then(() => reauthorize(request)),
        ac.signal,
      ).then(
        (token) => {
          if (typeof token !== "string" || !token) {
            throw new MfaError(
              "STEP_UP_FAILED",
              "reauthorize must resolve with the new access token.",
            );
          }
          engine.useToken(stale, token);
          engine.emit("reauthorize.succeeded");
        },
        (cause) => {
          throw new MfaError("STEP_UP_CANCELLED", "Re-authorization cancelled.", { cause });
        },
      );
      promise
        .catch((error: MfaError) => engine.emit("reauthorize.failed", { error }))
        .finally(() => flights.delete(key));
      flight = { promise, ac, waiting: 0 };
      flights.set(key, flight);
    }
    const f = flight;
    f.waiting++;
    try {
      await abortable(f.promise, ctx.signal);
    } finally {
      // The last waiting request gone (aborted): the re-authorization is no longer wanted.
      if (--f.waiting === 0 && flights.get(key) === f) f.ac.abort();
    }
    return true;
  };
}

/** The challenge a problem body states, when `WWW-Authenticate` is not readable. */
function fromBody(problem: MfaProblem | null): StepUpChallenge | null {
  const name = problemName(problem);
  if (
    !problem ||
    (problem.type !== OAuthProblemTypes.insufficient_user_authentication &&
      !(name && KIT_STEP_UP.test(name)))
  ) {
    return null;
  }
  const acrValues = Array.isArray(problem.acrValues)
    ? problem.acrValues.filter((v): v is string => typeof v === "string")
    : [];
  return typeof problem.maxAge === "number" ? { acrValues, maxAge: problem.maxAge } : { acrValues };
}
