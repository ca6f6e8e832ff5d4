import type { Request as ExpressRequest, RequestHandler } from "express";
import { createMfaHandler, type MfaHandlerOptions } from "../http/handler";
import { type MfaGuardResult, type RequireMfaOptions, requireMfa } from "../http/requireMfa";
import type { MfaServer } from "../server";
import { isPromise } from "../sessions/sessions";
import { nodeCors } from "./nodeCors";
import {
  type ConvertedRequest,
  type NodeAdapterOptions,
  sendFetchResponse,
  toFetchRequest,
  writeTooLarge,
  writeUnreadable,
} from "./nodeHttp";
import { type NodeAuthenticate, nodeAuthenticate, sessionFastPath } from "./nodeMfa";

/** Options of {@link mfaRouter}: the handler's and the adapter's, with an Express-aware `authenticate`. */
export interface MfaRouterOptions
  extends Omit<MfaHandlerOptions, "authenticate">,
    Omit<NodeAdapterOptions, "origin"> {
  /**
   * The signed-in user's id, from the Fetch `Request` or the Express request (e.g. `req.user.id`
   * set by your auth middleware), or `null`; a throw counts as `null`. Required.
   */
  authenticate: NodeAuthenticate<ExpressRequest>;
}

/** Options of {@link requireMfaMiddleware}: the guard's, with an Express-aware `authenticate`. */
export interface RequireMfaMiddlewareOptions extends Omit<RequireMfaOptions, "authenticate"> {
  /** The signed-in user's id (the session must be theirs), as in {@link MfaRouterOptions}. Defaults to none. */
  authenticate?: NodeAuthenticate<ExpressRequest>;
}

/** The origin Express sees (its `trust proxy` setting decides what `protocol` and `host` say). */
const originOf = (req: ExpressRequest) => {
  try {
    return new URL(`${req.protocol}://${req.get("host") ?? "localhost"}`).origin;
  } catch {
    return `${req.protocol}://localhost`;
  }
};

/** A body an earlier parser (`express.json()`, `express.text()`) already read, as a Fetch body. */
function parsedBody(req: ExpressRequest): string | Uint8Array<ArrayBuffer> | undefined {
  const consumed = req.readableEnded || (req as { _body?: boolean })._body === true;
  if (!consumed || req.body === undefined) return undefined;
  if (typeof req.body === "string") return req.body;
  if (req.body instanceof Uint8Array) return new Uint8Array(req.body);
  return JSON.stringify(req.body);
}

/** The Fetch `Request` for an Express request: full path (`originalUrl`), body once. */
function fetchRequestOf(
  req: ExpressRequest,
  res: Parameters<RequestHandler>[1],
  options: NodeAdapterOptions & { body?: boolean; signal?: boolean },
): ConvertedRequest {
  const bodyless = options.body === false || req.method === "GET" || req.method === "HEAD";
  const pre = bodyless ? undefined : parsedBody(req);
  const converted = toFetchRequest(req, res, {
    ...options,
    origin: originOf(req),
    url: req.originalUrl,
    ...(pre !== undefined ? { body: false } : {}),
  });
  if (pre === undefined) return converted;
  const headers = new Headers(converted.request.headers);
  headers.delete("content-length");
  if (typeof pre === "string" && typeof req.body !== "string") {
    headers.set("content-type", "application/json");
  }
  const request = new Request(converted.request.url, {
    method: converted.request.method,
    headers,
    body: pre,
    signal: converted.request.signal,
  });
  return { request, tooLarge: () => false };
}

/**
 * The reference API for Express 5: `app.use(mfaRouter(mfa, { authenticate }))` serves every MFA
 * route under `basePath` (`/mfa` by default: the full path clients call, wherever the router is
 * mounted) and hands every other request to `next()`. Works with or without `express.json()`
 * before it. Errors go to Express' error handling; the kit itself answers problem+json.
 *
 * @example
 * app.use(mfaRouter(mfa, { authenticate: (_req, req) => req.user?.id ?? null }));
 */
export function mfaRouter(mfa: MfaServer, options: MfaRouterOptions): RequestHandler {
  if (typeof options?.authenticate !== "function") {
    throw new TypeError(
      "mfaRouter: `authenticate(req, expressReq)` (your primary authentication) is required.",
    );
  }
  const { authenticate, link } = nodeAuthenticate(options.authenticate);
  const { bodyLimit, ...handlerOptions } = options;
  const handler = createMfaHandler(mfa, { ...handlerOptions, authenticate });
  const adapter: NodeAdapterOptions = bodyLimit !== undefined ? { bodyLimit } : {};
  const limit = bodyLimit ?? 64 * 1024;

  return async (req, res, next) => {
    let converted: ConvertedRequest;
    try {
      converted = fetchRequestOf(req, res, adapter);
    } catch {
      writeUnreadable(res);
      return;
    }
    const response = await handler(link(converted.request, req));
    if (response === null) {
      next();
      return;
    }
    if (converted.tooLarge()) {
      await response.body?.cancel().catch(() => {});
      writeTooLarge(res, limit);
      return;
    }
    await sendFetchResponse(res, response, req.method);
  };
}

/**
 * `requireMfa` as Express 5 middleware: a live MFA session (or a one-shot `X-MFA-Token` code) lets
 * the request through with its claims in `res.locals.mfa`; otherwise it answers the reference
 * API's 401 step-up challenge (or 400/429 for a bad one-shot code, 503 with `Retry-After` while the
 * store is unreachable) and the route never runs. The request body is left untouched.
 *
 * @example
 * app.post("/transfers", requireMfaMiddleware(mfa, { maxAgeMs: 300_000 }), (req, res) => {
 *   res.json({ by: res.locals.mfa.userId });
 * });
 */
export function requireMfaMiddleware(
  mfa: MfaServer,
  options: RequireMfaMiddlewareOptions = {},
): RequestHandler {
  const { authenticate: expressAuth, ...guardOptions } = options;
  const linked = expressAuth ? nodeAuthenticate(expressAuth) : undefined;
  const guard = requireMfa(mfa, {
    ...guardOptions,
    ...(linked ? { authenticate: linked.authenticate } : {}),
  });
  const fast = linked ? undefined : sessionFastPath(mfa, options);
  const cors = nodeCors(options.cors);
  /** The full guard on a converted request: every answer other than a plain valid session. */
  const full: RequestHandler = async (req, res, next) => {
    let request: Request;
    try {
      request = fetchRequestOf(req, res, { body: false, signal: false }).request;
    } catch {
      writeUnreadable(res);
      return;
    }
    const result: MfaGuardResult = await guard(linked ? linked.link(request, req) : request);
    if (!result.ok) {
      await sendFetchResponse(res, result.response, req.method);
      return;
    }
    res.locals.mfa = result.claims;
    next();
  };
  return (req, res, next) => {
    cors?.(req, res);
    // A plain session token takes the hot path: on the memory store `next` runs before the
    // middleware returns, with no Fetch request built and no promise.
    const hit = fast?.(req.rawHeaders) ?? null;
    if (hit === null) return full(req, res, next);
    if (!isPromise(hit)) {
      res.locals.mfa = hit;
      next();
      return;
    }
    return hit.then((claims) => {
      if (!claims) return full(req, res, next);
      res.locals.mfa = claims;
      next();
    });
  };
}
