import {
  type HeadersLike,
  isProblem,
  type MfaProblem,
  parseWwwAuthenticate,
} from "@mfa-kit/protocol";
import type { RequestContext } from "./requestContext";
import { abortError } from "./wait";

/** How an attempt failed, as the adapter reports it. */
export interface Failure {
  /** The HTTP status, 0 when there was no response. */
  status: number;
  /** Why there was no response. */
  kind?: "network" | "timeout" | "abort";
  headers?: HeadersLike | { get(name: string): unknown };
  /** Reads the parsed JSON body (only for a 401, which the engine must understand). */
  body?: () => unknown;
  /** The adapter's own response object, for `RETRY_EXHAUSTED`. */
  response?: unknown;
  error?: unknown;
}

/** A failure as the handlers read it. */
export interface AttemptFailure extends Failure {
  /**
   * The `WWW-Authenticate` field of a 401 to a request that carried credentials (`null` when it had
   * none); `undefined` for any other failure: a 401 without credentials is not the client's to answer.
   */
  wwwAuthenticate_?: string | null;
}

/**
 * What a failure handler decides: `"replay"` sends the request again (with whatever the handler
 * changed in the context: a new token, a session, an inline code), `"pass"` hands the failure to the
 * caller as it is, and `undefined` leaves it to the next handler. A handler rejects (with an
 * `MfaError`) to fail the request.
 */
type Verdict = "replay" | "pass" | undefined;

/**
 * One step of failure handling, in the spirit of tRPC links: the engine asks its handlers in order
 * (abort, token refresh, step-up, retry) and the first that answers decides. A handler reads the
 * failure and the request's context (`ctx`: what was sent, what it was replayed for already) and
 * keeps its own state in its part of the engine; it never calls the next one. A new kind of
 * challenge (an OAuth re-authorization, a claims challenge) is one more handler in the list, placed
 * before the retry: it recognises its 401, obtains the new credential (through the challenge
 * coordinator when a person must answer, so that every waiting request shares one prompt), puts it
 * in place and answers `"replay"`.
 */
export type FailureLink = (
  ctx: RequestContext,
  failure: AttemptFailure,
) => Verdict | Promise<Verdict>;

/** Whether `failure` is a 401 with a `Bearer` challenge of `error="<error>"` (RFC 6750 §3). */
export const bearerError = (failure: AttemptFailure, error: string): boolean =>
  parseWwwAuthenticate(failure.wwwAuthenticate_).some(
    (c) => /^bearer$/i.test(c.scheme) && c.params.error === error,
  );

/** The problem details of a 401 with credentials, or `null`. */
export const problemOf = async (failure: AttemptFailure): Promise<MfaProblem | null> => {
  const body = failure.wwwAuthenticate_ === undefined ? null : await failure.body?.();
  return isProblem(body) ? body : null;
};

/**
 * Asks `handlers` in order about a failed attempt: `true` to replay the request, `false` to hand
 * the failure to the caller (also when no handler answers); rejects as a handler rejects.
 */
export async function handleFailure(
  handlers: readonly FailureLink[],
  ctx: RequestContext,
  failure: Failure,
): Promise<boolean> {
  const f: AttemptFailure = failure;
  if (f.status === 401 && ctx.creds && f.headers) {
    f.wwwAuthenticate_ = (f.headers.get("www-authenticate") as string | undefined) ?? null;
  }
  for (const handler of handlers) {
    const verdict = await handler(ctx, f);
    if (verdict) return verdict === "replay";
  }
  return false;
}

/** The first failure handler: an aborted request rejects with `ABORTED`, whatever its answer. */
export const abortHandler: FailureLink = (ctx, f) => {
  if (f.kind === "abort" || ctx.signal?.aborted) throw abortError(ctx.signal);
  return undefined;
};
