import type { IncomingMessage, ServerResponse } from "node:http";
import { requireAcrNode } from "@mfa-kit/server/node";
import type { JSONWebKeySet } from "jose";
import { ACR_ORDER } from "./identityProvider";

/** Options of {@link createResourceApi}. */
export interface ResourceApiOptions {
  /** The provider's issuer identifier. */
  issuer: string;
  /** The API's identifier (the tokens' audience). */
  audience: string;
  /** The provider's `jwks_uri`, or its key set. */
  jwks: URL | JSONWebKeySet;
  /** The SPA's origin, the only one allowed to call. */
  spaOrigin: string;
  /** How far the API's clock (its `Date` header) runs ahead of this machine's. Defaults to `0`. */
  clockSkewMs?: number;
}

/**
 * The resource API: `GET /api/profile` needs any valid access token; `POST /api/transfers` needs
 * `acr: "mfa"` (or `phr`) from an authentication at most 5 minutes old. Both are cross-origin.
 */
export function createResourceApi(options: ResourceApiOptions) {
  const base = {
    issuer: options.issuer,
    audience: options.audience,
    jwks: options.jwks,
    acrOrder: [...ACR_ORDER],
    cors: { origins: [options.spaOrigin], maxAgeS: 600 },
  };
  const plain = requireAcrNode({ ...base, acrValues: ["pwd"] });
  const sensitive = requireAcrNode({ ...base, acrValues: ["mfa"], maxAgeMs: 300_000 });
  const stats = { transfers: 0, preflights: 0 };
  let nextId = 1;

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.statusCode = status;
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Cache-Control", "no-store");
    res.end(JSON.stringify(body));
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "OPTIONS") stats.preflights++;
    if (options.clockSkewMs) {
      res.setHeader("Date", new Date(Date.now() + options.clockSkewMs).toUTCString());
    }
    if (path === "/api/profile") {
      void plain(req, res, (claims) => {
        send(res, 200, { sub: claims.userId, acr: claims.acr, amr: claims.amr });
      });
      return;
    }
    if (path === "/api/transfers") {
      void sensitive(req, res, (claims) => {
        if (req.method !== "POST") {
          send(res, 405, { title: "Use POST" });
          return;
        }
        stats.transfers++;
        send(res, 201, { id: nextId++, by: claims.userId, acr: claims.acr });
      });
      return;
    }
    send(res, 404, { title: "Not found" });
  };
  return { listener, stats };
}
