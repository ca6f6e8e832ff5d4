import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestHandler } from "express";
import { type AcrClaims, type RequireAcrOptions, requireAcr } from "../oauth/requireAcr";
import {
  type NodeAdapterOptions,
  sendFetchResponse,
  toFetchRequest,
  writeUnreadable,
} from "./nodeHttp";

/** Options of {@link requireAcrNode}: the guard's and the adapter's `origin`. */
export interface RequireAcrNodeOptions
  extends RequireAcrOptions,
    Omit<NodeAdapterOptions, "bodyLimit"> {}

/** A `requireAcr` guard for Node routes: the token's claims, or `null` once it has answered. */
export type NodeAcrGuard = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (claims: AcrClaims) => void,
) => Promise<AcrClaims | null>;

/** Runs the guard on a converted request; answers a denial, sets the CORS headers of an acceptance. */
function nodeAcr(options: RequireAcrOptions & Omit<NodeAdapterOptions, "bodyLimit">) {
  const { origin, ...guardOptions } = options;
  const guard = requireAcr(guardOptions);
  return async (req: IncomingMessage, res: ServerResponse): Promise<AcrClaims | null> => {
    let result: Awaited<ReturnType<typeof guard>>;
    try {
      const { request } = toFetchRequest(req, res, {
        ...(origin !== undefined ? { origin } : {}),
        body: false,
        signal: false,
      });
      result = await guard(request);
    } catch {
      writeUnreadable(res);
      return null;
    }
    if (!result.ok) {
      await sendFetchResponse(res, result.response, req.method);
      return null;
    }
    for (const [name, value] of result.headers ?? []) res.setHeader(name, value);
    return result.claims;
  };
}

/**
 * `requireAcr` for `node:http` routes: reads `Authorization: Bearer` from the Node request (the
 * body is left untouched) and resolves the token's claims, or `null` once it has answered the
 * request (401 `invalid_token`, the RFC 9470 challenge, 503 when the keys cannot be fetched, a
 * preflight with `cors`). Given `next`, calls `next(claims)` when the request may go on.
 *
 * @example
 * const guard = requireAcrNode({ issuer, audience, jwks: new URL(jwksUri), acrValues: ["mfa"] });
 * const claims = await guard(req, res);
 * if (!claims) return; // answered
 */
export function requireAcrNode(options: RequireAcrNodeOptions): NodeAcrGuard {
  const run = nodeAcr(options);
  return async (req, res, next) => {
    const claims = await run(req, res);
    if (claims && next) next(claims);
    return claims;
  };
}

/**
 * `requireAcr` as Express 5 middleware: the token's claims in `res.locals.acr`, or the guard's
 * answer and the route never runs. With `cors`, mount it with `route().all(...)` (or `app.use`) so
 * that preflights reach it.
 *
 * @example
 * app.post("/transfers", requireAcrMiddleware({ issuer, audience, jwks, acrValues: ["mfa"] }),
 *   (req, res) => res.json({ by: res.locals.acr.userId }));
 */
export function requireAcrMiddleware(options: RequireAcrOptions): RequestHandler {
  const run = nodeAcr({
    ...options,
    origin: (req) => {
      const host = req.headers.host ?? "localhost";
      const proto = (req as { protocol?: string }).protocol ?? "http";
      try {
        return new URL(`${proto}://${host}`).origin;
      } catch {
        return `${proto}://localhost`;
      }
    },
  });
  return async (req, res, next) => {
    const claims = await run(req, res);
    if (!claims) return;
    res.locals.acr = claims;
    next();
  };
}
