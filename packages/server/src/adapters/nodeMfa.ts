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
import {
  type NodeAdapterOptions,
  type NodeListener,
  sendFetchResponse,
  toFetchRequest,
  toNodeListener,
  writeProblem,
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

/** A guard for Node routes: the session's claims, or `null` after it has answered the request. */
export type NodeMfaGuard = (
  req: IncomingMessage,
  res: ServerResponse,
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
 */
export function requireMfaNode(mfa: MfaServer, options: RequireMfaNodeOptions = {}): NodeMfaGuard {
  const { authenticate: nodeAuth, origin, ...guardOptions } = options;
  const linked = nodeAuth ? nodeAuthenticate(nodeAuth) : undefined;
  const guard = requireMfa(mfa, {
    ...guardOptions,
    ...(linked ? { authenticate: linked.authenticate } : {}),
  });
  const requirements = {
    ...(options.maxAgeMs !== undefined ? { maxAgeMs: options.maxAgeMs } : {}),
    ...(options.acrValues !== undefined ? { acrValues: options.acrValues } : {}),
  };
  const adapter: NodeAdapterOptions = origin !== undefined ? { origin } : {};
  const check = sessionChecker(mfa);
  /** The full guard on a converted request: every answer other than a plain valid session. */
  const slow = async (req: IncomingMessage, res: ServerResponse) => {
    let result: MfaGuardResult;
    try {
      const request = toFetchRequest(req, res, { ...adapter, body: false, signal: false }).request;
      result = await guard(linked ? linked.link(request, req) : request);
    } catch {
      writeProblem(
        res,
        400,
        "Bad request",
        "The request cannot be read (malformed URL or header).",
      );
      return null;
    }
    if (result.ok) return result.claims;
    await sendFetchResponse(res, result.response, req.method);
    return null;
  };
  return (req, res) => {
    // The hot path, when no `authenticate` needs a Fetch request: a plain session token goes
    // straight to the session check (hash, one store lookup), without a promise of its own when
    // the store answers at once. Anything else, a failed or a refused check included, takes the
    // full guard, which owns every answer.
    const token = linked ? undefined : plainSessionToken(req.rawHeaders);
    if (token === undefined) return slow(req, res);
    let checked: SessionCheck | Promise<SessionCheck>;
    try {
      checked = check(token, requirements);
    } catch {
      return slow(req, res);
    }
    if (!isPromise(checked)) {
      return checked.ok ? Promise.resolve(checked.claims) : slow(req, res);
    }
    return checked.then(
      (c) => (c.ok ? c.claims : slow(req, res)),
      () => slow(req, res),
    );
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
