import type { IncomingMessage, ServerResponse } from "node:http";
import { MfaHeaders } from "@mfa-kit/protocol";
import { createMfaHandler, type MfaHandlerOptions } from "../http/handler";
import { type MfaGuardResult, type RequireMfaOptions, requireMfa } from "../http/requireMfa";
import type { MfaServer } from "../server";
import {
  isPromise,
  type MfaSessionClaims,
  type SessionCheck,
  sessionChecker,
} from "../sessions/sessions";
import { nodeCors } from "./nodeCors";
import {
  type NodeAdapterOptions,
  type NodeListener,
  sendFetchResponse,
  toFetchRequest,
  toNodeListener,
  writeUnreadable,
} from "./nodeHttp";

/**
 * The app's primary authentication, given the Fetch `Request` and the Node request it came from
 * (read `req.headers.authorization`, or whatever your own middleware left on the Node request).
 */
export type NodeAuthenticate<NodeRequest = IncomingMessage> = (
  req: Request,
  nodeReq: NodeRequest,
) => string | null | undefined | Promise<string | null | undefined>;

/** Options of {@link createMfaNodeHandler}: the handler's, the adapter's, and a Node-aware `authenticate`. */
export interface MfaNodeHandlerOptions
  extends Omit<MfaHandlerOptions, "authenticate">,
    NodeAdapterOptions {
  /** The signed-in user's id for a request, or `null`; a throw counts as `null`. Required. */
  authenticate: NodeAuthenticate;
}

/** Options of {@link requireMfaNode}: the guard's, the adapter's, and a Node-aware `authenticate`. */
export interface RequireMfaNodeOptions
  extends Omit<RequireMfaOptions, "authenticate">,
    Omit<NodeAdapterOptions, "bodyLimit"> {
  /** The signed-in user's id for a request (the session must be theirs). Defaults to none. */
  authenticate?: NodeAuthenticate;
}

/**
 * A guard for Node routes: the session's claims, or `null` after it has answered the request.
 * Given `next`, it also calls `next(claims)` once the request may go on: at once, before the guard
 * returns, when the store answers without a promise (the memory store), so a guarded route costs
 * no promise hop.
 */
export type NodeMfaGuard = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (claims: MfaSessionClaims) => void,
) => Promise<MfaSessionClaims | null>;

/**
 * Links each converted `Request` to the Node request it came from, so `authenticate` sees both.
 * A WeakMap: nothing is kept once the request is done.
 */
export function nodeAuthenticate<NodeRequest extends object>(
  authenticate: NodeAuthenticate<NodeRequest>,
): {
  authenticate: (req: Request) => ReturnType<NodeAuthenticate<NodeRequest>>;
  link: (req: Request, nodeReq: NodeRequest) => Request;
} {
  const origins = new WeakMap<Request, NodeRequest>();
  return {
    authenticate(req) {
      const nodeReq = origins.get(req);
      if (!nodeReq) return null;
      return authenticate(req, nodeReq);
    },
    link(req, nodeReq) {
      origins.set(req, nodeReq);
      return req;
    },
  };
}

/**
 * Serves the reference API (`createMfaHandler`) from `node:http`. Requests outside `basePath` go to
 * `next()` when there is one (connect-style middleware), else get a 404 problem+json.
 *
 * @example
 * const mfaRoutes = createMfaNodeHandler(mfa, { authenticate: (req) => userIdFrom(req) });
 * createServer((req, res) => mfaRoutes(req, res, () => app(req, res)));
 */
export function createMfaNodeHandler(mfa: MfaServer, options: MfaNodeHandlerOptions): NodeListener {
  if (typeof options?.authenticate !== "function") {
    throw new TypeError(
      "createMfaNodeHandler: `authenticate(req, nodeReq)` (your primary authentication) is required.",
    );
  }
  const { authenticate, link } = nodeAuthenticate(options.authenticate);
  const { bodyLimit, origin, ...handlerOptions } = options;
  const handler = createMfaHandler(mfa, { ...handlerOptions, authenticate });
  const adapter: NodeAdapterOptions = {
    ...(bodyLimit !== undefined ? { bodyLimit } : {}),
    ...(origin !== undefined ? { origin } : {}),
  };
  return toNodeListener((req, nodeReq) => handler(link(req, nodeReq)), adapter);
}

/**
 * `requireMfa` for Node routes: reads `X-Session-Token` (or a one-shot `X-MFA-Token`) from the
 * Node request, without touching its body. Resolves the session's claims, or `null` once it has
 * answered the request itself (the 401 step-up challenge, a 400/429 for a bad one-shot code, or
 * 503 with `Retry-After` while the store is unreachable).
 *
 * @example
 * const guard = requireMfaNode(mfa, { maxAgeMs: 300_000 });
 * const claims = await guard(req, res);
 * if (!claims) return; // answered
 * // or, with no promise hop on the memory store:
 * guard(req, res, (claims) => route(req, res, claims));
 */
export function requireMfaNode(mfa: MfaServer, options: RequireMfaNodeOptions = {}): NodeMfaGuard {
  const { authenticate: nodeAuth, origin, ...guardOptions } = options;
  const linked = nodeAuth ? nodeAuthenticate(nodeAuth) : undefined;
  const guard = requireMfa(mfa, {
    ...guardOptions,
    ...(linked ? { authenticate: linked.authenticate } : {}),
  });
  const fast = linked ? undefined : sessionFastPath(mfa, options);
  const cors = nodeCors(options.cors);
  const adapter: NodeAdapterOptions = origin !== undefined ? { origin } : {};
  /** The full guard on a converted request: every answer other than a plain valid session. */
  const slow = async (req: IncomingMessage, res: ServerResponse) => {
    let result: MfaGuardResult;
    try {
      const request = toFetchRequest(req, res, { ...adapter, body: false, signal: false }).request;
      result = await guard(linked ? linked.link(request, req) : request);
    } catch {
      writeUnreadable(res);
      return null;
    }
    if (result.ok) return result.claims;
    await sendFetchResponse(res, result.response, req.method);
    return null;
  };
  /** Hands the claims on: to `next` when there is one, then as the guard's own answer. */
  const pass = (
    claims: MfaSessionClaims | null,
    next: ((claims: MfaSessionClaims) => void) | undefined,
  ) => {
    if (claims !== null && next) next(claims);
    return claims;
  };
  return (req, res, next) => {
    cors?.(req, res);
    // The hot path (see `sessionFastPath`): `next` runs before the guard returns when the store
    // answers at once. Anything else takes the full guard, which owns every answer.
    const hit = fast?.(req.rawHeaders) ?? null;
    if (hit === null) return slow(req, res).then((claims) => pass(claims, next));
    if (!isPromise(hit)) {
      // The route runs outside the guard's own promise: what it throws is its own, as it would
      // be from any other `next`.
      if (next) next(hit);
      return Promise.resolve(hit);
    }
    return hit.then((claims) =>
      claims ? pass(claims, next) : slow(req, res).then((c) => pass(c, next)),
    );
  };
}

/**
 * The guards' hot path for Node requests (when no `authenticate` needs a Fetch request): a plain
 * `X-Session-Token`, read from the raw header list, goes straight to the session check (one store
 * lookup), without a promise of its own when the store answers at once. Gives the claims of a
 * session that satisfies `options`, or `null` for everything the full guard must answer: no
 * token, a one-shot code, a refused session, a store that fails (at once or later).
 */
export function sessionFastPath(
  mfa: MfaServer,
  options: Pick<RequireMfaOptions, "maxAgeMs" | "acrValues">,
): (rawHeaders: string[]) => MfaSessionClaims | null | Promise<MfaSessionClaims | null> {
  const requirements = {
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
    ...(options.acrValues !== undefined ? { acrValues: options.acrValues } : {}),
  };
  const check = sessionChecker(mfa);
  const claimsOf = (c: SessionCheck) => (c.ok ? c.claims : null);
  const failed = () => null;
  return (rawHeaders) => {
    const token = plainSessionToken(rawHeaders);
    if (token === undefined) return null;
    let checked: SessionCheck | Promise<SessionCheck>;
    try {
      checked = check(token, requirements);
    } catch {
      return null;
    }
    return isPromise(checked) ? checked.then(claimsOf, failed) : claimsOf(checked);
  };
}

const SESSION_HEADER = MfaHeaders.sessionToken.toLowerCase();
const ONE_SHOT_HEADER = MfaHeaders.mfaToken.toLowerCase();

/**
 * The `X-Session-Token` of a request read from its raw header list (Node builds `req.headers`
 * only when asked), or `undefined` when there is none, more than one, or an `X-MFA-Token` too.
 */
function plainSessionToken(raw: string[]): string | undefined {
  let token: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === SESSION_HEADER.length && name.toLowerCase() === SESSION_HEADER) {
      if (token !== undefined) return undefined;
      token = raw[i + 1];
    } else if (name.length === ONE_SHOT_HEADER.length && name.toLowerCase() === ONE_SHOT_HEADER) {
      return undefined;
    }
  }
  return token;
}
